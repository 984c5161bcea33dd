"""`patchq draft` offline: porting onto upstream's branch, the drafts, --all, refusals."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import tomlkit
from draft_data import demo_fixture, draft_template_fixture  # noqa: F401
from helpers import commit, git, patchq, refs_snapshot, tree_snapshot

STREAMS = "Make-the-standard-streams-configurable-for-an-embedd"
PYMAIN = "Public-pymain_run_python"
SKIP = "Skip-modules-a-WebAssembly-target-cannot-build"
PLATFORM = "gh-101234-Fix-platform.system-on-Emscripten"
SUBPROCESS = "Explain-the-subprocess-error-in-the-browser"


def draft(repo: Path, *args: str):
    return patchq("-C", str(repo), "draft", *args)


def set_record(repo: Path, slug: str, **fields) -> None:
    path = repo / "upstream_map.toml"
    doc = tomlkit.parse(path.read_text())
    for key, value in fields.items():
        doc["patches"][slug][key] = value
    path.write_text(tomlkit.dumps(doc))


def change_main(upstream: Path, files: dict[str, str], message: str) -> str:
    """A new commit on upstream's main (checked out in the template)."""
    assert git(upstream, "branch", "--show-current") == "main"
    return commit(upstream, files, message)


def test_first_draft_ports_onto_main_and_leaves_the_clone_alone(demo):
    repo, up = demo
    (up / "README.rst").write_text("local edit, never committed\n")  # a dirty work tree
    before_refs = refs_snapshot(up)
    before_files = tree_snapshot(up)
    main = git(up, "rev-parse", "main")

    res = draft(repo, STREAMS, "--track", "3.11")
    assert res.code == 0, res.text

    branch = f"patchq/draft/{STREAMS}"
    assert git(up, "rev-parse", f"{branch}^") == main
    assert tree_snapshot(up) == before_files
    assert git(up, "branch", "--show-current") == "main"
    after = refs_snapshot(up).splitlines()
    new = [line for line in after if line not in before_refs.splitlines()]
    assert new == [f"{git(up, 'rev-parse', branch)} refs/heads/{branch}"]
    # the change is the patch's, nothing else; no NEWS entry without an issue number
    assert git(up, "diff", "--name-only", f"{branch}^", branch) == "Python/pylifecycle.c"
    shown = git(up, "show", branch, "--", "Python/pylifecycle.c")
    assert "config->stdin_fd >= 0 ? config->stdin_fd : fileno(stdin)" in shown
    assert git(up, "log", "-1", "--format=%s", branch) == \
        "Make the standard streams configurable for an embedder"
    assert git(up, "log", "-1", "--format=%an <%ae>", branch) == "Ben Wasmer <ben@pyodide.invalid>"

    drafts = repo / "drafts" / STREAMS
    issue = (drafts / "issue.md").read_text()
    pr = (drafts / "pr.md").read_text()
    assert issue.startswith("# Make the standard streams configurable for an embedder\n")
    assert "A browser has no file descriptors 0, 1 and 2" in issue
    assert "It concerns WebAssembly." in issue
    assert issue.count("\n# ") == 0  # one H1: the title
    assert "### Proposal:" in issue  # a feature: the feature form
    assert "series/3.11/0002-Make-the-standard-streams" in issue
    assert "The patch is dated 2023-02-21 (its `Date:`)." in issue
    assert pr.startswith("# gh-NNNNN: Make the standard streams configurable for an embedder\n")
    assert "## How it was tested" in pr
    assert f"patchq applied the change on `main` at {main[:12]} cleanly" in pr
    assert "Patch by Ben Wasmer." in " ".join((drafts / "news.rst").read_text().split())
    # the draft is shown
    assert issue.rstrip() in res.out and pr.rstrip() in res.out
    assert "C_API" in res.out  # PyConfig fields: the C API
    # offline without an issue: the map is not touched
    assert "issue" not in tomlkit.parse((repo / "upstream_map.toml").read_text())[
        "patches"][STREAMS]


def test_second_run_changes_nothing(demo):
    repo, up = demo
    assert draft(repo, STREAMS).code == 0
    files = tree_snapshot(repo)
    refs = refs_snapshot(up)
    res = draft(repo, STREAMS)
    assert res.code == 0, res.text
    assert "unchanged" in res.out
    assert tree_snapshot(repo) == files
    assert refs_snapshot(up) == refs


