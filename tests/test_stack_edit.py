"""new, refresh, delete, rename, fold, edit: changing the stack keeps branch, files and map in step."""

from __future__ import annotations

from helpers import git, patchq, refs_snapshot, tree_snapshot
from stack_data import (
    SLUGS,
    patch_file,
    run_ok,
    series_names,
    state_file,
    template,  # noqa: F401 (fixtures)
    work,  # noqa: F401 (fixtures)
)

from patchq.upstream_map import UpstreamMap


def pq(repo, *args):
    return patchq("-C", str(repo), *args)


def lines(res) -> list[str]:
    return res.out.splitlines()


def record(repo, slug, track="3.11"):
    umap = UpstreamMap.load(repo / "upstream_map.toml")
    return umap.patch(slug).get("tracks", {}).get(track, {})


def export_is_clean(repo):
    res = run_ok(repo, "export", "3.11")
    assert "nothing to write" in res.out, res.out
    res = run_ok(repo, "lint", "3.11", "--check-export")


def edit_file(upstream, name, old, new):
    path = upstream / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# -- new and refresh -------------------------------------------------------------------------------


def test_new_goes_after_the_top_and_refresh_fills_it(work):
    upstream, repo = work
    run_ok(repo, "pop", "3")
    edit_file(upstream, "d.txt", "d.txt line 7\n", "d.txt line 7 (new)\n")  # dirty is fine
    res = run_ok(repo, "new", "fix-d", "-m", "Fix d\n\nBecause d needs it.")
    assert lines(res) == ["Patch fix-d is now on top (series/3.11/0003-fix-d.patch)"]
    assert series_names(repo)[2] == "0003-fix-d.patch"
    assert [n.split("-", 1)[1] for n in series_names(repo)] == [
        "p-one.patch", "p-two.patch", "fix-d.patch", "p-three.patch", "p-four.patch",
        "p-five.patch"]
    text = patch_file(repo, "fix-d").read_text()
    assert "Subject: Fix d" in text and "Because d needs it." in text and "diff" not in text
    assert "Date: Mon, 06 May 2024 07:08:09 +0000" in text
    assert record(repo, "fix-d") == {"carried": True, "since": "2024-05-06"}
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == "M d.txt"
    assert lines(run_ok(repo, "top")) == ["fix-d"]
    res = run_ok(repo, "refresh")
    assert lines(res) == ["Refreshed patch fix-d (series/3.11/0003-fix-d.patch)"]
    text = patch_file(repo, "fix-d").read_text()
    assert "+d.txt line 7 (new)" in text and text.startswith("From 0000")
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == ""
    run_ok(repo, "push", "-a")
    export_is_clean(repo)
    res = run_ok(repo, "refresh")
    assert lines(res) == ["Patch p-five is unchanged"]


def test_new_refuses_existing_names(work):
    _, repo = work
    res = pq(repo, "new", "p-two")
    assert res.code == 1 and "Patch p-two exists already" in res.err
    res = pq(repo, "new", "../evil")
    assert res.code == 1 and "escapes" in res.err
    res = pq(repo, "new", "has space")
    assert res.code == 1 and "not a usable patch name" in res.err


def test_refresh_keeps_header_and_changes_description(work):
    upstream, repo = work
    run_ok(repo, "goto", "p-two")
    before = patch_file(repo, "p-two").read_bytes()
    res = run_ok(repo, "refresh", "-m", "p-two, reworded\n\nA new body.")
    assert "Refreshed patch p-two" in res.out
    after = patch_file(repo, "p-two").read_bytes()
    # the description changed, the diff part stayed byte for byte
    assert b"Subject: p-two, reworded" in after and b"A new body." in after
    assert after[after.index(b"\n---\n"):] == before[before.index(b"\n---\n"):]
    assert git(upstream, "log", "-1", "--format=%s%n%b", "HEAD").startswith("p-two, reworded")
    assert git(upstream, "log", "-1", "--format=%an", "HEAD") == "Ben Wasmer"
    edit_file(upstream, "b.txt", "b.txt line 30\n", "b.txt line 30 (more)\n")
    run_ok(repo, "refresh")
    text = patch_file(repo, "p-two").read_text()
    assert "Subject: p-two, reworded" in text and "+b.txt line 30 (more)" in text
    run_ok(repo, "push", "-a")
    export_is_clean(repo)


