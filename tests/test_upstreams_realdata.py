"""Opt-in (PATCHQ_REALDATA): Debian's CPython 3.13.5 series and a second, small upstream with
a 2-patch series in one patch repo: both tracks check out, rebase (CPython v3.13.5 ->
v3.13.15, the small one onto a new commit) and appear in one report."""

from __future__ import annotations

import json

import pytest
from helpers import (
    commit,
    format_patch,
    git,
    make_upstream,
    numbered_lines,
    patchq,
    real_patch_repo,
)

pytestmark = pytest.mark.realdata

FILES = {"src/lib.c": numbered_lines("lib"), "README": "a small library\n"}


def test_cpython_and_a_small_upstream_in_one_patch_repo(realdata, tmp_path, monkeypatch):
    repo, cpython = real_patch_repo(realdata, tmp_path)
    small = make_upstream(tmp_path / "small", FILES, tag="1.0")
    git(small, "checkout", "-q", "-b", "work")
    commit(small, {"src/lib.c": FILES["src/lib.c"].replace("lib line 3\n", "lib line 3 (wasm)\n")},
           "Build for wasm")
    commit(small, {"src/lib.c": FILES["src/lib.c"].replace("lib line 3\n", "lib line 3 (wasm)\n")
                   .replace("lib line 25\n", "lib line 25 (no threads)\n")}, "No threads")
    format_patch(small, "1.0..work", tmp_path / "small-patches")
    git(small, "checkout", "-q", "main")
    new = commit(small, {"README": "a small library, 1.1\n"}, "Release 1.1")

    def run(*args: str):
        res = patchq("-C", str(repo), *args)
        assert res.code == 0, res.text
        return res

    run("upstream", "add", "small", str(small))
    run("import", str(realdata / "debian" / "3.13.5"), "--track", "3.13", "--base", "v3.13.5")
    run("import", str(tmp_path / "small-patches"), "--track", "small-1", "--base", "1.0",
        "--follows", "main", "--upstream", "small")
    run("checkout", "3.13", "--partial")
    run("checkout", "small-1")
    assert git(cpython, "rev-parse", "--abbrev-ref", "HEAD") == "patchq/3.13"
    assert git(small, "rev-parse", "--abbrev-ref", "HEAD") == "patchq/small-1"
    assert not git(small, "branch", "--list", "patchq/3.13")

    cp = json.loads(run("rebase", "3.13", "--onto", "v3.13.15", "--on-conflict", "skip",
                        "--json").out)
    assert cp["patches"] and any(p["outcome"] == "upstream" for p in cp["patches"])
    assert git(cpython, "merge-base", "patchq/3.13", "v3.13.15") == \
        git(cpython, "rev-parse", "v3.13.15^{commit}")
    sm = json.loads(run("rebase", "small-1", "--json").out)
    assert [p["outcome"] for p in sm["patches"]] == ["unchanged", "unchanged"]
    assert git(small, "merge-base", "patchq/small-1", "main") == new

    monkeypatch.setenv("PATCHQ_NOW", "2026-12-02T12:00:00Z")
    data = json.loads(run("report", "--format", "json", "--no-record").out)
    rows = {u["name"]: u for u in data["upstreams"]}
    assert list(rows) == ["default", "small", "total"]
    carried = sum(1 for line in (repo / "series" / "3.13" / "series").read_text().splitlines()
                  if line.strip() and not line.startswith("#"))
    assert rows["default"]["counts"]["patches"] == carried
    assert rows["small"]["counts"]["patches"] == 2
    assert rows["total"]["counts"]["patches"] == carried + 2
    md = run("report", "--no-record").out
    assert "## Track `3.13` (upstream `default`)" in md
    assert "## Track `small-1` (upstream `small`)" in md