def test_issue_number_gives_the_title_and_the_news_entry(demo):
    repo, up = demo
    res = draft(repo, STREAMS, "--issue", "4242")
    assert res.code == 0, res.text
    branch = f"patchq/draft/{STREAMS}"
    assert git(up, "log", "-1", "--format=%s", branch) == \
        "gh-4242: Make the standard streams configurable for an embedder"
    names = git(up, "diff", "--name-only", f"{branch}^", branch).splitlines()
    news = [n for n in names if n.startswith("Misc/NEWS.d/")]
    assert len(news) == 1
    assert re.fullmatch(r"Misc/NEWS\.d/next/C_API/2026-03-04-05-06-07\."
                        r"gh-issue-4242\.[A-Za-z0-9_-]{6}\.rst", news[0])
    entry = git(up, "show", f"{branch}:{news[0]}")
    assert entry == (repo / "drafts" / STREAMS / "news.rst").read_text().strip()
    pr = (repo / "drafts" / STREAMS / "pr.md").read_text()
    assert pr.startswith("# gh-4242: Make the standard streams")
    assert "* Issue: gh-4242" in pr and news[0] in pr
    record = tomlkit.parse((repo / "upstream_map.toml").read_text())["patches"][STREAMS]
    assert record["issue"] == "python/cpython#4242"
    # the same name on every run (deterministic nonce, reused file name)
    tip = git(up, "rev-parse", branch)
    assert draft(repo, STREAMS).code == 0
    assert git(up, "rev-parse", branch) == tip


def test_nonce_differs_between_patches_and_is_stable(demo):
    repo, up = demo
    assert draft(repo, STREAMS, "--issue", "1").code == 0
    assert draft(repo, SKIP, "--issue", "2").code == 0
    first = git(up, "diff", "--name-only", f"patchq/draft/{STREAMS}^", f"patchq/draft/{STREAMS}")
    second = git(up, "diff", "--name-only", f"patchq/draft/{SKIP}^", f"patchq/draft/{SKIP}")
    nonce = [n.split(".")[-2] for n in (first, second.splitlines()[0])]
    assert nonce[0] != nonce[1]
    assert "Misc/NEWS.d/next/Build/" in second  # configure.ac


def test_subject_issue_number_is_used(demo):
    repo, up = demo
    patch = next((repo / "series" / "3.11").glob("0005-*"))
    patch.write_bytes(patch.read_bytes().replace(
        b"Subject: [PATCH 5/5] Explain", b"Subject: [PATCH 5/5] gh-4321: Explain"))
    res = draft(repo, SUBPROCESS)
    assert res.code == 0, res.text
    assert git(up, "log", "-1", "--format=%s", f"patchq/draft/{SUBPROCESS}") == \
        "gh-4321: Explain the subprocess error in the browser"
    names = git(up, "diff", "--name-only", f"patchq/draft/{SUBPROCESS}^",
                f"patchq/draft/{SUBPROCESS}")
    assert "Misc/NEWS.d/next/Library/2026-03-04-05-06-07.gh-issue-4321." in names
    issue = (repo / "drafts" / SUBPROCESS / "issue.md").read_text()
    assert issue.startswith("# Explain the subprocess error in the browser\n")
    assert "WebAssembly" in issue


def test_bug_fix_uses_the_bug_form(demo):
    repo, _ = demo
    # on 3.11 and main the platform fix is already there: draft it for 3.11's v3.11.2 state
    git(demo[1], "branch", "old", "v3.11.2")
    res = draft(repo, PLATFORM, "--target", "old")
    assert res.code == 0, res.text
    issue = (repo / "drafts" / PLATFORM / "issue.md").read_text()
    assert issue.startswith("# Fix platform.system() on Emscripten\n")
    assert "### Bug description:" in issue and "### Proposal:" not in issue
    assert "### CPython versions tested on:\n\n_No response_" in issue  # nobody recorded it
    assert "### Operating systems tested on:\n\n_No response_" in issue
    assert "Emscripten (WebAssembly)" in issue
    assert "Lib/test/test_platform.py" not in issue


def test_change_already_upstream_is_said(demo):
    repo, up = demo
    refs = refs_snapshot(up)
    res = draft(repo, PLATFORM)
    assert res.code == 1
    assert "main already has this change" in res.err
    assert len(res.err.strip().splitlines()) == 1
    assert refs_snapshot(up) == refs
    assert not (repo / "drafts").exists()


def test_conflict_makes_nothing(demo):
    repo, up = demo
    text = git(up, "show", "main:Python/pylifecycle.c")
    change_main(up, {"Python/pylifecycle.c": text.replace("fd = fileno(stdin);",
                                                          "fd = get_stdin_fd(config);") + "\n"},
                "Upstream moves on")
    refs = refs_snapshot(up)
    files = tree_snapshot(repo)
    res = draft(repo, STREAMS)
    assert res.code == 1
    line = res.err.strip()
    assert len(line.splitlines()) == 1
    assert "does not apply on main" in line and "Python/pylifecycle.c" in line
    assert "nothing was made" in line
    assert refs_snapshot(up) == refs
    assert tree_snapshot(repo) == files
    assert not git(up, "ls-files", "-u")  # no conflict stages left in the real index


