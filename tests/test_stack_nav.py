"""applied, unapplied, top, push, pop, goto: moving along the stack, conflicts included."""

from __future__ import annotations

import json

from helpers import commit, git, patchq, refs_snapshot, tree_snapshot
from stack_data import SLUGS, patch_file, run_ok, series_names, state_file, template, work  # noqa: F401 (fixtures)


def pq(repo, *args):
    return patchq("-C", str(repo), *args)


def lines(res) -> list[str]:
    return res.out.splitlines()


def tip(upstream, branch="patchq/3.11") -> str:
    return git(upstream, "rev-parse", branch)


# -- listing ---------------------------------------------------------------------------------


def test_lists_follow_quilt(work):
    _, repo = work
    assert lines(run_ok(repo, "applied")) == SLUGS
    assert lines(run_ok(repo, "top")) == ["p-five"]
    res = pq(repo, "unapplied")
    assert res.code == 1 and "File series fully applied, ends at patch p-five" in res.err
    assert lines(run_ok(repo, "applied", "p-two")) == ["p-one", "p-two"]
    assert lines(run_ok(repo, "unapplied", "p-three")) == ["p-four", "p-five"]
    # a file name or a path into the series works like a slug (quilt takes patches/x.diff)
    assert lines(run_ok(repo, "applied", "series/3.11/0002-p-two.patch")) == ["p-one", "p-two"]
    run_ok(repo, "pop", "-a")
    res = pq(repo, "applied")
    assert res.code == 1 and "No patches applied" in res.err
    res = pq(repo, "top")
    assert res.code == 2 and "No patches applied" in res.err
    assert lines(run_ok(repo, "unapplied")) == SLUGS


def test_unknown_patch_is_not_in_series(work):
    _, repo = work
    res = pq(repo, "push", "nope")
    assert res.code == 1 and "Patch nope is not in series" in res.err
    res = pq(repo, "applied", "nope")
    assert res.code == 1 and "not in series" in res.err


# -- push and pop ---------------------------------------------------------------------------------


def test_pop_push_round_trip_changes_nothing(work):
    upstream, repo = work
    before_tip, before_files = tip(upstream), tree_snapshot(repo)
    res = run_ok(repo, "pop")
    assert lines(res) == ["Removing patch p-five", "", "Now at patch p-four"]
    res = run_ok(repo, "pop", "2")
    assert lines(res)[:2] == ["Removing patch p-four", "Removing patch p-three"]
    assert lines(run_ok(repo, "top")) == ["p-two"]
    assert lines(run_ok(repo, "unapplied")) == ["p-three", "p-four", "p-five"]
    assert git(upstream, "show", "HEAD:a.txt") == git(upstream, "show", "v1:a.txt") \
        .replace("a.txt line 5\n", "a.txt line 5 (one)\n")
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == ""
    res = run_ok(repo, "push")
    assert lines(res) == ["Applying patch p-three", "", "Now at patch p-three"]
    res = run_ok(repo, "push", "-a")
    assert lines(res) == ["Applying patch p-four", "Applying patch p-five", "",
                          "Now at patch p-five"]
    res = pq(repo, "push")
    assert res.code == 2 and "File series fully applied, ends at patch p-five" in res.err
    # the same series on the same base gives the same commits; nothing to export
    assert tip(upstream) == before_tip
    assert "nothing to write" in run_ok(repo, "export", "3.11").out
    assert tree_snapshot(repo) == before_files


def test_targets_like_quilt(work):
    upstream, repo = work
    run_ok(repo, "pop", "p-two")  # until p-two is on top
    assert lines(run_ok(repo, "top")) == ["p-two"]
    res = pq(repo, "pop", "p-two")
    assert res.code == 2 and "No patch removed" in res.err
    res = pq(repo, "pop", "p-four")
    assert res.code == 1 and "Patch p-four is not applied" in res.err
    res = pq(repo, "push", "p-one")
    assert res.code == 2 and "Patch p-one is currently applied" in res.err
    run_ok(repo, "push", "p-four")  # up to and including
    assert lines(run_ok(repo, "applied")) == SLUGS[:4]
    run_ok(repo, "push", "9")  # more than there are: all
    assert lines(run_ok(repo, "top")) == ["p-five"]
    run_ok(repo, "pop", "-a")
    res = pq(repo, "pop")
    assert res.code == 2 and "No patch removed" in res.err
    assert tip(upstream) == git(upstream, "rev-parse", "v1")
    res = pq(repo, "push", "-a", "p-two")
    assert res.code == 2 and "not two" in res.text


