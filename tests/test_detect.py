"""Upstream detection on small real git repositories: one scenario per method, and the
cases that must never read present (a change upstream reverted, lines found elsewhere)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import commit, git, numbered_lines

from patchq.detect import Detector, Links, Method, PatchChange, Verdict
from patchq.git import Git
from patchq.model import UpstreamState

PLATFORM = "".join(f"def f{i}():\n    return {i}\n\n" for i in range(1, 30))


def upstream(tmp: Path, files: dict | None = None) -> Path:
    repo = tmp / "up"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, files or {"Lib/platform.py": PLATFORM, "Lib/other.py": numbered_lines("other"),
                           "Lib/test/test_platform.py": numbered_lines("test"),
                           "Misc/NEWS.d/3.12.0a1.rst": "Old news.\n"}, "Initial")
    git(repo, "tag", "base")
    return repo


def patch_commit(repo: Path, files: dict, message: str, on: str = "base") -> str:
    """A queue commit: the patch applied on ``on``, on a side branch; main is left alone."""
    branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD")
    git(repo, "checkout", "-q", "--detach", on)
    sha = commit(repo, files, message)
    git(repo, "checkout", "-q", branch)
    return sha


def edit(repo: Path, path: str, old: str, new: str, ref: str = "HEAD") -> str:
    text = subprocess.run(["git", "show", f"{ref}:{path}"], cwd=repo, capture_output=True,
                          check=True, text=True).stdout
    assert old in text, (old, path)
    return text.replace(old, new, 1)


def detect(repo: Path, sha: str, ref: str = "main", message: str = "", record=None,
           since: str | None = "base"):
    change = PatchChange("the-patch", sha, message, record or {})
    return Detector(Git(repo), ref, since).find(change)


FIX_OLD = "def f5():\n    return 5\n"
FIX_NEW = "def f5():\n    if EMSCRIPTEN:\n        return 'Emscripten'\n    return 5\n"


def test_patch_id_equal_commit_upstream(tmp_path):
    repo = upstream(tmp_path)
    new = edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)
    sha = patch_commit(repo, {"Lib/platform.py": new}, "Fix f5")
    commit(repo, {"Lib/other.py": "changed\n"}, "Unrelated")
    landed = commit(repo, {"Lib/platform.py": new}, "gh-1: Fix f5 (#2)")
    commit(repo, {"Lib/other.py": "changed again\n"}, "Unrelated too")
    found = detect(repo, sha)
    assert found.state is UpstreamState.PRESENT
    assert found.method is Method.PATCH_ID
    assert found.evidence[0].commits == (landed,)
    assert (found.hunks_present, found.hunks_total) == (1, 1)
    assert found.ref_commit == git(repo, "rev-parse", "main")


def test_fix_landed_with_news_and_tests(tmp_path):
    """Upstream's commit adds a NEWS entry and a test beside the fix: patch-ids differ,
    every hunk of the patch is found, and the commit that brought them is named."""
    repo = upstream(tmp_path)
    new = edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)
    sha = patch_commit(repo, {"Lib/platform.py": new}, "Fix f5 for Pyodide")
    landed = commit(repo, {
        "Lib/platform.py": new,
        "Lib/test/test_platform.py": numbered_lines("test") + "def test_f5(): pass\n",
        "Misc/NEWS.d/next/Library/2023-02-01.gh-issue-1.abc.rst": "Fix f5 on Emscripten.\n",
    }, "gh-1: Fix f5 on Emscripten (#2)")
    found = detect(repo, sha)
    assert found.state is UpstreamState.PRESENT
    assert found.method is Method.HUNKS
    assert found.evidence[0].commits == (landed,)
    assert found.hunks[0].verdict is Verdict.IN and found.hunks[0].how == "in place"


def test_context_moved_upstream(tmp_path):
    """Upstream took the fix, then changed the lines around it: found with moved context."""
    repo = upstream(tmp_path)
    new = edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)
    sha = patch_commit(repo, {"Lib/platform.py": new}, "Fix f5")
    moved = new.replace("def f4():\n    return 4\n\n", "def f4():\n    return 'four'\n\n")
    moved = moved.replace("def f6():\n    return 6\n", "def f6():\n    return 'six'\n")
    commit(repo, {"Lib/platform.py": "# header\n" * 40 + moved}, "Fix f5 and rework its neighbours")
    found = detect(repo, sha)
    assert found.state is UpstreamState.PRESENT, found
    assert found.hunks[0].how in ("moved", "changed since")


def test_backport_with_cherry_pick_trailer(tmp_path):
    """main has the fix with a test; 3.11 gets the backport with a cherry-pick trailer and
    GH-N; the patch names gh-N. Both branches read present, with the links as evidence."""
    repo = upstream(tmp_path)
    git(repo, "branch", "3.11")
    new = edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)
    sha = patch_commit(repo, {"Lib/platform.py": new},
                       "gh-101234: Fix f5 on Emscripten\n\nBackport while we wait.\n")
    message = git(repo, "log", "-1", "--format=%B", sha)
    test_file = numbered_lines("test") + "def test_f5(): pass\n"
    on_main = commit(repo, {"Lib/platform.py": new, "Lib/test/test_platform.py": test_file},
                     "gh-101234: Fix f5 on Emscripten (#101235)")
    git(repo, "checkout", "-q", "3.11")
    backport = commit(repo, {"Lib/platform.py": new, "Lib/test/test_platform.py": test_file},
                      f"[3.11] gh-101234: Fix f5 on Emscripten (GH-101235) (#101240)\n\n"
                      f"(cherry picked from commit {on_main})\n")
    git(repo, "checkout", "-q", "main")

    found = detect(repo, sha, "3.11", message=message)
    assert found.state is UpstreamState.PRESENT
    assert found.method is Method.HUNKS and backport in found.evidence[0].commits
    methods = [e.method for e in found.evidence]
    assert Method.GH_LINK in methods
    gh = next(e for e in found.evidence if e.method is Method.GH_LINK)
    assert gh.commits == (backport,)
    pick = next(e for e in found.evidence if e.method is Method.CHERRY_PICK)
    assert pick.commits == (backport,) and pick.detail == f"a backport of {on_main[:12]}"

    # a patch that says it was cherry-picked from the main commit
    picked = patch_commit(repo, {"Lib/platform.py": new},
                          f"Fix f5\n\n(cherry picked from commit {on_main})\n")
    found = detect(repo, picked, "3.11", message=git(repo, "log", "-1", "--format=%B", picked))
    cherry = [e for e in found.evidence if e.method is Method.CHERRY_PICK]
    assert cherry and cherry[0].commits == (backport,)
    found = detect(repo, picked, "main", message=git(repo, "log", "-1", "--format=%B", picked))
    cherry = [e for e in found.evidence if e.method is Method.CHERRY_PICK]
    assert cherry and cherry[0].commits == (on_main,)


def test_partially_upstreamed(tmp_path):
    repo = upstream(tmp_path)
    both = edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)
    both = both.replace("def f20():\n    return 20\n", "def f20():\n    return 'downstream'\n")
    sha = patch_commit(repo, {"Lib/platform.py": both}, "Fix f5, change f20")
    commit(repo, {"Lib/platform.py": edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)},
           "Fix f5 upstream")
    found = detect(repo, sha)
    assert found.state is UpstreamState.PARTIAL
    assert (found.hunks_present, found.hunks_total) == (1, 2)
    assert [h.verdict for h in found.hunks] == [Verdict.IN, Verdict.OUT]
    assert any("not found: Lib/platform.py @@" in n for n in found.notes)


def test_reverted_upstream_reads_absent(tmp_path):
    """Upstream merged exactly the patch, then reverted it: patch-id and the message links
    still point at the merge, the tree says no. The tree wins."""
    repo = upstream(tmp_path)
    new = edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)
    sha = patch_commit(repo, {"Lib/platform.py": new}, "gh-7: Fix f5")
    landed = commit(repo, {"Lib/platform.py": new}, "gh-7: Fix f5 (#8)")
    git(repo, "revert", "--no-edit", landed)
    record = {"pr": "python/cpython#8",
              "github": {"pr_state": "merged", "pr_merge_commit": landed, "pr_base": "main"}}
    found = detect(repo, sha, message="gh-7: Fix f5\n", record=record)
    assert found.state is UpstreamState.ABSENT
    assert found.hunks[0].verdict is Verdict.OUT
    assert Method.PATCH_ID not in [e.method for e in found.evidence]
    assert {Method.GH_LINK, Method.PR_MERGE, Method.GITHUB} <= {e.method for e in found.evidence}
    assert any("reverted" in n for n in found.notes)
    assert any("not in the tree" in n for n in found.notes)


def test_changed_run_found_elsewhere_is_not_present(tmp_path):
    """The patch adds a line that exists elsewhere in the file: not a reason to say present."""
    repo = upstream(tmp_path)
    new = edit(repo, "Lib/platform.py", "def f5():\n    return 5\n",
               "def f5():\n    return 6\n")
    sha = patch_commit(repo, {"Lib/platform.py": new}, "f5 returns 6")
    commit(repo, {"Lib/other.py": "x\n"}, "Unrelated")
    found = detect(repo, sha)
    assert found.state is UpstreamState.ABSENT
    assert found.hunks[0].verdict is Verdict.OUT


def test_mode_change(tmp_path):
    repo = upstream(tmp_path, {"Tools/build.sh": "echo build\n", "README": "r\n"})
    git(repo, "checkout", "-q", "--detach", "base")
    (repo / "Tools/build.sh").chmod(0o755)
    git(repo, "commit", "-q", "-am", "Make build.sh executable")
    sha = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"README": "readme\n"}, "Unrelated")
    assert detect(repo, sha).state is UpstreamState.ABSENT
    (repo / "Tools/build.sh").chmod(0o755)
    (repo / "README").write_text("readme, build.sh is executable\n")
    git(repo, "commit", "-q", "-am", "Upstream makes it executable too, with a README change")
    found = detect(repo, sha)
    assert found.state is UpstreamState.PRESENT
    assert (found.hunks[0].header, found.hunks[0].how) == ("mode", "same file")


def test_reverse_apply(tmp_path):
    """StGit's test: the patch's reverse applies to the ref and the patch does not."""
    repo = upstream(tmp_path)
    new = edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)
    sha = patch_commit(repo, {"Lib/platform.py": new}, "Fix f5")
    det = Detector(Git(repo), "main", "base")
    assert not det.reverse_applies(sha)
    commit(repo, {"Lib/platform.py": "# moved\n" * 7 + new}, "Fix f5 upstream")
    assert Detector(Git(repo), "main", "base").reverse_applies(sha)


def test_release_note_merged_into_the_release_notes(tmp_path):
    """A NEWS.d/next entry is gone from upstream's tree once released: its words, wrapped
    differently, are found in the release's notes."""
    repo = upstream(tmp_path)
    new = edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)
    note = "Fix :func:`platform.f5` on Emscripten, where it returned an empty\nstring.\n"
    sha = patch_commit(repo, {"Lib/platform.py": new,
                              "Misc/NEWS.d/next/Library/2023-02-01.gh-issue-4242.xyz.rst": note},
                       "Fix f5")
    release = ("Old news.\n\n.. gh-issue: 4242\n.. section: Library\n\n"
               "Fix :func:`platform.f5` on\nEmscripten, where it returned an empty string.\n")
    commit(repo, {"Lib/platform.py": new, "Misc/NEWS.d/3.12.0a2.rst": release},
           "Python 3.12.0a2")
    found = detect(repo, sha)
    assert found.state is UpstreamState.PRESENT
    assert [h.how for h in found.hunks] == ["in place", "release notes"]
    assert found.hunks_present == found.hunks_total == 2