def test_patch_needing_an_earlier_one_is_taken_in_its_context(demo, tmp_path):
    repo, up = demo
    # a fourth change on top of the streams patch, touching the same lines
    series = repo / "series" / "3.11"
    text = git(up, "show", "v3.11.2:Python/pylifecycle.c")
    patched = text.replace("fd = fileno(stdin);",
                           "fd = config->stdin_fd >= 0 ? config->stdin_fd : fileno(stdin);")
    assert patched != text
    work = tmp_path / "w"
    git(up, "worktree", "add", "-q", "--detach", str(work), "v3.11.2")
    git(work, "apply", str(next(series.glob("0002-*"))))
    commit(work, {}, "Streams")
    follow = patched.replace(" : fileno(stdin);", " : fileno(stdin);  /* embedder's */")
    assert git(work, "show", "HEAD:Python/pylifecycle.c") != follow
    body = git(work, "show", "HEAD:Python/pylifecycle.c").replace(
        " : fileno(stdin);", " : fileno(stdin);  /* embedder's */")
    commit(work, {"Python/pylifecycle.c": body + "\n"}, "Comment the embedder's stdin")
    git(work, "format-patch", "-1", "-o", str(tmp_path / "out"))
    name = "0006-Comment-the-embedder-s-stdin.patch"
    shutil.copy(next((tmp_path / "out").iterdir()), series / name)
    with open(series / "series", "a") as out:
        out.write(name + "\n")
    res = draft(repo, "Comment-the-embedder-s-stdin")
    assert res.code == 1  # main lacks the streams change it builds on
    assert "does not apply on main" in res.err
    # on a branch that has the streams change, only the follow-up's own change is drafted
    assert draft(repo, STREAMS).code == 0
    git(up, "branch", "embed", f"patchq/draft/{STREAMS}")
    res = draft(repo, "Comment-the-embedder-s-stdin", "--target", "embed")
    assert res.code == 0, res.text
    diff = git(up, "diff", "patchq/draft/Comment-the-embedder-s-stdin^",
               "patchq/draft/Comment-the-embedder-s-stdin")
    assert "+    fd = config->stdin_fd >= 0 ? config->stdin_fd : fileno(stdin);  /* embedder's */" \
        in diff
    assert "-    fd = config->stdin_fd >= 0 ? config->stdin_fd : fileno(stdin);\n" in diff + "\n"
    assert len([ln for ln in diff.splitlines() if ln.startswith("+") and
                not ln.startswith("+++")]) == 1


def test_user_edits_are_kept_and_used(demo):
    repo, up = demo
    assert draft(repo, STREAMS).code == 0
    pr = repo / "drafts" / STREAMS / "pr.md"
    pr.write_text("# gh-NNNNN: Let embedders choose the standard streams\n\nMy words.\n")
    res = draft(repo, STREAMS, "--issue", "77")
    assert res.code == 0, res.text
    assert "kept your edits to pr.md" in res.out
    assert pr.read_text() == "# gh-77: Let embedders choose the standard streams\n\nMy words.\n"
    assert git(up, "log", "-1", "--format=%s", f"patchq/draft/{STREAMS}") == \
        "gh-77: Let embedders choose the standard streams"
    res = draft(repo, STREAMS, "--regenerate")
    assert res.code == 0, res.text
    assert pr.read_text().startswith("# gh-77: Make the standard streams configurable")


def test_section_override(demo):
    repo, up = demo
    res = draft(repo, STREAMS, "--issue", "5", "--section", "c api")
    assert res.code == 0, res.text
    names = git(up, "diff", "--name-only", f"patchq/draft/{STREAMS}^", f"patchq/draft/{STREAMS}")
    assert "Misc/NEWS.d/next/C_API/" in names
    res = draft(repo, STREAMS, "--section", "Gardening")
    assert res.code == 1
    assert "unknown NEWS section 'Gardening'" in res.err and "C_API" in res.err
    set_record(repo, STREAMS, news_section="Library")
    assert draft(repo, STREAMS).code == 0
    names = git(up, "diff", "--name-only", f"patchq/draft/{STREAMS}^", f"patchq/draft/{STREAMS}")
    assert "Misc/NEWS.d/next/Library/" in names and "C_API" not in names


