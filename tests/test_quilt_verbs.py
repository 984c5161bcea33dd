"""next, previous, series, files, header, diff, rename NEW, refresh PATCH: quilt's verbs on a
real stack (the five-patch sample of stack_data)."""

from __future__ import annotations

import json

import pytest
from helpers import git, refs_snapshot, tree_snapshot
from stack_data import (
    SLUGS,
    patch_file,
    run_ok,
    series_names,
    template,  # noqa: F401 (fixtures)
    work,  # noqa: F401 (fixtures)
)
from test_stack_edit import lines, pq

from patchq.upstream_map import UpstreamMap


def edit_file(upstream, name, old, new):
    path = upstream / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def snapshot(upstream, repo):
    return (tree_snapshot(repo / "series"), (repo / "upstream_map.toml").read_bytes(),
            refs_snapshot(upstream), (upstream / "b.txt").read_bytes(),
            git(upstream, "status", "--porcelain"))


# -- next, previous, series ------------------------------------------------------------------


def test_next_and_previous_walk_the_series(work):
    _, repo = work
    run_ok(repo, "pop", "2")  # p-one, p-two, p-three applied
    assert lines(run_ok(repo, "next")) == ["p-four"]
    assert lines(run_ok(repo, "previous")) == ["p-two"]
    assert lines(run_ok(repo, "next", "p-one")) == ["p-two"]
    assert lines(run_ok(repo, "previous", "p-five")) == ["p-four"]
    res = pq(repo, "previous", "p-one")
    assert res.code == 1 and "No patch before p-one" in res.err
    res = pq(repo, "next", "p-five")
    assert res.code == 1 and "No patch after p-five" in res.err
    run_ok(repo, "push", "-a")
    res = pq(repo, "next")
    assert res.code == 1 and "fully applied, ends at patch p-five" in res.err
    run_ok(repo, "pop", "-a")
    res = pq(repo, "previous")
    assert res.code == 2 and "No patches applied" in res.err
    assert lines(run_ok(repo, "next")) == ["p-one"]
    res = pq(repo, "next", "nosuch")
    assert res.code == 1 and "Patch nosuch is not in series" in res.err


def test_series_marks_applied_and_top_like_quilt(work):
    _, repo = work
    run_ok(repo, "pop", "3")
    assert lines(run_ok(repo, "series")) == SLUGS
    assert lines(run_ok(repo, "series", "-v")) == [
        "+ p-one", "= p-two", "  p-three", "  p-four", "  p-five"]
    data = json.loads(run_ok(repo, "series", "--json").out)
    assert data["schema"] == "patchq-series/1" and data["track"] == "3.11"
    assert [(p["slug"], p["state"]) for p in data["patches"]] == [
        ("p-one", "applied"), ("p-two", "top"), ("p-three", "unapplied"),
        ("p-four", "unapplied"), ("p-five", "unapplied")]
    assert [p["file"] for p in data["patches"]] == series_names(repo)


# -- files, header, diff ---------------------------------------------------------------------


def test_files_header_and_diff_of_patches(work):
    upstream, repo = work
    run_ok(repo, "pop", "2")  # top: p-three
    assert lines(run_ok(repo, "files")) == ["a.txt"]
    assert lines(run_ok(repo, "files", "p-four")) == ["c.txt"]
    header = run_ok(repo, "header", "p-two").out
    assert "Subject: [PATCH 2/5] p-two" in header and "Change line 10 of b." in header
    assert "Ben Wasmer" in header and "diff --git" not in header
    diff = run_ok(repo, "diff", "p-two").out
    assert diff.startswith("diff --git a/b.txt b/b.txt") and "+b.txt line 10 (two)" in diff
    unapplied = run_ok(repo, "diff", "p-four").out
    assert "+c.txt line 3 (four)" in unapplied
    assert unapplied in patch_file(repo, "p-four").read_text()
    # the top patch with the work tree's changes, as quilt diff shows it
    edit_file(upstream, "e.txt", "e.txt line 2\n", "e.txt line 2 (wip)\n")
    top = run_ok(repo, "diff").out
    assert "+a.txt line 20 (three)" in top and "+e.txt line 2 (wip)" in top
    assert "e.txt" not in run_ok(repo, "diff", "--no-work-tree").out
    assert lines(run_ok(repo, "files")) == ["a.txt", "e.txt"]
    data = json.loads(run_ok(repo, "files", "p-two", "--json").out)
    assert data == {"schema": "patchq-files/1", "track": "3.11", "slug": "p-two",
                    "applied": True, "files": ["b.txt"]}
    res = pq(repo, "header", "nosuch")
    assert res.code == 1 and "Patch nosuch is not in series" in res.err