def test_goto_pushes_or_pops(work):
    _, repo = work
    res = run_ok(repo, "goto", "p-two")
    assert "Removing patch p-three" in res.out and lines(res)[-1] == "Now at patch p-two"
    res = run_ok(repo, "goto", "p-four")
    assert "Applying patch p-four" in res.out and lines(res)[-1] == "Now at patch p-four"
    res = run_ok(repo, "goto", "p-four")
    assert "Now at patch p-four" in res.out


def test_export_keeps_popped_patches(work):
    upstream, repo = work
    run_ok(repo, "pop", "3")
    before = tree_snapshot(repo)
    res = run_ok(repo, "export", "3.11")
    assert "nothing to write" in res.out
    assert tree_snapshot(repo) == before
    # a commit made with git on the branch lands after the applied part, before the rest
    commit(upstream, {"e.txt": "new e\n"}, "Handmade fix")
    run_ok(repo, "export", "3.11")
    names = series_names(repo)
    assert [n.split("-", 1)[1] for n in names] == [
        "p-one.patch", "p-two.patch", "Handmade-fix.patch", "p-three.patch", "p-four.patch",
        "p-five.patch"]
    for slug in SLUGS:  # popped or applied, every file stays byte for byte
        path = patch_file(repo, slug)
        assert path.read_bytes() == before[path.relative_to(repo).as_posix()]
    assert lines(run_ok(repo, "unapplied")) == ["p-three", "p-four", "p-five"]


def test_dirty_work_tree(work):
    upstream, repo = work
    run_ok(repo, "pop")
    (upstream / "d.txt").write_text("local change\n")
    res = pq(repo, "push")
    assert res.code == 1 and "uncommitted changes (d.txt)" in res.err
    assert "patchq refresh" in res.err
    res = pq(repo, "pop")
    assert res.code == 1 and "Patch p-four does not remove cleanly" in res.err and "-f" in res.err
    assert lines(run_ok(repo, "top")) == ["p-four"]
    res = run_ok(repo, "pop", "-f")
    assert lines(run_ok(repo, "top")) == ["p-three"]
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == ""


def test_untracked_file_in_the_way(work):
    upstream, repo = work
    run_ok(repo, "pop", "-a")
    run_ok(repo, "new", "adds-file")
    (upstream / "new.txt").write_text("added\n")
    git(upstream, "add", "new.txt")
    run_ok(repo, "refresh")
    run_ok(repo, "pop")
    (upstream / "new.txt").write_text("mine, untracked\n")
    before = refs_snapshot(upstream)
    res = pq(repo, "push")
    assert res.code == 1 and "untracked files" in res.err and "new.txt" in res.err
    assert refs_snapshot(upstream) == before and not state_file(upstream).exists()
    assert (upstream / "new.txt").read_text() == "mine, untracked\n"


def test_pop_refuses_unexported_commit(work):
    upstream, repo = work
    (upstream / "e.txt").write_text("amended\n")
    git(upstream, "commit", "-q", "-a", "--amend", "--no-edit")
    before = refs_snapshot(upstream)
    res = pq(repo, "pop")
    assert res.code == 1 and "p-five has changes on patchq/3.11" in res.err
    assert "patchq export 3.11" in res.err
    assert refs_snapshot(upstream) == before
    run_ok(repo, "export", "3.11")
    run_ok(repo, "pop")
    run_ok(repo, "push")
    assert git(upstream, "show", "HEAD:e.txt") == "amended"