def test_refresh_needs_the_work_tree(work):
    upstream, repo = work
    git(upstream, "checkout", "-q", "main")
    res = pq(repo, "refresh", "-t", "3.11")
    assert res.code == 1 and "not checked out" in res.err and "switch patchq/3.11" in res.err
    git(upstream, "checkout", "-q", "patchq/3.11")
    run_ok(repo, "pop", "-a")
    res = pq(repo, "refresh")
    assert res.code == 1 and "No patches applied" in res.err


# -- delete ------------------------------------------------------------------------------------------


def test_delete_top_keeps_file_like_quilt(work):
    _, repo = work
    path = patch_file(repo, "p-five")
    res = run_ok(repo, "delete")
    assert lines(res) == ["Removing patch p-five", "Removed patch p-five",
                          "Now at patch p-four"]
    assert path.exists() and "0005-p-five.patch" not in series_names(repo)
    assert record(repo, "p-five")["carried"] is False
    assert lines(run_ok(repo, "applied")) == SLUGS[:4]
    export_is_clean_but_unlisted(repo)


def export_is_clean_but_unlisted(repo):
    res = run_ok(repo, "export", "3.11")
    assert "nothing to write" in res.out


def test_delete_in_the_middle_replays_the_rest(work):
    upstream, repo = work
    path = patch_file(repo, "p-three")
    res = run_ok(repo, "delete", "p-three", "-r", "--backup")
    assert "Removed patch p-three (deleted series/3.11/0003-p-three.patch)" in res.out
    assert lines(res)[-1] == "Now at patch p-five"
    assert not path.exists() and path.with_name(path.name + "~").exists()
    assert lines(run_ok(repo, "applied")) == ["p-one", "p-two", "p-four", "p-five"]
    assert "(three)" not in (upstream / "a.txt").read_text()
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == ""
    export_is_clean_but_unlisted(repo)


def test_delete_refused_when_a_patch_above_needs_it(work):
    upstream, repo = work
    before_refs, before_files = refs_snapshot(upstream), tree_snapshot(repo)
    res = pq(repo, "delete", "p-two")
    assert res.code == 1 and "p-five does not apply without p-two" in res.err
    assert "patchq goto p-two" in res.err
    assert refs_snapshot(upstream) == before_refs and tree_snapshot(repo) == before_files
    assert not state_file(upstream).exists()


def test_delete_unapplied_with_dirty_tree(work):
    upstream, repo = work
    run_ok(repo, "pop", "2")
    edit_file(upstream, "d.txt", "d.txt line 1\n", "dirty\n")
    run_ok(repo, "delete", "p-five", "-r")
    assert lines(run_ok(repo, "unapplied")) == ["p-four"]
    assert (upstream / "d.txt").read_text().startswith("dirty")


# -- rename ------------------------------------------------------------------------------------------


def test_rename_applied_moves_file_record_and_trailer(work):
    upstream, repo = work
    tree_before = git(upstream, "rev-parse", "HEAD^{tree}")
    data = patch_file(repo, "p-two").read_bytes()
    res = run_ok(repo, "rename", "p-two", "second")
    assert lines(res) == ["Patch p-two renamed to second (series/3.11/0002-second.patch)"]
    assert patch_file(repo, "second").read_bytes() == data
    assert not list((repo / "series" / "3.11").glob("*p-two*"))
    assert record(repo, "second")["carried"] is True and record(repo, "p-two") == {}
    assert lines(run_ok(repo, "applied"))[1] == "second"
    assert git(upstream, "rev-parse", "HEAD^{tree}") == tree_before
    assert "Patchq-Slug: second" in git(upstream, "log", "--format=%B", "-1", "HEAD~3")
    export_is_clean(repo)
    res = pq(repo, "rename", "second", "p-four")
    assert res.code == 1 and "exists already" in res.err


def test_rename_unapplied(work):
    _, repo = work
    run_ok(repo, "pop", "-a")
    run_ok(repo, "rename", "p-five", "last.diff")
    assert series_names(repo)[-1] == "last.diff"
    run_ok(repo, "push", "-a")
    assert lines(run_ok(repo, "top")) == ["last"]
    export_is_clean(repo)


# -- fold --------------------------------------------------------------------------------------------