# -- rename NEW ------------------------------------------------------------------------------


def test_rename_top_and_with_P(work):
    upstream, repo = work
    res = run_ok(repo, "rename", "last")
    assert lines(res) == ["Patch p-five renamed to last (series/3.11/0005-last.patch)"]
    assert lines(run_ok(repo, "top")) == ["last"]
    assert "Patchq-Slug: last" in git(upstream, "log", "-1", "--format=%B", "patchq/3.11")
    run_ok(repo, "rename", "-P", "p-two", "second")
    assert series_names(repo)[1] == "0002-second.patch"
    umap = UpstreamMap.load(repo / "upstream_map.toml")
    assert umap.has_patch_track("second", "3.11") and not umap.has_patch_track("p-two", "3.11")
    assert lines(run_ok(repo, "series")) == ["p-one", "second", "p-three", "p-four", "last"]
    before = snapshot(upstream, repo)
    for args, said in ((["p-one"], "Patch p-one exists already"),
                       (["-P", "p-one", "bad name"], "is not a usable patch name"),
                       (["-P", "p-one", "--", "-x"], "is not a usable patch name"),
                       (["-P", "nosuch", "x"], "Patch nosuch is not in series")):
        res = pq(repo, "rename", *args)
        assert res.code == 1 and said in res.err, (args, res.text)
    res = pq(repo, "rename", "-P", "p-one", "a", "b")
    assert res.code == 2
    assert snapshot(upstream, repo) == before
    run_ok(repo, "pop", "-a")
    res = pq(repo, "rename", "x")
    assert res.code == 1 and "No patches applied" in res.err


# -- refresh PATCH ---------------------------------------------------------------------------


def test_refresh_a_patch_below_the_top(work):
    upstream, repo = work
    # the top is p-five; p-four (c.txt) gets a change to d.txt, p-five is rebuilt on it
    edit_file(upstream, "d.txt", "d.txt line 30\n", "d.txt line 30 (four)\n")
    five_before = patch_file(repo, "p-five").read_bytes()
    res = run_ok(repo, "refresh", "p-four")
    assert lines(res) == ["Refreshed patch p-four (series/3.11/0004-p-four.patch)"]
    text = patch_file(repo, "p-four").read_text()
    assert "+d.txt line 30 (four)" in text and "+c.txt line 3 (four)" in text
    assert patch_file(repo, "p-five").read_bytes() == five_before  # applied again, kept
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == ""
    assert lines(run_ok(repo, "top")) == ["p-five"]
    assert git(upstream, "diff", "patchq/3.11~1", "patchq/3.11", "--stat").count("|") == 1
    shown = git(upstream, "show", "--stat", "--format=%s", "patchq/3.11~1")
    assert "c.txt" in shown and "d.txt" in shown
    assert "nothing to write" in run_ok(repo, "export", "3.11").out
    run_ok(repo, "lint", "3.11", "--check-export")
    # -m rewords it too; an unchanged patch says so
    run_ok(repo, "refresh", "p-two", "-m", "p-two, reworded")
    assert "Subject: p-two, reworded" in patch_file(repo, "p-two").read_text()
    assert lines(run_ok(repo, "refresh", "p-one")) == ["Patch p-one is unchanged"]


def test_refresh_below_that_overlaps_changes_nothing(work):
    upstream, repo = work
    # p-five changes b.txt line 11; line 11 changed again conflicts with rebuilding p-five
    edit_file(upstream, "b.txt", "b.txt line 11 (five)\n", "b.txt line 11 (mine)\n")
    before = snapshot(upstream, repo)
    res = pq(repo, "refresh", "p-two")
    assert res.code == 1 and "patchq edit p-two" in res.err, res.text
    assert len(res.err.strip().splitlines()) == 1
    assert snapshot(upstream, repo) == before  # the change is still in the work tree
    res = pq(repo, "refresh", "p-three")  # a.txt: the change does not touch it, p-five
    assert res.code == 1  # cannot be rebuilt on p-three with the change in
    assert snapshot(upstream, repo) == before
    run_ok(repo, "pop", "2", "-f")
    res = pq(repo, "refresh", "p-five")
    assert res.code == 1 and "Patch p-five is not applied" in res.err


# -- --json on the stack verbs ---------------------------------------------------------------