def test_track_option_moves_a_branch_not_checked_out(work):
    upstream, repo = work
    git(upstream, "checkout", "-q", "main")
    res = pq(repo, "top")
    assert res.code == 1 and "no track's queue branch is checked out" in res.err
    run_ok(repo, "pop", "--track", "3.11", "2")
    assert git(upstream, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert lines(run_ok(repo, "top", "-t", "3.11")) == ["p-three"]
    run_ok(repo, "push", "-a", "-t", "3.11")
    assert lines(run_ok(repo, "top", "-t", "3.11")) == ["p-five"]
    assert git(upstream, "status", "--porcelain") == ""


def test_no_queue_branch(work):
    upstream, repo = work
    git(upstream, "checkout", "-q", "main")
    git(upstream, "branch", "-D", "patchq/3.11")
    res = pq(repo, "push", "-t", "3.11")
    assert res.code == 1 and "no queue branch patchq/3.11" in res.err
    assert "patchq checkout 3.11" in res.err
    res = pq(repo, "push", "-t", "9.9")
    assert res.code == 1 and "unknown track" in res.err


def test_empty_patch_pushes_and_pops(work):
    _, repo = work
    run_ok(repo, "new", "empty-one", "-m", "Nothing yet")
    run_ok(repo, "pop")
    res = run_ok(repo, "push")
    assert "Patch empty-one appears to be empty; applied" in res.out
    run_ok(repo, "pop")
    assert lines(run_ok(repo, "unapplied")) == ["empty-one"]


# -- conflicts -------------------------------------------------------------------------------------


def conflict_setup(upstream, repo):
    """Make p-two conflict: a new patch below it changes the line p-two changes."""
    run_ok(repo, "goto", "p-one")
    run_ok(repo, "new", "clash")
    text = (upstream / "b.txt").read_text().replace("b.txt line 10\n", "b.txt line 10 (clash)\n")
    (upstream / "b.txt").write_text(text)
    run_ok(repo, "refresh")


def test_conflict_stops_then_push_finishes(work):
    upstream, repo = work
    conflict_setup(upstream, repo)
    res = pq(repo, "push", "-a")
    assert res.code == 1
    assert "patch p-two does not apply cleanly: conflicts in b.txt" in res.err
    assert "`git add`" in res.err and "`patchq push`" in res.err and "`patchq pop`" in res.err
    assert "<<<<<<<" in (upstream / "b.txt").read_text()
    state = json.loads(state_file(upstream).read_text())
    assert state["verb"] == "push" and state["slug"] == "p-two"
    assert lines(run_ok(repo, "top")) == ["clash"]
    # other commands wait for it, and say what to do
    for args in (("new", "x"), ("refresh",), ("checkout", "3.11")):
        res = pq(repo, *args)
        assert res.code == 1 and "in progress" in res.err and "patchq push" in res.err, args
    res = pq(repo, "push")
    assert res.code == 1 and "still has conflicts in b.txt" in res.err
    resolved = git(upstream, "show", "v1:b.txt").replace("b.txt line 10\n",
                                                         "b.txt line 10 (two)\n")
    (upstream / "b.txt").write_text(resolved + "\n")
    git(upstream, "add", "b.txt")
    (upstream / "d.txt").write_text("stray edit\n")
    res = pq(repo, "push")
    assert res.code == 1 and "changes to d.txt are not added" in res.err
    git(upstream, "checkout", "--", "d.txt")
    res = run_ok(repo, "push")
    assert "Applied patch p-two as resolved in the work tree" in res.out
    assert "Applying patch p-five" in res.out and lines(res)[-1] == "Now at patch p-five"
    assert not state_file(upstream).exists()
    text = patch_file(repo, "p-two").read_text()  # the file follows the resolution
    assert "-b.txt line 10 (clash)" in text and "+b.txt line 10 (two)" in text
    assert text.startswith("From ") and "Change line 10 of b." in text
    assert "nothing to write" in run_ok(repo, "export", "3.11").out
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == ""


def test_conflict_backed_out_by_pop(work):
    upstream, repo = work
    conflict_setup(upstream, repo)
    before = refs_snapshot(upstream)
    assert pq(repo, "push").code == 1
    res = run_ok(repo, "pop")
    assert "Removing patch p-two (the stopped push)" in res.out
    assert lines(res)[-1] == "Now at patch clash"
    assert refs_snapshot(upstream) == before
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == ""
    assert not state_file(upstream).exists()
    assert lines(run_ok(repo, "unapplied"))[0] == "p-two"


def test_patch_without_blob_ids_leaves_rejects(work):
    upstream, repo = work
    path = patch_file(repo, "p-four")
    text = path.read_text()
    plain = "Description: p-four, as plain diff\n\n" + "".join(
        ln + "\n" for ln in text[text.index("--- a/c.txt"):].splitlines()
        if not ln.startswith(("-- ", "2."))).rstrip("\n").rsplit("\n", 0)[0]
    run_ok(repo, "pop", "p-three")
    path.write_text(plain + "\n")
    git(upstream, "checkout", "-q", "patchq/3.11")
    (upstream / "c.txt").write_text((upstream / "c.txt").read_text()
                                    .replace("c.txt line 3\n", "c.txt line 3 (moved)\n"))
    git(upstream, "commit", "-q", "-a", "-m", "Move c\n\nPatchq-Slug: move-c")
    run_ok(repo, "export", "3.11")
    res = pq(repo, "push")
    assert res.code == 1 and "no blob ids" in res.err and "c.txt.rej" in res.err
    assert (upstream / "c.txt.rej").exists()
    res = pq(repo, "push")
    assert res.code == 1 and "c.txt.rej still exists" in res.err
    (upstream / "c.txt").write_text((upstream / "c.txt").read_text()
                                    .replace("c.txt line 3 (moved)\n", "c.txt line 3 (four)\n"))
    (upstream / "c.txt.rej").unlink()
    git(upstream, "add", "c.txt")
    res = run_ok(repo, "push")
    assert "Applied patch p-four as resolved" in res.out
    new_text = patch_file(repo, "p-four").read_text()
    assert new_text.startswith("Description: p-four, as plain diff")
    assert "+c.txt line 3 (four)" in new_text and "-c.txt line 3 (moved)" in new_text


def test_conflict_on_branch_not_checked_out_stops_before_it(work):
    upstream, repo = work
    conflict_setup(upstream, repo)
    git(upstream, "checkout", "-q", "main")
    res = pq(repo, "push", "-a", "-t", "3.11")
    assert res.code == 1 and "patch p-two does not apply on patchq/3.11" in res.err
    assert "git -C" in res.err and "switch patchq/3.11" in res.err
    assert not state_file(upstream).exists()
    assert lines(run_ok(repo, "top", "-t", "3.11")) == ["clash"]


def test_unreadable_patch_stops_before_it(work):
    upstream, repo = work
    run_ok(repo, "pop")
    patch_file(repo, "p-five").write_text("Subject: broken\n\n--- a/b.txt\n+++ b/b.txt\n"
                                          "@@ -9,3 +9,3 @@\n b.txt line 9\n-b.txt\n")
    res = pq(repo, "push")
    assert res.code == 1 and "patch p-five cannot be applied at all" in res.err
    assert not state_file(upstream).exists()
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == ""
    assert lines(run_ok(repo, "top")) == ["p-four"]


def test_backing_out_removes_what_the_stopped_apply_left(work):
    upstream, repo = work
    run_ok(repo, "pop", "p-three")
    path = patch_file(repo, "p-four")
    path.write_text("Description: new file and a clash, no blob ids\n\n"
                    "--- /dev/null\n+++ b/docs/new.txt\n@@ -0,0 +1 @@\n+new\n"
                    "--- a/c.txt\n+++ b/c.txt\n@@ -2,3 +2,3 @@\n c.txt line 2\n"
                    "-c.txt line 3 (elsewhere)\n+c.txt line 3 (four)\n c.txt line 4\n")
    git(repo, "commit", "-q", "-a", "-m", "p-four without blob ids")
    res = pq(repo, "push")
    assert res.code == 1 and "c.txt.rej" in res.err
    assert (upstream / "docs" / "new.txt").exists() and (upstream / "c.txt.rej").exists()
    run_ok(repo, "pop")
    assert not (upstream / "docs").exists() and not (upstream / "c.txt.rej").exists()
    assert git(upstream, "status", "--porcelain") == ""
