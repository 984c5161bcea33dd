"""upstream_map.toml: read, validate, change and save it with people's comments intact."""

from __future__ import annotations

import pytest

from patchq.errors import MapError
from patchq.model import Track
from patchq.upstream_map import UpstreamMap

PEOPLE_WROTE = """\
# Our CPython patches.   (a comment people wrote)

[upstream]
path = "../cpython"  # beside this repository
github = "python/cpython"

[tracks."3.11"]
follows = "3.11"
base = "v3.11.2"
base_commit = "3482c5397841dbf458933a4ea47f3fd8fcf0ef41"

# the patch we are proudest of
[patches.Public-pymain_run_python]
disposition = "downstream-only"
reason = "Pyodide drives start-up from JavaScript"   # keep

[patches.Public-pymain_run_python.tracks."3.11"]
carried = true
since = "2024-01-02"
"""


@pytest.fixture
def map_file(tmp_path):
    path = tmp_path / "upstream_map.toml"
    path.write_text(PEOPLE_WROTE)
    return path


def test_load_and_read(map_file):
    umap = UpstreamMap.load(map_file)
    assert umap.upstream_get("path") == "../cpython"
    assert umap.upstream_get("fork") == ""
    assert umap.track_names() == ["3.11"]
    assert umap.track("3.11") == Track("3.11", "3.11", "v3.11.2",
                                       "3482c5397841dbf458933a4ea47f3fd8fcf0ef41")
    assert umap.slugs() == ["Public-pymain_run_python"]
    assert umap.patch("Public-pymain_run_python")["disposition"] == "downstream-only"
    assert umap.patch("nope") == {}
    assert umap.has_patch_track("Public-pymain_run_python", "3.11")


def test_saving_without_changes_keeps_the_text(map_file):
    UpstreamMap.load(map_file).save()
    assert map_file.read_text() == PEOPLE_WROTE


def test_changes_keep_comments_and_order(map_file):
    umap = UpstreamMap.load(map_file)
    umap.set_track(Track("3.13", "3.13", "v3.13.5", "8a10d80a0df1"))
    umap.patch_track("new-patch", "3.13")["carried"] = True
    umap.save()
    text = map_file.read_text()
    assert text.startswith(PEOPLE_WROTE.split("[patches")[0].rstrip("\n"))
    for comment in ("# Our CPython patches.", "# beside this repository",
                    "# the patch we are proudest of", "# keep"):
        assert comment in text
    again = UpstreamMap.load(map_file)
    assert again.track_names() == ["3.11", "3.13"]
    assert again.patch("new-patch")["disposition"] == "undecided"
    assert again.patch("new-patch")["tracks"]["3.13"]["carried"] is True


def test_new_map_has_the_header_and_no_empty_values(tmp_path):
    umap = UpstreamMap.new(tmp_path / "upstream_map.toml", {"path": "../cpython", "url": "",
                                                             "github": "python/cpython"})
    umap.save()
    text = (tmp_path / "upstream_map.toml").read_text()
    assert text.startswith("# upstream_map.toml")
    assert "url" not in text
    assert UpstreamMap.load(tmp_path / "upstream_map.toml").upstream_get("github") == \
        "python/cpython"


def test_unknown_track_names_the_known_ones(map_file):
    with pytest.raises(MapError, match=r"unknown track '3.12' \(known: 3.11\)"):
        UpstreamMap.load(map_file).track("3.12")


@pytest.mark.parametrize("text, message", [
    ("[upstream\npath = 1\n", "upstream_map.toml:1:"),
    ("upstream = 3\n", r"\[upstream\] must be a table"),
    ('[tracks."../x"]\nbase = "v1"\n', "not usable"),
    ('[tracks."3.11"]\nbase = 3\n', "must be a string"),
    ("[patches]\nfoo = 1\n", r"\[patches.foo\] must be a table"),
    ("[patches.foo]\ntracks = 2\n", "must be a table"),
])
def test_malformed_maps_are_one_clear_error(tmp_path, text, message):
    path = tmp_path / "upstream_map.toml"
    path.write_text(text)
    with pytest.raises(MapError, match=message) as info:
        UpstreamMap.load(path)
    assert "\n" not in str(info.value)


def test_missing_and_undecodable_maps(tmp_path):
    with pytest.raises(MapError, match="no upstream_map.toml"):
        UpstreamMap.load(tmp_path / "upstream_map.toml")
    (tmp_path / "upstream_map.toml").write_bytes(b"[upstream]\npath = \"\xff\"\n")
    with pytest.raises(MapError, match="cannot read"):
        UpstreamMap.load(tmp_path / "upstream_map.toml")


