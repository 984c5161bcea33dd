"""`patchq draft` reads what a patch already says about upstream before drafting, says only
what is known, refuses junk, gets authorship and NEWS right (offline; the online half is in
test_draft_online.py)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import tomlkit
from draft_data import demo_fixture, draft_template_fixture  # noqa: F401
from helpers import commit, git, patchq, refs_snapshot, tree_snapshot

TRACK = "3.11"


def add_patch(repo: Path, up: Path, slug: str, header: bytes, files: dict[str, str],
              **record) -> Path:
    """A new patch of track 3.11 (on v3.11.2) changing ``files``, with ``header`` before its
    diff; recorded with ``record`` (upstreamable unless said)."""
    work = repo.parent / f"work-{slug}"
    git(up, "worktree", "add", "-q", "--detach", str(work), "v3.11.2")
    for path, change in files.items():
        target = work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        old = target.read_text() if target.exists() else ""
        target.write_text(old + change)
    git(work, "add", "-A")
    diff = subprocess.run(["git", "diff", "--cached", "--no-color"], cwd=work, check=True,
                          capture_output=True).stdout
    git(up, "worktree", "remove", "--force", str(work))
    name = f"{slug}.patch"
    series = repo / "series" / TRACK
    (series / name).write_bytes(header + b"\n" + diff)
    with open(series / "series", "a") as out:
        out.write(name + "\n")
    set_record(repo, slug, **{"disposition": "upstreamable", **record})
    return series / name


def set_record(repo: Path, slug: str, **fields) -> None:
    path = repo / "upstream_map.toml"
    doc = tomlkit.parse(path.read_text())
    if slug not in doc["patches"]:
        doc["patches"][slug] = tomlkit.table()
    for key, value in fields.items():
        doc["patches"][slug][key] = value
    path.write_text(tomlkit.dumps(doc))


def record_of(repo: Path, slug: str) -> dict:
    return dict(tomlkit.parse((repo / "upstream_map.toml").read_text())["patches"][slug])


def draft(repo: Path, *args: str):
    return patchq("-C", str(repo), "draft", *args)


def drafts(repo: Path, slug: str) -> tuple[str, str]:
    d = repo / "drafts" / slug
    return (d / "issue.md").read_text(), (d / "pr.md").read_text()


MAIL = (b"From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n"
        b"From: Finn Example <finn@example.org>\nDate: Tue, 3 Dec 2024 11:32:55 +1100\n")
LINE = "\ndef wasi_helper():\n    return 'wasi'\n"


# -- what the patch already says ---------------------------------------------------------------


def test_an_issue_the_header_names_is_used(demo):
    repo, up = demo
    add_patch(repo, up, "align", MAIL + b"Subject: [PATCH] Specify the minimum alignment to fix "
              b"the build\n\nThe collector stores flags in the low bits.\n\n"
              b"Bug-Upstream: https://github.com/python/cpython/issues/127545\n"
              b"Bug-Debian: https://bugs.debian.org/1105110\n---\n",
              {"Lib/platform.py": LINE})
    res = draft(repo, "align")
    assert res.code == 0, res.text
    issue, pr = drafts(repo, "align")
    assert pr.startswith("# gh-127545: Specify the minimum alignment to fix the build\n")
    assert "gh-NNNNN" not in pr and "* Issue: gh-127545" in pr
    assert "issue gh-127545 (its Bug-Upstream: header): issue.md is for reference, no issue " \
        "is opened" in res.out
    # the body holds the description, never header lines
    for text in (issue, pr):
        assert "Bug-Upstream" not in text and "Bug-Debian" not in text and "---" not in text
    branch = "patchq/draft/align"
    assert git(up, "log", "-1", "--format=%s", branch) == \
        "gh-127545: Specify the minimum alignment to fix the build"
    names = git(up, "diff", "--name-only", f"{branch}^", branch)
    assert re.search(r"Misc/NEWS\.d/next/Library/2026-03-04-05-06-07\.gh-issue-127545\.", names)


def test_a_pr_the_header_names_is_not_proposed_again(demo):
    repo, up = demo
    add_patch(repo, up, "abi", MAIL + b"Subject: [PATCH] gh-122917 Allow a multiarch tuple in "
              b"extension names\n\nWhy.\n\n"
              b"Forwarded: https://github.com/python/cpython/pull/122917\n"
              b"Bug-Upstream: https://github.com/python/cpython/issues/122931\n---\n",
              {"Lib/platform.py": LINE})
    refs = refs_snapshot(up)
    res = draft(repo, "abi")
    assert res.code == 1
    assert "abi already has PR python/cpython#122917 (its Forwarded: header): nothing to " \
        "propose" in res.err
    assert len(res.err.strip().splitlines()) == 1
    assert refs_snapshot(up) == refs and not (repo / "drafts").exists()
    res = draft(repo, "--all")
    row = next(line for line in res.out.splitlines() if line.startswith("abi "))
    assert "skipped" in row and "has PR python/cpython#122917 (named by its Forwarded: header)" in row
    # once the header and the map no longer name it, the title drops the PR's number
    path = repo / "series" / TRACK / "abi.patch"
    path.write_bytes(path.read_bytes().replace(
        b"Forwarded: https://github.com/python/cpython/pull/122917\n", b""))
    res = draft(repo, "abi")
    assert res.code == 0, res.text
    _, pr = drafts(repo, "abi")
    assert pr.startswith("# gh-122931: Allow a multiarch tuple in extension names\n")


def test_a_change_taken_from_upstream_is_not_drafted(demo):
    repo, up = demo
    main = git(up, "rev-parse", "main")
    add_patch(repo, up, "picked", b"Description: Add support for OpenSSL 3.4\n"
              b"Author: Petr Example <petr@example.org>\n"
              b"Origin: upstream, https://github.com/python/cpython/commit/" + main.encode() +
              b"\n", {"Lib/platform.py": LINE})
    res = draft(repo, "picked")
    assert res.code == 1
    assert f"picked is taken from upstream commit {main[:12]} (its Origin: header)" in res.err
    res = draft(repo, "--all")
    row = next(line for line in res.out.splitlines() if line.startswith("picked "))
    assert "skipped" in row and f"taken from upstream commit {main[:12]}" in row


def test_sync_proposals_are_skipped_by_all_and_named_for_one(demo):
    repo, up = demo
    add_patch(repo, up, "proposed", MAIL + b"Subject: [PATCH] Add a WASI helper\n\nWhy.\n---\n",
              {"Lib/platform.py": LINE})
    set_record(repo, "proposed", github={"proposed_prs": [
        {"pr": "python/cpython#77", "title": "Add a WASI helper", "state": "open",
         "matched": "Add a WASI helper"}]})
    res = draft(repo, "--all")
    row = next(line for line in res.out.splitlines() if line.startswith("proposed "))
    assert "skipped" in row and "sync proposed python/cpython#77 (open) 'Add a WASI helper'" in row
    res = draft(repo, "proposed")
    assert res.code == 0, res.text
    assert "sync proposed python/cpython#77 (open) 'Add a WASI helper' for this patch" in res.out


def test_the_issue_patchq_opened_is_used_offline(demo):
    repo, up = demo
    add_patch(repo, up, "opened", MAIL + b"Subject: [PATCH] Add a WASI helper\n\nWhy.\n---\n",
              {"Lib/platform.py": LINE})
    assert draft(repo, "opened").code == 0
    meta = repo / "drafts" / "opened" / ".patchq.json"
    meta.write_text(meta.read_text().replace('{\n', '{\n "opened_issue": 99,\n', 1))
    res = draft(repo, "opened")
    assert res.code == 0, res.text
    _, pr = drafts(repo, "opened")
    assert pr.startswith("# gh-99: Add a WASI helper")


# -- saying only what is known -----------------------------------------------------------------


def test_no_testing_is_claimed_unless_recorded(demo):
    repo, up = demo
    add_patch(repo, up, "crash", MAIL + b"Subject: [PATCH] Fix a crash in the WASI helper\n\n"
              b"It crashed.\n---\n", {"Lib/platform.py": LINE})
    assert draft(repo, "crash").code == 0
    issue, pr = drafts(repo, "crash")
    assert "### Bug description:" in issue
    assert "### CPython versions tested on:\n\n_No response_" in issue
    assert "### Operating systems tested on:\n\n_No response_" in issue
    for text in (issue, pr):
        assert "Linux" not in text and "macOS" not in text and "Windows" not in text
        assert "since" not in text  # no date that is not what it says
    assert "The patch is dated 2024-12-03 (its `Date:`)." in pr
    assert "Not run by patchq: building CPython with the change and its test suite." in pr
    assert "Tested on" not in pr
    # recorded: said, in the forms' words
    assert patchq("-C", str(repo), "record", "crash", "tested_on=Linux x86-64, 3.13, main",
                  "ci=https://ci.example.org/run/1").code == 0
    assert draft(repo, "crash").code == 0
    issue, pr = drafts(repo, "crash")
    assert "### CPython versions tested on:\n\n3.13, CPython main branch" in issue
    assert "### Operating systems tested on:\n\nLinux" in issue
    assert "- Tested on (recorded by the downstream): Linux x86-64, 3.13, main." in pr
    assert "- The downstream's CI builds with it: https://ci.example.org/run/1" in pr


def test_feature_form_answers_no_discussion_question_for_the_person(demo):
    repo, up = demo
    add_patch(repo, up, "feature", MAIL + b"Subject: [PATCH] Add a WASI helper\n\nWhy.\n---\n",
              {"Lib/platform.py": LINE})
    assert draft(repo, "feature").code == 0
    issue, _ = drafts(repo, "feature")
    assert "### Proposal:" in issue and "### Bug description:" not in issue
    assert "### Has this already been discussed elsewhere?\n\nNo response given" in issue
    assert issue.count("\n# ") == 0


# -- junk --------------------------------------------------------------------------------------


@pytest.mark.parametrize("header,problem", [
    (b"# DP: needs forwarding. bootstrap python fails with -fPIE,\n# DP: then it works.\n",
     "is more than one sentence"),
    (b"Description: C compiler flags:\n 1. Keep them.\n", "stops mid-sentence"),
    (b"", "is empty"),
])
def test_junk_subjects_are_refused_until_a_person_writes_one(demo, header, problem):
    repo, up = demo
    add_patch(repo, up, "junk", header, {"Lib/platform.py": LINE})
    refs = refs_snapshot(up)
    res = draft(repo, "junk")
    assert res.code == 1
    line = res.err.strip()
    assert problem in line and "write a subject first: `patchq record junk subject=" in line
    assert refs_snapshot(up) == refs and not (repo / "drafts" / "junk").exists()
    res = draft(repo, "--all")
    row = next(line for line in res.out.splitlines() if line.startswith("junk "))
    assert "refused" in row
    assert "could not be drafted (junk" in res.err
    # a person writes one; it needs an author too
    assert patchq("-C", str(repo), "record", "junk",
                  "subject=Build the bootstrap python without -fPIE").code == 0
    res = draft(repo, "junk")
    assert res.code == 1 and "names no author" in res.err and "author=" in res.err
    assert patchq("-C", str(repo), "record", "junk",
                  "author=Jane Doe <jane@example.org>").code == 0
    res = draft(repo, "junk")
    assert res.code == 0, res.text
    assert drafts(repo, "junk")[1].startswith("# gh-NNNNN: Build the bootstrap python without")


def test_record_refuses_a_junk_subject_and_a_bad_author(demo):
    repo, _ = demo
    slug = "Public-pymain_run_python"
    res = patchq("-C", str(repo), "record", slug, "subject=Forwarded: no")
    assert res.code == 2 and "is a header line" in res.err
    res = patchq("-C", str(repo), "record", slug, "author=nobody")
    assert res.code == 2 and "is not Name <email>" in res.err


# -- authorship ---------------------------------------------------------------------------------


def test_the_submitter_commits_and_the_original_author_is_credited(demo):
    repo, up = demo
    add_patch(repo, up, "credit", MAIL + b"Subject: [PATCH] Fix a crash in the WASI helper\n\n"
              b"It crashed.\n\nCo-authored-by: Adrian Example <adrian@example.org>\n---\n",
              {"Lib/platform.py": LINE}, issue="python/cpython#5",
              author="Stefano Example <stefano@example.org>")
    res = draft(repo, "credit")
    assert res.code == 0, res.text
    branch = "patchq/draft/credit"
    assert git(up, "log", "-1", "--format=%an <%ae>|%cn <%ce>", branch) == \
        "Stefano Example <stefano@example.org>|Test Person <test@example.invalid>"
    message = git(up, "log", "-1", "--format=%B", branch)
    assert message.endswith("Co-authored-by: Finn Example <finn@example.org>\n"
                            "Co-authored-by: Adrian Example <adrian@example.org>")
    assert message.count("Co-authored-by:") == 2  # once each, not in the description again
    _, pr = drafts(repo, "credit")
    assert "Co-authored-by: Finn Example <finn@example.org>" in pr
    assert "Contributor License Agreement" in pr and "Stefano Example <stefano@example.org>" in pr
    news = (repo / "drafts" / "credit" / "news.rst").read_text()
    assert "Patch by Finn Example." in " ".join(news.split())


def test_the_patch_author_is_the_commit_author_with_no_co_author_of_itself(demo):
    repo, up = demo
    add_patch(repo, up, "own", MAIL + b"Subject: [PATCH] Fix a crash in the WASI helper\n\n"
              b"It crashed.\n---\n", {"Lib/platform.py": LINE})
    assert draft(repo, "own").code == 0
    assert git(up, "log", "-1", "--format=%an <%ae>%n%B", "patchq/draft/own").count(
        "Co-authored-by") == 0
    assert "Finn Example" in git(up, "log", "-1", "--format=%an", "patchq/draft/own")
    # the placeholder author is no author
    add_patch(repo, up, "nobody", b"Description: Fix a crash in the WASI helpers\n",
              {"Lib/subprocess.py": LINE})
    res = draft(repo, "nobody")
    assert res.code == 1 and "names no author" in res.err
    assert "Unknown" not in tree_snapshot(repo).get("drafts/nobody/pr.md", b"").decode()


# -- NEWS ---------------------------------------------------------------------------------------


def test_the_patch_s_own_news_entry_is_used(demo):
    repo, up = demo
    entry = "Misc/NEWS.d/next/Build/2024-12-04-10-00-35.gh-issue-127545.t0THjE.rst"
    add_patch(repo, up, "ownnews", MAIL + b"Subject: [PATCH] Specify the minimum alignment\n\n"
              b"Why.\n---\n", {"Lib/platform.py": LINE, entry: "Fix the build on m68k.\n"})
    res = draft(repo, "ownnews")
    assert res.code == 0, res.text
    branch = "patchq/draft/ownnews"
    names = git(up, "diff", "--name-only", f"{branch}^", branch).splitlines()
    assert [n for n in names if n.startswith("Misc/NEWS.d/")] == [entry]
    _, pr = drafts(repo, "ownnews")
    assert pr.startswith("# gh-127545: Specify the minimum alignment\n")
    assert f"`{entry}` (the patch's own entry)." in pr
    assert "is added once the issue number is known" not in pr
    assert not (repo / "drafts" / "ownnews" / "news.rst").exists()


def test_documentation_only_changes_get_no_news(demo):
    repo, up = demo
    add_patch(repo, up, "docs", MAIL + b"Subject: [PATCH] Explain the WASI limits\n\nWhy.\n---\n",
              {"Doc/library/wasi.rst": "WASI\n====\n"}, issue="python/cpython#8")
    res = draft(repo, "docs")
    assert res.code == 0, res.text
    branch = "patchq/draft/docs"
    assert git(up, "diff", "--name-only", f"{branch}^", branch) == "Doc/library/wasi.rst"
    _, pr = drafts(repo, "docs")
    assert "No NEWS entry: it changes documentation only" in pr and "skip news" in pr
    assert "no NEWS entry: it changes documentation only" in res.out


def test_news_sentence_has_sphinx_roles_and_the_section_the_files_say(demo):
    repo, up = demo
    commit(up, {"Doc/library/platform.rst": ".. module:: platform\n\n.. function:: system()\n\n"
                "   The system.\n"}, "Document platform")
    add_patch(repo, up, "roles", MAIL + b"Subject: [PATCH] Fix platform.system() on WASI\n\n"
              b"Why.\n---\n", {"Lib/platform.py": LINE}, issue="python/cpython#9")
    assert draft(repo, "roles").code == 0
    news = (repo / "drafts" / "roles" / "news.rst").read_text()
    assert news == "Fix :func:`platform.system` on WASI. Patch by Finn Example.\n"
    names = git(up, "diff", "--name-only", "patchq/draft/roles^", "patchq/draft/roles")
    assert "Misc/NEWS.d/next/Library/" in names
    # a public C API header: C_API; configure.ac: Build
    add_patch(repo, up, "capi", MAIL + b"Subject: [PATCH] Add Py_WasiHelper\n\nWhy.\n---\n",
              {"Include/cpython/pylifecycle.h": "PyAPI_FUNC(int) Py_WasiHelper(void);\n",
               "Python/pylifecycle.c": "\nint Py_WasiHelper(void) { return 0; }\n" * 20},
              issue="python/cpython#10")
    assert draft(repo, "capi").code == 0
    assert "Misc/NEWS.d/next/C_API/" in git(up, "diff", "--name-only", "patchq/draft/capi^",
                                            "patchq/draft/capi")
