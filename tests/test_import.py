"""`patchq import` from every source format, through the CLI as a user runs it."""

from __future__ import annotations

import pytest
from helpers import commit, git, patchq, tree_snapshot
from spine_data import EDGE_COMMITS, build_sources, fresh

from patchq.upstream_map import UpstreamMap


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    return build_sources(tmp_path_factory.mktemp("sources"))


@pytest.fixture
def setup(sources, tmp_path):
    upstream, repo = fresh(sources, tmp_path)
    res = patchq("-C", str(repo), "init", "--upstream", "../cpython", "--github", "python/cpython")
    assert res.code == 0, res.text
    return upstream, repo


def _import(repo, *args):
    res = patchq("-C", str(repo), "import", *args)
    assert res.code == 0, res.text
    return res


def test_format_patch_directory_is_copied_byte_for_byte(sources, setup):
    upstream, repo = setup
    res = _import(repo, str(sources.format_patch), "--track", "3.11", "--base", "v1")
    assert f"imported {EDGE_COMMITS} patches (format-patch) as track 3.11 on v1" in res.out
    assert f"all {EDGE_COMMITS} apply on v1" in res.out
    target = repo / "series" / "3.11"
    names = sorted(p.name for p in sources.format_patch.iterdir())
    for name in names:
        assert (target / name).read_bytes() == (sources.format_patch / name).read_bytes()
    assert (target / "series").read_text() == "".join(f"{n}\n" for n in names)
    umap = UpstreamMap.load(repo / "upstream_map.toml")
    track = umap.track("3.11")
    assert (track.base, track.base_commit, track.follows) == \
        ("v1", git(upstream, "rev-parse", "v1"), "3.11")
    assert sorted(umap.slugs()) == sorted(n[5:-6] for n in names)
    for slug in umap.slugs():
        assert umap.patch(slug)["tracks"]["3.11"]["carried"] is True


def test_quilt_directory_keeps_its_series_file_and_disabled_patches(sources, setup):
    _, repo = setup
    res = _import(repo, str(sources.quilt), "--track", "3.11", "--base", "v1")
    assert "imported 3 patches (quilt)" in res.out and "all 3 apply" in res.out
    target = repo / "series" / "3.11"
    assert tree_snapshot(target) == tree_snapshot(sources.quilt)
    listed = patchq("-C", str(repo), "list", "3.11", "--json")
    rows = __import__("json").loads(listed.out)["patches"]
    assert [r["slug"] for r in rows] == ["embedder-streams", "setup-p0", "subprocess-plain"]
    assert rows[1]["files"] == ["Modules/Setup.stdlib.in"]  # -p0 with Index: lines
    assert rows[2]["files"] == ["Lib/subprocess.py", "PC/build.bat"]
    assert rows[0]["author"] == "Ben Wasmer <ben@pyodide.invalid>"


def test_dep3_headers_seed_the_map(sources, setup):
    _, repo = setup
    _import(repo, str(sources.quilt), "--track", "3.11", "--base", "v1")
    umap = UpstreamMap.load(repo / "upstream_map.toml")
    embedder = umap.patch("embedder-streams")
    assert embedder["issue"] == "python/cpython#101234"
    assert embedder["pr"] == "python/cpython#101235"  # Forwarded: a PR upstream
    assert "pyodide/pyodide" not in str(embedder)  # links to other projects are not upstream
    setup_p0 = umap.patch("setup-p0")
    assert setup_p0["disposition"] == "downstream-only"
    assert "not-needed" in setup_p0["reason"]


def test_mbox_skips_the_cover_letter_and_names_files_after_subjects(sources, setup):
    _, repo = setup
    res = _import(repo, str(sources.mbox), "--track", "3.11", "--base", "v1")
    assert f"imported {EDGE_COMMITS} patches (mbox)" in res.out
    names = (repo / "series" / "3.11" / "series").read_text().split()
    assert names[0] == "0001-Make-the-standard-streams-configurable-for-an-embedder.patch"
    assert len(names) == EDGE_COMMITS
    data = sources.mbox.read_bytes()
    for name in names:  # each message is kept byte for byte
        assert (repo / "series" / "3.11" / name).read_bytes() in data