def test_removing_a_patch_from_a_track(map_file):
    umap = UpstreamMap.load(map_file)
    umap.patch_track("plain", "3.11")["carried"] = True
    umap.remove_patch_track("plain", "3.11")
    assert umap.patch("plain") == {}  # nothing people wrote: the record goes
    umap.remove_patch_track("Public-pymain_run_python", "3.11")
    assert umap.patch("Public-pymain_run_python")["reason"]  # people's fields stay


def test_rename_moves_the_whole_record(map_file):
    umap = UpstreamMap.load(map_file)
    umap.move_patch_track("Public-pymain_run_python", "public-main", "3.11")
    assert umap.slugs() == ["public-main"]
    assert umap.patch("public-main")["reason"] == "Pyodide drives start-up from JavaScript"
    assert umap.has_patch_track("public-main", "3.11")


def test_rename_on_one_track_leaves_the_other_tracks_alone(map_file):
    umap = UpstreamMap.load(map_file)
    umap.patch_track("Public-pymain_run_python", "3.13")["carried"] = True
    umap.move_patch_track("Public-pymain_run_python", "public-main", "3.13")
    old, new = umap.patch("Public-pymain_run_python"), umap.patch("public-main")
    assert list(old["tracks"]) == ["3.11"] and list(new["tracks"]) == ["3.13"]
    assert new["disposition"] == "downstream-only" and new["reason"] == old["reason"]
    umap.save()
    again = UpstreamMap.load(map_file)
    assert again.patch("public-main")["tracks"]["3.13"]["carried"] is True


def test_rename_refuses_to_overwrite_a_record(map_file):
    umap = UpstreamMap.load(map_file)
    umap.ensure_patch("other")
    with pytest.raises(MapError, match="already exists"):
        umap.rename_patch("Public-pymain_run_python", "other")


def test_tables_added_to_a_parsed_map_are_set_off_by_blank_lines(tmp_path):
    path = tmp_path / "upstream_map.toml"
    UpstreamMap.new(path, {"path": "../cpython"}).save()
    assert path.read_text().endswith('[upstream]\npath = "../cpython"\n')
    for track in ("3.11", "3.13"):
        umap = UpstreamMap.load(path)
        umap.set_track(Track(track, track, f"v{track}.0", ""))
        for slug in ("a", "b"):
            umap.patch_track(slug, track)["carried"] = True
        umap.save()
    lines = path.read_text().splitlines()
    headers = [i for i, line in enumerate(lines) if line.startswith("[")]
    assert len(headers) == 1 + 2 + 2 + 4
    assert all(lines[i - 1] == "" for i in headers)
    assert "" not in [lines[i - 1] for i in headers if lines[i - 2] == ""]  # no double blanks


def test_several_upstreams_read_added_and_kept(map_file):
    umap = UpstreamMap.load(map_file)
    assert umap.upstream_names() == ["default"]
    assert umap.track_upstream("3.11") == "default"
    umap.add_upstream("emsdk", {"path": "../emsdk", "github": "emscripten-core/emsdk", "fork": ""})
    umap.set_track(Track("emsdk-3.1", "main", "3.1.0", "abc"), upstream="emsdk")
    umap.save()
    text = map_file.read_text()
    assert text.startswith(PEOPLE_WROTE.split("[patches.")[0])  # comments kept
    again = UpstreamMap.load(map_file)
    assert again.upstream_names() == ["default", "emsdk"]
    assert again.upstream_get("github", "emsdk") == "emscripten-core/emsdk"
    assert again.upstream_get("fork", "emsdk") == ""
    assert again.upstream_get("github") == "python/cpython"
    assert again.track_upstream("emsdk-3.1") == "emsdk"
    assert again.track_upstream("3.11") == "default"
    assert UpstreamMap.load_readonly(map_file).upstream_names() == ["default", "emsdk"]
    with pytest.raises(MapError, match="already has an upstream"):
        again.add_upstream("emsdk", {"path": "x"})
    with pytest.raises(MapError, match="unknown upstream 'nope'"):
        again.upstream_table("nope")


@pytest.mark.parametrize("extra, message", [
    ('[upstreams.emsdk]\npath = 3\n', "upstreams.emsdk.path must be a string"),
    ('[upstreams."a b"]\npath = "x"\n', "upstream name 'a b' is not usable"),
    ('[upstreams.default]\npath = "x"\n', "upstream name 'default' is not usable"),
    ('[tracks.x]\nupstream = "emsdk"\n', "names upstream 'emsdk'"),
])
def test_bad_upstream_tables_are_refused(map_file, extra, message):
    map_file.write_text(PEOPLE_WROTE + "\n" + extra)
    with pytest.raises(MapError, match=message):
        UpstreamMap.load(map_file)