@pytest.mark.parametrize("slug", ["--upload-pack=touch /tmp/x", "../x", "a/b", "x..y"])
def test_slugs_cannot_inject(demo, slug):
    repo, up = demo
    refs = refs_snapshot(up)
    res = draft(repo, "--", slug)
    assert res.code == 2
    assert "is not a patch slug" in res.text
    assert refs_snapshot(up) == refs
    assert not (repo / "drafts").exists()


def test_target_that_is_not_a_branch_name(demo):
    repo, _ = demo
    res = draft(repo, STREAMS, "--target", "--upload-pack=x")
    assert res.code == 1 and "is not a branch name" in res.err
    res = draft(repo, STREAMS, "--target", "3.99")
    assert res.code == 1 and "upstream branch '3.99' is not in" in res.err


def test_unknown_slug_and_usage(demo):
    repo, _ = demo
    res = draft(repo, "No-such-patch")
    assert res.code == 1 and "no patch 'No-such-patch'" in res.err
    assert draft(repo).code == 2
    assert draft(repo, STREAMS, "--all").code == 2
    assert draft(repo, STREAMS, "--github-url", "http://x").code == 2


def test_foreign_commits_on_the_draft_branch_are_not_thrown_away(demo):
    repo, up = demo
    assert draft(repo, STREAMS).code == 0
    branch = f"patchq/draft/{STREAMS}"
    git(up, "checkout", "-q", branch)
    commit(up, {"Lib/extra.py": "x = 1\n"}, "My own work")
    git(up, "checkout", "-q", "main")
    mine = git(up, "rev-parse", branch)
    res = draft(repo, STREAMS, "--issue", "9")
    assert res.code == 1 and "has commits patchq did not write" in res.err
    assert git(up, "rev-parse", branch) == mine
    res = draft(repo, STREAMS, "--issue", "9", "--force")
    assert res.code == 0, res.text
    assert git(up, "rev-parse", f"{branch}^") == git(up, "rev-parse", "main")


def test_checked_out_draft_branch_is_refused(demo):
    repo, up = demo
    assert draft(repo, STREAMS).code == 0
    git(up, "checkout", "-q", f"patchq/draft/{STREAMS}")
    res = draft(repo, STREAMS, "--issue", "3")
    assert res.code == 1 and "is checked out" in res.err


def test_json(demo):
    repo, _ = demo
    res = draft(repo, STREAMS, "--json")
    assert res.code == 0, res.text
    data = json.loads(res.out)
    assert data["slug"] == STREAMS and data["branch_state"] == "created"
    assert data["section"] == "C_API" and data["issue"] is None
    assert data["texts"]["issue.md"].startswith("# Make the standard streams")


def test_all_drafts_what_is_upstreamable_and_goes_on_past_failures(demo):
    repo, up = demo
    for slug in (STREAMS, SKIP, PLATFORM, SUBPROCESS):
        set_record(repo, slug, disposition="upstreamable")
    set_record(repo, SUBPROCESS, issue="python/cpython#555")
    text = git(up, "show", "main:configure.ac")
    lines = text.splitlines()
    change_main(up, {"configure.ac": "\n".join(f"{ln} dnl changed" for ln in lines) + "\n"},
                "Reformat configure.ac")
    res = draft(repo, "--all")
    assert res.code == 1  # one failed
    out = res.out
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.split()}
    assert "drafted" in rows[STREAMS]
    assert "failed" in rows[SKIP] and "does not apply on main" in rows[SKIP]
    assert "skipped" in rows[PLATFORM] and "already has this change" in rows[PLATFORM]
    # an issue is no reason to skip: the draft uses it
    assert "drafted" in rows[SUBPROCESS] and "issue gh-555 (the map)" in rows[SUBPROCESS]
    assert "skipped" in rows[PYMAIN] and "disposition is undecided" in rows[PYMAIN]
    assert "2 drafted, 2 skipped, 0 refused, 1 failed" in out
    assert "1 of 3 patches could not be drafted (" + SKIP in res.err  # skipped ones do not count
    assert git(up, "rev-parse", "--verify", "-q", f"patchq/draft/{STREAMS}")
    assert not git(up, "branch", "--list", f"patchq/draft/{SKIP}")
    assert not (repo / "drafts" / SKIP).exists()
    res = draft(repo, "--all", "--json")
    data = json.loads(res.out)
    assert data["schema"] == "patchq-draft/1"
    assert {d["slug"]: d["status"] for d in data["items"]}[STREAMS] == "drafted"


def test_all_with_nothing_to_do(demo):
    repo, _ = demo
    res = draft(repo, "--all")
    assert res.code == 0, res.text
    assert "0 drafted, 5 skipped, 0 refused, 0 failed" in res.out
