"""The project's own example downstream (series/ and upstream_map.toml at the top).

Without a CPython clone: the files and the map agree (lint --no-apply), every patch is in the
format export writes, and lint that needs the clone says so in one line. Applying them on the
real trees is the opt-in test in test_realdata_spine.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import patchq

from patchq import patchfile
from patchq.upstream_map import UpstreamMap

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sample(tmp_path):
    if not (ROOT / "upstream_map.toml").is_file():
        pytest.skip("no sample series at the top of the repository")
    work = tmp_path / "nested" / "sample"  # so that ../cpython does not exist
    work.mkdir(parents=True)
    shutil.copy(ROOT / "upstream_map.toml", work)
    shutil.copytree(ROOT / "series", work / "series")
    return work


def test_files_and_map_agree(sample):
    res = patchq("-C", str(sample), "lint", "--no-apply")
    assert (res.code, res.out.strip()) == (0, "no problems found"), res.text


def test_tracks_bases_and_upstream(sample):
    umap = UpstreamMap.load(sample / "upstream_map.toml")
    assert umap.upstream_get("path") == "../cpython"
    assert umap.upstream_get("github") == "python/cpython"
    assert {t: (umap.track(t).base, umap.track(t).follows) for t in umap.track_names()} == \
        {"3.11": ("v3.11.2", "3.11"), "3.13": ("v3.13.5", "3.13")}
    # resolved from the tag in the user's clone: real CPython and a tree rebuilt from release
    # tarballs give one tag different commit ids
    assert all(umap.track(t).base_commit == "" for t in umap.track_names())
    assert "#" in (sample / "upstream_map.toml").read_text()  # it explains itself


def test_patches_are_in_the_format_export_writes(sample):
    for track in ("3.11", "3.13"):
        names = (sample / "series" / track / "series").read_text().split()
        assert 3 <= len(names) <= 4
        for name in names:
            data = (sample / "series" / track / name).read_bytes()
            parsed = patchfile.parse(data)
            assert data.startswith(patchfile.ZERO_FROM)
            assert b"[PATCH" not in data and b"\n-- \n" not in data
            again = patchfile.render(parsed.description, data[data.index(b"\n---\n") + 5:])
            assert again == data, name


def test_lint_without_the_clone_is_one_clear_line(sample):
    res = patchq("-C", str(sample), "lint")
    assert res.code == 1 and res.out == ""
    assert res.err.count("\n") == 1
    assert res.err.startswith("patchq: error: upstream clone ")
    assert "cpython does not exist" in res.err and "--upstream-dir" in res.err