def test_revision_range_writes_canonical_files(sources, setup):
    _upstream, repo = setup
    res = _import(repo, "v1..downstream", "--track", "3.11", "--base", "v1")
    assert f"imported {EDGE_COMMITS} patches (range)" in res.out
    target = repo / "series" / "3.11"
    names = (target / "series").read_text().split()
    assert names[0] == "0001-Make-the-standard-streams-configurable-for-an-embedder.patch"
    first = (target / names[0]).read_bytes()
    assert first.startswith(b"From 0000000000000000000000000000000000000000 Mon Sep 17 "
                            b"00:00:00 2001\nFrom: Ben Wasmer <ben@pyodide.invalid>\n"
                            b"Date: Tue, 21 Feb 2023 11:30:00 +0000\n"
                            b"Subject: Make the standard streams configurable for an embedder\n")
    assert b"[PATCH" not in first and b"\n-- \n" not in first
    # full index ids, binary patches
    binary = next(n for n in names if "logo" in n)
    assert b"GIT binary patch" in (target / binary).read_bytes()
    assert all(len(line.split(b"..")[1].split()[0]) == 40
               for line in first.splitlines() if line.startswith(b"index "))


def test_a_single_patch_file_keeps_its_name(sources, setup):
    _, repo = setup
    one = sources.quilt / "setup-p0.diff"
    res = _import(repo, str(one), "--track", "3.11", "--base", "v1")
    assert "imported 1 patches (file)" in res.out
    assert (repo / "series" / "3.11" / "setup-p0.diff").read_bytes() == one.read_bytes()


def test_name_from_subject_renames_quilt_files(sources, setup):
    _, repo = setup
    _import(repo, str(sources.quilt), "--track", "3.11", "--base", "v1", "--name-from",
            "subject")
    names = (repo / "series" / "3.11" / "series").read_text().split()
    assert names == ["0001-Make-the-standard-streams-configurable-for-an-embedder.patch",
                     "0002-Skip-modules-a-WebAssembly-target-cannot-build.patch",
                     "0003-Explain-the-subprocess-error-in-the-browser.patch"]


def test_patches_that_do_not_apply_are_reported_but_imported(sources, setup, tmp_path):
    upstream, repo = setup
    # gone upstream: neither git nor GNU patch (fuzz would place a hunk in a rewritten file)
    commit(upstream, {"Lib/subprocess.py": None}, "Upstream moved on")
    git(upstream, "tag", "v1.1")
    res = _import(repo, str(sources.quilt), "--track", "3.11", "--base", "v1.1")
    assert "1 do not apply on v1.1:" in res.out
    assert "`patchq checkout 3.11 --partial` builds the 2 that apply" in res.out
    assert "subprocess-plain: " in res.out and "Lib/subprocess.py" in res.out
    assert (repo / "series" / "3.11" / "subprocess-plain.diff").is_file()


def test_follows_is_taken_from_the_base(sources, setup):
    _upstream, repo = setup
    _import(repo, str(sources.quilt), "--track", "wasm", "--base", "3.11")
    _import(repo, str(sources.quilt), "--track", "other", "--base", "v1", "--follows", "main")
    umap = UpstreamMap.load(repo / "upstream_map.toml")
    assert umap.track("wasm").follows == "3.11"
    assert umap.track("other").follows == "main"


def test_two_tracks_share_patch_records(sources, setup):
    _, repo = setup
    _import(repo, str(sources.quilt), "--track", "3.11", "--base", "v1")
    _import(repo, str(sources.quilt), "--track", "3.12", "--base", "v1")
    umap = UpstreamMap.load(repo / "upstream_map.toml")
    assert sorted(umap.patch("setup-p0")["tracks"]) == ["3.11", "3.12"]
    lint = patchq("-C", str(repo), "lint")
    assert lint.code == 0, lint.text