def test_fold_applied_into_the_one_below(work):
    upstream, repo = work
    tree_before = git(upstream, "rev-parse", "HEAD^{tree}")
    res = run_ok(repo, "fold", "p-three")
    assert lines(res) == ["Folded patch p-three into p-two", "Now at patch p-five"]
    text = patch_file(repo, "p-two").read_text()
    assert "+b.txt line 10 (two)" in text and "+a.txt line 20 (three)" in text
    assert "Change line 10 of b." in text  # the lower patch keeps its description
    assert not list((repo / "series" / "3.11").glob("*p-three*"))
    assert record(repo, "p-three") == {"carried": False, "since": record(repo, "p-three")["since"],
                                       "folded_into": "p-two"}
    assert git(upstream, "rev-parse", "HEAD^{tree}") == tree_before
    assert lines(run_ok(repo, "applied")) == ["p-one", "p-two", "p-four", "p-five"]
    export_is_clean(repo)


def test_fold_next_unapplied_into_top(work):
    upstream, repo = work
    run_ok(repo, "pop", "2")
    res = run_ok(repo, "fold", "p-four")
    assert lines(res) == ["Folded patch p-four into p-three", "Now at patch p-three"]
    assert "(four)" in (upstream / "c.txt").read_text()
    assert lines(run_ok(repo, "unapplied")) == ["p-five"]
    res = pq(repo, "fold", "p-one")
    assert res.code == 1 and "first patch" in res.err
    run_ok(repo, "pop")
    res = pq(repo, "fold", "p-five")
    assert res.code == 1 and "not applied" in res.err
    export_is_clean(repo)


# -- edit --------------------------------------------------------------------------------------------


def test_edit_then_continue(work):
    upstream, repo = work
    res = run_ok(repo, "edit", "p-two")
    assert "Removing patch p-three" in res.out and "Now at patch p-two" in res.out
    assert "patchq edit --continue" in res.out
    res = pq(repo, "checkout", "3.11")
    assert res.code == 1 and "edit" in res.err and "patchq edit --continue" in res.err
    res = pq(repo, "edit", "p-one")
    assert res.code == 1 and "an edit of p-two is in progress" in res.err
    edit_file(upstream, "b.txt", "b.txt line 25\n", "b.txt line 25 (edited)\n")
    res = run_ok(repo, "edit", "--continue")
    assert "Refreshed patch p-two" in res.out and lines(res)[-1] == "Now at patch p-five"
    assert "+b.txt line 25 (edited)" in patch_file(repo, "p-two").read_text()
    assert not state_file(upstream).exists()
    export_is_clean(repo)
    res = pq(repo, "edit", "--continue")
    assert res.code == 1 and "no edit is in progress" in res.err


def test_edit_abort_and_dirty(work):
    upstream, repo = work
    before = git(upstream, "rev-parse", "HEAD")
    run_ok(repo, "edit", "p-three")
    run_ok(repo, "new", "inserted", "-m", "Inserted while editing")  # allowed during an edit
    edit_file(upstream, "e.txt", "e.txt line 2\n", "x\n")
    res = pq(repo, "edit", "--abort")
    assert res.code == 1 and "patchq edit --continue" in res.err
    git(upstream, "checkout", "--", "e.txt")
    res = run_ok(repo, "edit", "--abort")
    assert lines(res)[-1] == "Now at patch p-five"
    assert lines(run_ok(repo, "applied")) == ["p-one", "p-two", "p-three", "inserted",
                                              "p-four", "p-five"]
    assert git(upstream, "rev-parse", "HEAD") != before
    edit_file(upstream, "e.txt", "e.txt line 2\n", "x\n")
    res = pq(repo, "edit", "p-one")
    assert res.code == 1 and "uncommitted changes" in res.err


def test_refresh_of_a_p0_patch_makes_it_p1(work):
    upstream, repo = work
    path = patch_file(repo, "p-four")
    text = path.read_text()
    diff = text[text.index("--- a/c.txt"):].split("\n-- \n")[0] + "\n"
    plain = diff.replace("--- a/c.txt", "--- c.txt").replace("+++ b/c.txt", "+++ c.txt")
    run_ok(repo, "pop", "2")
    path.write_text("Description: p-four as -p0\nForwarded: no\n\n" + plain)
    series = repo / "series" / "3.11" / "series"
    series.write_text(series.read_text().replace(path.name, path.name + " -p0"))
    run_ok(repo, "push")
    edit_file(upstream, "c.txt", "c.txt line 30\n", "c.txt line 30 (p0)\n")
    run_ok(repo, "refresh")
    new = path.read_text()
    assert new.startswith("Description: p-four as -p0\nForwarded: no\n")
    assert "--- a/c.txt" in new and "+c.txt line 30 (p0)" in new
    assert f"{path.name} -p0" not in series.read_text() and path.name in series.read_text()
    run_ok(repo, "pop")
    run_ok(repo, "push", "-a")
    export_is_clean(repo)
