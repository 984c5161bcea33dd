"""A hostile user's names: an upstream "clone" that is the patch repo itself, and `rename` to a
name with a number prefix (what `quilt rename 0003-foo` would take)."""

from __future__ import annotations

import pytest
from helpers import git, make_upstream, patch_repo, patchq, refs_snapshot, tree_snapshot
from stack_data import run_ok, series_names, template, work  # noqa: F401 (fixtures)

from patchq.upstream_map import UpstreamMap


def test_upstream_add_refuses_the_patch_repo_and_what_holds_it(tmp_path):
    cpython = make_upstream(tmp_path / "cpython")
    repo = patch_repo(tmp_path, cpython)
    git(repo, "init", "-q")  # the patch repo is a git repository of its own, as usual
    before = tree_snapshot(repo)
    for directory in (str(repo), ".", str(tmp_path)):
        if directory == str(tmp_path):
            git(tmp_path, "init", "-q")  # a clone whose work tree holds the patch repo
        res = patchq("-C", str(repo), "upstream", "add", "self", directory, cwd=repo)
        assert res.code == 1, (directory, res.text)
        assert res.err.startswith("patchq: error: ") and "is the patch repo or holds it" in \
            res.err and len(res.err.strip().splitlines()) == 1, res.err
        assert tree_snapshot(repo) == before


def test_a_map_naming_the_patch_repo_as_a_clone_is_refused(tmp_path):
    cpython = make_upstream(tmp_path / "cpython")
    repo = patch_repo(tmp_path, cpython)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=A", "-c", "user.email=a@b", "commit", "-qm", "map")
    with (repo / "upstream_map.toml").open("a") as out:
        out.write('\n[upstreams.self]\npath = "."\n\n[tracks.x]\nupstream = "self"\n'
                  'follows = "main"\nbase = "v1.0"\n')
    before, refs = tree_snapshot(repo), refs_snapshot(repo)
    res = patchq("-C", str(repo), "checkout", "x")
    assert res.code == 1 and "is the patch repo itself" in res.err, res.text
    assert tree_snapshot(repo) == before and refs_snapshot(repo) == refs


def test_rename_to_a_numbered_name_keeps_slug_and_map_in_step(work):
    upstream, repo = work
    res = run_ok(repo, "rename", "0007-last")
    assert res.out.splitlines() == ["Patch p-five renamed to last (series/3.11/0007-last.patch)"]
    assert series_names(repo)[-1] == "0007-last.patch"
    assert run_ok(repo, "top").out.splitlines() == ["last"]
    assert run_ok(repo, "series").out.splitlines()[-1] == "last"
    umap = UpstreamMap.load(repo / "upstream_map.toml")
    assert umap.has_patch_track("last", "3.11")
    assert not umap.has_patch_track("0007-last", "3.11")
    assert not umap.has_patch_track("p-five", "3.11")
    assert "Patchq-Slug: last" in git(upstream, "log", "-1", "--format=%B", "patchq/3.11")
    lint = patchq("-C", str(repo), "lint")
    assert lint.code == 0, lint.text


def test_upstream_add_refuses_a_bare_repository(tmp_path):
    cpython = make_upstream(tmp_path / "cpython")
    repo = patch_repo(tmp_path, cpython)
    git(tmp_path, "clone", "-q", "--bare", str(cpython), str(tmp_path / "bare.git"))
    before = tree_snapshot(repo)
    res = patchq("-C", str(repo), "upstream", "add", "bare", str(tmp_path / "bare.git"))
    assert res.code == 1 and "is a bare repository" in res.err, res.text
    assert len(res.err.strip().splitlines()) == 1
    assert tree_snapshot(repo) == before
    listed = patchq("-C", str(repo), "upstream", "list")
    assert "bare" not in listed.out


@pytest.mark.parametrize("value", ["", "../x", "-rf"])
def test_a_track_naming_an_unusable_upstream_says_so(tmp_path, value):
    cpython = make_upstream(tmp_path / "cpython")
    repo = patch_repo(tmp_path, cpython)
    with (repo / "upstream_map.toml").open("a") as out:
        out.write(f'\n[tracks.x]\nupstream = "{value}"\nfollows = "main"\nbase = "v1.0"\n')
    res = patchq("-C", str(repo), "lint")
    assert res.code == 1, res.text
    assert "which is no usable upstream name" in res.err and "upstream add" not in res.err
    assert len(res.err.strip().splitlines()) == 1


def test_rename_out_of_a_subdirectory_leaves_no_empty_directory(work):
    _, repo = work
    run_ok(repo, "rename", "sub/inner.patch")
    assert (repo / "series" / "3.11" / "sub" / "inner.patch").is_file()
    run_ok(repo, "rename", "outer.patch")
    track = repo / "series" / "3.11"
    assert not (track / "sub").exists()
    assert track.is_dir() and (track / "series").is_file()
    assert run_ok(repo, "top").out.splitlines() == ["outer"]
    lint = patchq("-C", str(repo), "lint")
    assert lint.code == 0, lint.text