def test_tests_rewritten_upstream_still_present(tmp_path):
    """Upstream took the fix but wrote its own test: present, and the note says so."""
    repo = upstream(tmp_path)
    new = edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)
    mine = edit(repo, "Lib/test/test_platform.py", "test line 3\n", "test line 3\nmy test\n")
    sha = patch_commit(repo, {"Lib/platform.py": new, "Lib/test/test_platform.py": mine}, "Fix")
    theirs = edit(repo, "Lib/test/test_platform.py", "test line 9\n", "test line 9\ntheirs\n")
    commit(repo, {"Lib/platform.py": new, "Lib/test/test_platform.py": theirs}, "Fix (#5)")
    found = detect(repo, sha)
    assert found.state is UpstreamState.PRESENT
    assert (found.hunks_present, found.hunks_total) == (1, 2)
    assert any(n.startswith("tests or release notes differ") for n in found.notes)


def test_only_tests_upstream_is_partial(tmp_path):
    repo = upstream(tmp_path)
    new = edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)
    test = edit(repo, "Lib/test/test_platform.py", "test line 3\n", "test line 3\nmy test\n")
    sha = patch_commit(repo, {"Lib/platform.py": new, "Lib/test/test_platform.py": test}, "Fix")
    commit(repo, {"Lib/test/test_platform.py": test}, "Upstream adds the test only")
    assert detect(repo, sha).state is UpstreamState.PARTIAL


