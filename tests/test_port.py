"""port: one track's patch onto another track's queue, 3-way, with the link in the map."""

from __future__ import annotations

import shutil

from helpers import commit, git, patchq, refs_snapshot, tree_snapshot
from stack_data import patch_file, run_ok, series_names, state_file, template, work  # noqa: F401 (fixtures)

from patchq.upstream_map import UpstreamMap


def track_313(upstream, repo, slugs, checkout=True, base="3.13", track="3.13"):
    """Track 3.13 with only some of the patches, its queue checked out."""
    incoming = upstream.parent / "incoming"
    subset = upstream.parent / f"subset-{track}"
    subset.mkdir()
    for path in incoming.iterdir():
        if any(path.name.endswith(f"-{s}.patch") for s in slugs):
            shutil.copy(path, subset / path.name)
    run_ok(repo, "import", str(subset), "--track", track, "--base", base)
    if checkout:
        run_ok(repo, "checkout", track)


def record(repo, slug):
    return UpstreamMap.load(repo / "upstream_map.toml").patch(slug)


def lines(res) -> list[str]:
    return res.out.splitlines()


def test_port_that_applies_copies_the_file(work):
    upstream, repo = work
    track_313(upstream, repo, ["p-one", "p-two"])
    res = run_ok(repo, "port", "p-four", "--from", "3.11", "--to", "3.13")
    assert lines(res) == [("Ported 3.11:p-four to 3.13 as p-four "
                           "(series/3.13/0003-p-four.patch)"), "Now at patch p-four"]
    assert patch_file(repo, "p-four", "3.13").read_bytes() == \
        patch_file(repo, "p-four").read_bytes()
    assert series_names(repo, "3.13")[-1] == "0003-p-four.patch"
    assert record(repo, "p-four")["tracks"]["3.13"]["ported_from"] == "3.11:p-four"
    assert lines(run_ok(repo, "applied"))[-1] == "p-four"
    assert "nothing to write" in run_ok(repo, "export", "3.13").out


def test_port_with_3way_refreshes_the_file_for_the_target(work):
    upstream, repo = work
    track_313(upstream, repo, ["p-one"])
    res = run_ok(repo, "port", "p-two", "--from", "3.11", "--to", "3.13")
    assert "(3-way merge; the file was refreshed for 3.13)" in res.out
    text = patch_file(repo, "p-two", "3.13").read_text()
    assert " b.txt line 12 (3.13)" in text and "+b.txt line 10 (two)" in text
    assert "Change line 10 of b." in text and "From: Ben Wasmer" in text
    assert "nothing to write" in run_ok(repo, "export", "3.13").out
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == ""


def test_port_inserts_after_the_top_of_a_partial_stack(work):
    upstream, repo = work
    track_313(upstream, repo, ["p-one", "p-three"])
    run_ok(repo, "pop")
    run_ok(repo, "port", "p-four", "--from", "3.11", "--to", "3.13")
    assert [n.split("-", 1)[1] for n in series_names(repo, "3.13")] == [
        "p-one.patch", "p-four.patch", "p-three.patch"]
    assert lines(run_ok(repo, "unapplied")) == ["p-three"]


def test_port_conflict_stops_like_push(work):
    upstream, repo = work
    track_313(upstream, repo, ["p-one"])
    run_ok(repo, "new", "clash")
    path = upstream / "b.txt"
    path.write_text(path.read_text().replace("b.txt line 10\n", "b.txt line 10 (clash)\n"))
    run_ok(repo, "refresh")
    res = patchq("-C", str(repo), "port", "p-two", "--from", "3.11", "--to", "3.13")
    assert res.code == 1 and "Added p-two to the series of 3.13" in res.out
    assert "patch p-two does not apply cleanly: conflicts in b.txt" in res.err
    assert "patchq push" in res.err
    assert state_file(upstream).exists()
    path.write_text(path.read_text().split("<<<<<<<")[0] + "b.txt line 10 (two)\n" +
                    path.read_text().split(">>>>>>> theirs\n")[1])
    git(upstream, "add", "b.txt")
    res = run_ok(repo, "push")
    assert "Applied patch p-two as resolved" in res.out
    assert record(repo, "p-two")["tracks"]["3.13"]["ported_from"] == "3.11:p-two"
    assert "-b.txt line 10 (clash)" in patch_file(repo, "p-two", "3.13").read_text()


def test_port_conflict_elsewhere_changes_nothing(work):
    upstream, repo = work
    track_313(upstream, repo, ["p-one"])
    run_ok(repo, "new", "clash")
    path = upstream / "b.txt"
    path.write_text(path.read_text().replace("b.txt line 10\n", "b.txt line 10 (clash)\n"))
    run_ok(repo, "refresh")
    git(upstream, "checkout", "-q", "patchq/3.11")
    before_refs, before_files = refs_snapshot(upstream), tree_snapshot(repo)
    res = patchq("-C", str(repo), "port", "p-two", "--from", "3.11", "--to", "3.13")
    assert res.code == 1 and "does not apply on patchq/3.13" in res.err
    assert "switch patchq/3.13" in res.err
    assert refs_snapshot(upstream) == before_refs and tree_snapshot(repo) == before_files


def test_port_refuses_what_the_target_has(work):
    upstream, repo = work
    track_313(upstream, repo, ["p-one", "p-four"])
    res = patchq("-C", str(repo), "port", "p-one", "--from", "3.11", "--to", "3.13")
    assert res.code == 1 and "Patch p-one exists already" in res.err
    res = patchq("-C", str(repo), "port", "p-four", "--from", "3.11", "--to", "3.13",
                 "--as", "again")
    assert res.code == 1 and "3.13 already carries this change as p-four" in res.err
    res = patchq("-C", str(repo), "port", "nope", "--from", "3.11", "--to", "3.13")
    assert res.code == 1 and "not in the series of 3.11" in res.err
    res = patchq("-C", str(repo), "port", "p-one", "--from", "3.11", "--to", "3.11")
    assert res.code == 1 and "both 3.11" in res.err


def test_port_of_a_change_the_base_has_is_refused(work):
    upstream, repo = work
    git(upstream, "checkout", "-q", "-b", "3.14", "3.13")
    commit(upstream, {"c.txt": git(upstream, "show", "patchq/3.11:c.txt") + "\n"}, "has four")
    track_313(upstream, repo, ["p-one"], base="3.14", track="3.14")
    res = patchq("-C", str(repo), "port", "p-four", "--from", "3.11", "--to", "3.14")
    assert res.code == 1 and "already has the change of p-four" in res.err


def test_port_as_another_slug_copies_the_people_fields(work):
    upstream, repo = work
    text = (repo / "upstream_map.toml").read_text().replace(
        '[patches.p-four]\ndisposition = "undecided"',
        '[patches.p-four]\ndisposition = "upstreamable"\nissue = "python/cpython#1"')
    (repo / "upstream_map.toml").write_text(text)
    track_313(upstream, repo, ["p-one"])
    res = run_ok(repo, "port", "p-four", "--from", "3.11", "--to", "3.13", "--as", "c-fix")
    assert "as c-fix" in res.out and series_names(repo, "3.13")[-1] == "0002-c-fix.patch"
    new = record(repo, "c-fix")
    assert new["disposition"] == "upstreamable" and new["issue"] == "python/cpython#1"
    assert new["tracks"]["3.13"]["ported_from"] == "3.11:p-four"
    assert lines(run_ok(repo, "top")) == ["c-fix"]
