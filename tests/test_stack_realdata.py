"""Opt-in: the stack commands on Debian's real CPython series (PATCHQ_REALDATA).

Debian 3.13.5 (62 patches, DEP-3 headers, plain diffs) as track 3.13 on v3.13.5 and Debian
3.13.15 (26 patches) as track next on v3.13.15: pop -a and push -a give back the very commits
checkout built; compare accounts for every patch of both; porting the patches only 3.13 has
either works, stops at a conflict that pop backs out cleanly, or is refused because next has
the change already.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import git, patchq
from spine_data import hermetic_env

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def debian(tmp_path_factory):
    value = os.environ.get("PATCHQ_REALDATA")
    rd = Path(value) if value else None
    if rd is None or not (rd / "cpython" / ".git").is_dir() or \
            not (rd / "debian" / "3.13.5" / "series").is_file() or \
            not (rd / "debian" / "3.13.15" / "series").is_file():
        pytest.skip("set PATCHQ_REALDATA=DEST (built by cpython-from-debian) to run")
    root = tmp_path_factory.mktemp("stack-realdata")
    with hermetic_env(root / "home"):
        subprocess.run(["git", "clone", "-q", str(rd / "cpython"), str(root / "cpython")],
                       check=True)
        repo = root / "patches"
        repo.mkdir()
        git(repo, "init", "-q")
        for args in (("init", "--upstream", "../cpython"),
                     ("import", str(rd / "debian" / "3.13.5"), "--track", "3.13", "--base",
                      "v3.13.5"),
                     ("import", str(rd / "debian" / "3.13.15"), "--track", "next", "--base",
                      "v3.13.15"),
                     ("checkout", "3.13")):
            res = patchq("-C", str(repo), *args)
            assert res.code == 0, res.text
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "import")
    return root / "cpython", repo


def run_ok(repo, *args):
    res = patchq("-C", str(repo), *args)
    assert res.code == 0, res.text
    return res


def test_pop_push_gives_back_checkouts_commits(debian):
    upstream, repo = debian
    built = git(upstream, "rev-parse", "patchq/3.13")
    run_ok(repo, "pop", "-a", "-q")
    assert git(upstream, "rev-parse", "HEAD") == git(upstream, "rev-parse", "v3.13.5")
    assert len(run_ok(repo, "unapplied").out.split()) == 62
    run_ok(repo, "push", "-a", "-q")
    assert git(upstream, "rev-parse", "patchq/3.13") == built
    assert "nothing to write (62 unchanged" in run_ok(repo, "export", "3.13").out
    assert git(repo, "status", "--porcelain") == ""


def test_compare_accounts_for_every_patch(debian):
    _, repo = debian
    data = json.loads(run_ok(repo, "compare", "3.13", "next", "--json").out)
    counts = data["counts"]
    paired = counts["same"] + counts["context"] + counts["differs"]
    assert paired + counts["only-a"] == 62 and paired + counts["only-b"] == 26
    assert paired > 0 and counts["only-a"] > 0
    for pair in data["pairs"]:
        assert (pair["interdiff"] is not None) == (pair["status"] in ("context", "differs"))


def test_port_what_only_3_13_has(debian):
    upstream, repo = debian
    data = json.loads(run_ok(repo, "compare", "3.13", "next", "--json").out)
    only = [p["a"] for p in data["pairs"] if p["status"] == "only-a"][:8]
    run_ok(repo, "checkout", "next")
    outcomes = set()
    for slug in only:
        res = patchq("-C", str(repo), "port", slug, "--from", "3.13", "--to", "next")
        if res.code == 0:
            outcomes.add("ported")
            assert f"ported_from = \"3.13:{slug}\"" in (repo / "upstream_map.toml").read_text()
        elif "already has the change" in res.err:
            outcomes.add("already there")
        else:
            assert "does not apply" in res.err and "patchq pop" in res.err, res.err
            outcomes.add("stopped")
            run_ok(repo, "pop")
            run_ok(repo, "delete", slug, "-r")
        assert git(upstream, "status", "--porcelain") == "", slug
    assert outcomes
    assert "nothing to write" in run_ok(repo, "export", "next").out