def test_a_later_patch_of_the_series_changes_the_lines_again(tmp_path):
    """Patch 1 adds a line, patch 2 rewrites it; upstream has the end result. Judged one
    by one patch 1 is neither here nor contradicted; as a series both are present."""
    repo = upstream(tmp_path)
    one = edit(repo, "Lib/platform.py", FIX_OLD,
               "def f5():\n    value = encode_with_base64(five())\n    return value\n")
    first = patch_commit(repo, {"Lib/platform.py": one}, "Encode f5")
    two = one.replace("encode_with_base64(five())", "quote_for_url(five())")
    second = patch_commit(repo, {"Lib/platform.py": two}, "Encode f5 for URLs", on=first)
    commit(repo, {"Lib/platform.py": two}, "Encode f5 for URLs upstream")
    det = Detector(Git(repo), "main", "base")
    found = det.find_all([PatchChange("one", first), PatchChange("two", second)])
    assert [f.state for f in found] == [UpstreamState.PRESENT, UpstreamState.PRESENT]
    assert found[0].hunks[0].how == "changed again by two"
    alone = Detector(Git(repo), "main", "base").find(PatchChange("one", first))
    assert alone.state is UpstreamState.ABSENT


def test_links_alone_never_make_present(tmp_path):
    repo = upstream(tmp_path)
    new = edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)
    sha = patch_commit(repo, {"Lib/platform.py": new}, "gh-55: Fix f5")
    other = commit(repo, {"Lib/other.py": "another approach\n"}, "gh-55: Fix it differently (#56)")
    found = detect(repo, sha, message="gh-55: Fix f5\n", record={"pr": "#56"})
    assert found.state is UpstreamState.ABSENT
    assert [e.method for e in found.evidence] == [Method.GH_LINK, Method.PR_MERGE]
    assert found.evidence[0].commits == (other,)