def test_stack_verbs_json(work):
    upstream, repo = work
    data = json.loads(run_ok(repo, "pop", "2", "--json").out)
    assert data["schema"] == "patchq-pop/1" and data["popped"] == ["p-five", "p-four"]
    assert data["top"] == "p-three" and data["stop"] is None and data["code"] == 0
    data = json.loads(run_ok(repo, "applied", "--json").out)
    assert data["schema"] == "patchq-applied/1" and data["patches"] == SLUGS[:3]
    data = json.loads(run_ok(repo, "unapplied", "--json").out)
    assert data["patches"] == SLUGS[3:] and data["code"] == 0
    assert json.loads(run_ok(repo, "top", "--json").out)["patches"] == ["p-three"]
    data = json.loads(run_ok(repo, "push", "--json").out)
    assert data["schema"] == "patchq-push/1" and data["top"] == "p-four"
    assert [(p["slug"], p["how"]) for p in data["pushed"]] == [("p-four", "clean")]
    assert data["pushed"][0]["commit"] == git(upstream, "rev-parse", "patchq/3.11")
    run_ok(repo, "push", "-a")
    res = pq(repo, "push", "--json")
    data = json.loads(res.out)
    assert res.code == 2 and data["code"] == 2 and "fully applied" in data["message"]
    res = pq(repo, "unapplied", "--json")
    assert res.code == 1 and json.loads(res.out)["patches"] == []


@pytest.mark.parametrize("step", ["journaled", "ref-moved", "files-written"])
def test_refresh_below_killed_is_finished_by_the_next_command(work, step):
    import os
    import subprocess
    import sys

    upstream, repo = work
    edit_file(upstream, "d.txt", "d.txt line 30\n", "d.txt line 30 (four)\n")
    env = dict(os.environ, PATCHQ_TEST_CRASH_AT=step)
    res = subprocess.run([sys.executable, "-m", "patchq", "-C", str(repo), "refresh", "p-four"],
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == -9, res.stderr
    after = pq(repo, "top")
    assert after.code == 0 and "finished the interrupted patchq refresh" in after.err
    assert lines(after) == ["p-five"]
    assert "+d.txt line 30 (four)" in patch_file(repo, "p-four").read_text()
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == ""
    assert "nothing to write" in run_ok(repo, "export", "3.11").out


def test_header_m_and_e_reword_and_keep_the_diff(work, tmp_path, monkeypatch):
    upstream, repo = work
    run_ok(repo, "pop", "1")  # p-five unapplied
    edit_file(upstream, "e.txt", "e.txt line 2\n", "e.txt line 2 (wip)\n")  # stays as it is
    trees = git(upstream, "log", "--format=%T", "patchq/3.11")
    two = patch_file(repo, "p-two").read_bytes()
    res = run_ok(repo, "header", "p-two", "-m", "p-two, reworded\n\nA better reason.")
    assert lines(res) == ["Replaced header of patch p-two"]
    new = patch_file(repo, "p-two").read_bytes()
    assert b"Subject: [PATCH] p-two, reworded" in new or b"Subject: p-two, reworded" in new
    assert b"A better reason." in new and b"Change line 10 of b." not in new
    assert new[new.index(b"diff --git"):] == two[two.index(b"diff --git"):]
    assert git(upstream, "log", "--format=%T", "patchq/3.11") == trees
    assert "p-two, reworded" in git(upstream, "log", "--format=%s", "patchq/3.11")
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == "M e.txt"
    assert lines(run_ok(repo, "applied")) == SLUGS[:4]
    # the unapplied one: its file only; -e through $EDITOR
    script = tmp_path / "editor.sh"
    script.write_text("#!/bin/sh\nsed -i 's/^p-five$/p-five, edited/' \"$1\"\n")
    script.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(script))
    five = patch_file(repo, "p-five").read_bytes()
    assert lines(run_ok(repo, "header", "p-five", "-e")) == ["Replaced header of patch p-five"]
    edited = patch_file(repo, "p-five").read_bytes()
    assert b"p-five, edited" in edited
    assert edited[edited.index(b"diff --git"):] == five[five.index(b"diff --git"):]
    assert "p-five, edited" in run_ok(repo, "header", "p-five").out
    same = run_ok(repo, "header", "p-four", "-m", "p-four")  # p-four has no body
    assert lines(same) == ["Patch p-four is unchanged"]
    res = pq(repo, "header", "-m", "  ")
    assert res.code == 1 and "the description is empty" in res.err
    git(upstream, "checkout", "--", "e.txt")
    run_ok(repo, "push", "-a")
    assert "nothing to write" in run_ok(repo, "export", "3.11").out
