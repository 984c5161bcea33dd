"""`patchq list`: the patches of a track in order, with what the map knows of them."""

from __future__ import annotations

import json

import pytest
from helpers import patchq
from spine_data import build_sources, imported

from patchq.upstream_map import UpstreamMap


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    return build_sources(tmp_path_factory.mktemp("sources"))


@pytest.fixture
def repo(sources, tmp_path):
    _, repo = imported(sources, tmp_path, ("3.11", "3.12"))
    return repo


def test_table_of_one_track(repo):
    res = patchq("-C", str(repo), "list", "3.11")
    assert res.code == 0
    lines = res.out.splitlines()
    assert lines[0].split() == ["#", "slug", "subject", "author", "files", "+/-", "upstream",
                                "submission"]
    assert lines[1].split()[:2] == ["1", "embedder-streams"]
    assert "Ben Wasmer" in lines[1] and "Python/pylifecycle.c" in lines[1] and "+1/-1" in lines[1]
    assert lines[3].split()[:2] == ["3", "subprocess-plain"] and "2 files" in lines[3]
    assert len(lines) == 4


def test_every_track_numbers_its_own_patches(repo):
    res = patchq("-C", str(repo), "list")
    rows = [line.split()[:3] for line in res.out.splitlines()[1:]]
    assert [r[:2] for r in rows] == [["3.11", "1"], ["3.11", "2"], ["3.11", "3"],
                                     ["3.12", "1"], ["3.12", "2"], ["3.12", "3"]]


def test_json_with_states_and_submissions_from_the_map(repo):
    umap = UpstreamMap.load(repo / "upstream_map.toml")
    per_track = umap.patch_track("setup-p0", "3.11")
    import tomlkit

    per_track["upstream"] = tomlkit.table(is_super_table=True)
    per_track["upstream"]["main"] = {"state": "present"}
    umap.ensure_patch("setup-p0")["github"] = {"submission": "merged-pr"}
    umap.save()
    res = patchq("-C", str(repo), "list", "3.11", "--json")
    data = json.loads(res.out)
    assert data["schema"] == "patchq-list/1" and list(data) == ["schema", "patches"]
    rows = data["patches"]
    assert [r["slug"] for r in rows] == ["embedder-streams", "setup-p0", "subprocess-plain"]
    first = rows[0]
    assert first == {"track": "3.11", "slug": "embedder-streams", "file": "embedder-streams.diff",
                     "subject": "Make the standard streams configurable for an embedder",
                     "author": "Ben Wasmer <ben@pyodide.invalid>",
                     "files": ["Python/pylifecycle.c"], "added": 1, "removed": 1, "state": "",
                     "submission": "open-pr", "disposition": "undecided",
                     "applies": "clean", "apply_notes": []}  # import built it
    assert rows[1]["state"] == "present (main)"
    assert rows[1]["submission"] == "merged-pr"
    assert rows[1]["disposition"] == "downstream-only"