def test_new_and_deleted_files(tmp_path):
    repo = upstream(tmp_path)
    sha = patch_commit(repo, {"Lib/new_module.py": "print('new')\nprint('module')\n",
                              "Lib/other.py": None}, "Add a module, drop another")
    found = detect(repo, sha)
    assert found.state is UpstreamState.ABSENT
    assert [h.verdict for h in found.hunks] == [Verdict.OUT, Verdict.OUT]
    commit(repo, {"Lib/new_module.py": "print('new')\nprint('module')\n"}, "Add the module")
    found = detect(repo, sha)
    assert found.state is UpstreamState.PARTIAL
    commit(repo, {"Lib/other.py": None}, "Drop the other")
    assert detect(repo, sha).state is UpstreamState.PRESENT


def test_binary_file(tmp_path):
    repo = upstream(tmp_path)
    blob = bytes(range(256)) * 4
    sha = patch_commit(repo, {"Lib/data.bin": blob}, "Add data")
    assert detect(repo, sha).state is UpstreamState.ABSENT
    commit(repo, {"Lib/data.bin": blob}, "Add the same data")
    found = detect(repo, sha)
    assert found.state is UpstreamState.PRESENT
    assert found.hunks[0].header == "binary"


def test_without_since_the_tree_alone_decides(tmp_path):
    repo = upstream(tmp_path)
    new = edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)
    sha = patch_commit(repo, {"Lib/platform.py": new}, "Fix f5")
    commit(repo, {"Lib/platform.py": new}, "Same fix")
    found = detect(repo, sha, since=None)
    assert found.state is UpstreamState.PRESENT
    assert found.method is Method.HUNKS
    assert found.evidence[0].commits == (found.ref_commit,)


def test_find_all_batches_and_matches_find(tmp_path):
    repo = upstream(tmp_path)
    new = edit(repo, "Lib/platform.py", FIX_OLD, FIX_NEW)
    a = patch_commit(repo, {"Lib/platform.py": new}, "Fix f5")
    b = patch_commit(repo, {"Lib/other.py": "mine\n"}, "Other", on=a)
    commit(repo, {"Lib/platform.py": new, "Lib/test/test_platform.py": "t\n"}, "Fix f5 (#3)")
    changes = [PatchChange("a", a), PatchChange("b", b)]
    batch = Detector(Git(repo), "main", "base").find_all(changes)
    single = [Detector(Git(repo), "main", "base").find(c) for c in changes]
    assert [f.as_json() for f in batch] == [f.as_json() for f in single]
    assert [f.state for f in batch] == [UpstreamState.PRESENT, UpstreamState.ABSENT]
    data = batch[0].as_map("2024-01-02T03:04:05Z")
    assert data["state"] == "present" and data["ref_commit"] == batch[0].ref_commit
    assert data["evidence"][0]["method"] == "hunks"


def test_links_parse():
    links = Links.parse("Origin: upstream, https://github.com/python/cpython/commit/abcdef1234\n"
                        "Bug: https://github.com/python/cpython/issues/42\n"
                        "see https://github.com/python/cpython/pull/43")
    assert links == Links(("abcdef1234",), ("42",), ("43",))
    assert not Links.parse("nothing here, not even agh-12")


@pytest.mark.parametrize("ref, message", [("nope", "does not resolve"),
                                          ("-x", "'-x' is refused: it is empty, starts with '-'")])
def test_unknown_ref_is_a_clear_error(tmp_path, ref, message):
    from patchq.errors import PatchqError

    repo = upstream(tmp_path)
    with pytest.raises(PatchqError, match=message):
        Detector(Git(repo), ref)
