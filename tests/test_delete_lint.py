"""`patchq delete` leaves a repo `patchq lint` passes: the kept file is named in the map."""

from __future__ import annotations

from helpers import patchq
from stack_data import (
    patch_file,
    run_ok,
    series_names,
    template,  # noqa: F401 (fixtures)
    work,  # noqa: F401 (fixtures)
)

from patchq.upstream_map import UpstreamMap


def record(repo, slug, track="3.11"):
    return UpstreamMap.load(repo / "upstream_map.toml").patch(slug)["tracks"][track]


def test_delete_keeping_the_file_passes_lint(work):
    _, repo = work
    path = patch_file(repo, "p-five")
    run_ok(repo, "delete", "p-five")
    assert path.exists() and path.name not in series_names(repo)
    rec = record(repo, "p-five")
    assert rec["carried"] is False and rec["kept_file"] == path.name
    assert rec["deleted"] == "2024-05-06"
    res = patchq("-C", str(repo), "lint", "3.11", "--strict")
    assert res.code == 0, res.text


def test_a_stray_file_is_still_unlisted(work):
    _, repo = work
    path = patch_file(repo, "p-five")
    (path.parent / "9999-stray.patch").write_bytes(path.read_bytes())
    run_ok(repo, "delete", "p-five")
    res = patchq("-C", str(repo), "lint", "3.11")
    assert res.code == 1
    assert "9999-stray.patch is not in the series file [unlisted]" in res.out
    assert path.name not in res.out


def test_delete_with_remove_and_backup_passes_lint(work):
    _, repo = work
    path = patch_file(repo, "p-three")
    run_ok(repo, "delete", "p-three", "-r", "--backup")
    assert not path.exists() and path.with_name(path.name + "~").exists()
    assert "kept_file" not in record(repo, "p-three")
    res = patchq("-C", str(repo), "lint", "3.11", "--strict")
    assert res.code == 0, res.text
