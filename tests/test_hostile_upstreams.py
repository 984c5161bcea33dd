"""A hostile user's two upstreams: quilt's reading and rewording verbs (series, next,
previous, files, header, diff, header -m, rename, refresh) with --track on a track of the
second upstream work in that upstream's clone, not in the default one."""

from __future__ import annotations

import json

import pytest
from helpers import git, patchq, refs_snapshot
from test_upstreams import run, setup_both, two  # noqa: F401 (fixture)


def test_quilt_verbs_with_track_work_in_its_upstreams_clone(two, tmp_path):
    repo, cpython, emsdk = two
    setup_both(repo, tmp_path)
    run(repo, "checkout", "3.11")
    run(repo, "checkout", "emsdk-3.1")
    cp_refs = refs_snapshot(cpython)
    track = ("--track", "emsdk-3.1")
    series = json.loads(run(repo, "series", "--json", *track).out)
    assert [p["slug"] for p in series["patches"]] == ["Pin-the-node-version",
                                                      "Quiet-the-cache-warning"]
    assert [p["state"] for p in series["patches"]] == ["applied", "top"]
    assert run(repo, "series", "-v", *track).out.splitlines() == [
        "+ Pin-the-node-version", "= Quiet-the-cache-warning"]
    assert run(repo, "previous", *track).out.splitlines() == ["Pin-the-node-version"]
    assert run(repo, "next", "Pin-the-node-version", *track).out.splitlines() == [
        "Quiet-the-cache-warning"]
    assert run(repo, "files", *track).out.splitlines() == ["tools/shared.py"]
    assert "Quiet the cache warning" in run(repo, "header", *track).out
    assert "+shared line 20 (pyodide)" in run(repo, "diff", *track).out
    run(repo, "header", "-m", "Pin node 18", "Pin-the-node-version", *track)
    assert "Pin node 18" in git(emsdk, "log", "--format=%s", "patchq/emsdk-3.1")
    run(repo, "rename", "-P", "Quiet-the-cache-warning", "quiet-cache", *track)
    assert run(repo, "top", *track).out.splitlines() == ["quiet-cache"]
    shared = emsdk / "tools/shared.py"
    shared.write_text(shared.read_text().replace("shared line 2\n", "shared line 2 (x)\n"))
    run(repo, "refresh", "quiet-cache", *track)
    assert "+shared line 2 (x)" in run(repo, "diff", "--no-work-tree", *track).out
    assert refs_snapshot(cpython) == cp_refs  # the default upstream's clone untouched
    lint = patchq("-C", str(repo), "lint")
    assert lint.code == 0, lint.text


def test_two_upstreams_on_one_clone_do_not_make_the_stack_verbs_ask(two, tmp_path):
    repo, cpython, _ = two
    run(repo, "import", str(tmp_path / "cp-patches"), "--track", "3.11", "--base", "v1.0")
    run(repo, "checkout", "3.11")
    run(repo, "upstream", "add", "cp-fork", str(cpython), "--github", "someone/cpython")
    assert run(repo, "top").out.splitlines() == ["Platform-for-the-browser"]
    run(repo, "import", str(tmp_path / "cp-patches"), "--track", "fork-3.11", "--base", "v1.0",
        "--upstream", "cp-fork")
    run(repo, "checkout", "fork-3.11")
    assert git(cpython, "branch", "--show-current") == "patchq/fork-3.11"
    assert run(repo, "series", "-v").out.splitlines() == ["= Platform-for-the-browser"]
    res = run(repo, "pop")
    assert "Removing patch Platform-for-the-browser" in res.out
    assert git(cpython, "rev-parse", "HEAD") == git(cpython, "rev-parse", "v1.0")
    assert git(cpython, "rev-parse", "patchq/3.11") != git(cpython, "rev-parse", "v1.0")


def test_init_refuses_a_bare_clone_and_the_patch_repo_itself(tmp_path):
    """As `upstream add` does: a bare repository has no work tree for the queue branches, and
    the patch repo as its own clone would have its map and series checked out away."""
    from helpers import make_upstream, tree_snapshot

    upstream = make_upstream(tmp_path / "cpython")
    git(tmp_path, "clone", "-q", "--bare", str(upstream), str(tmp_path / "bare.git"))
    repo = tmp_path / "patches"
    repo.mkdir()
    git(repo, "init", "-q")
    before = tree_snapshot(repo)
    for target, said in (("../bare.git", "is a bare repository"),
                         (".", "is the patch repo or holds it")):
        res = patchq("-C", str(repo), "init", "--upstream", target)
        assert res.code == 1 and said in res.err and "Traceback" not in res.err, res.text
        assert len(res.err.strip().splitlines()) == 1
        assert tree_snapshot(repo) == before  # no map, no series/
    assert patchq("-C", str(repo), "init", "--upstream", "../cpython").code == 0


def test_of_two_inits_at_once_the_second_leaves_the_first_ones_map(tmp_path, monkeypatch):
    """Another init writes its map between this one's look and its write: this one says so
    and the other's map stays byte for byte (the map is linked into place, never replaced)."""
    from helpers import make_upstream

    from patchq.commands import init as init_cmd
    from patchq.errors import MapError

    make_upstream(tmp_path / "cpython")
    repo = tmp_path / "patches"
    repo.mkdir()
    theirs = b"# the other init's map\n[upstream]\npath = \"../cpython\"\n"
    real = init_cmd.usable_clone

    def meanwhile(*args, **kw):
        found = real(*args, **kw)
        (repo / "upstream_map.toml").write_bytes(theirs)
        return found

    monkeypatch.setattr(init_cmd, "usable_clone", meanwhile)
    with pytest.raises(MapError, match="already exists; patchq init never overwrites a map"):
        init_cmd.init(repo, str(tmp_path / "cpython"))
    assert (repo / "upstream_map.toml").read_bytes() == theirs
    assert sorted(p.name for p in repo.iterdir()) == ["series", "upstream_map.toml"]
