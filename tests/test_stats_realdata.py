"""Opt-in (PATCHQ_REALDATA): the fast line count of patchfile.diff_stats gives unidiff's
result on every patch of every real series, but for quilt's ``pkg.orig/`` -> ``pkg/``
names, which unidiff calls renames and which are modified files."""

from __future__ import annotations

from pathlib import Path

from helpers import conda_forge_dir

from patchq import patchfile


def _patches(directory: Path) -> list[Path]:
    return [p for p in sorted(directory.iterdir()) if p.is_file() and p.name != "series"]


def test_fast_counts_equal_unidiffs_on_every_real_patch(realdata):
    dirs = sorted((realdata / "debian").iterdir())
    cf = conda_forge_dir(realdata)
    dirs += sorted(p for p in cf.iterdir() if p.is_dir()) if cf else []
    compared = orig_dirs = 0
    for directory in dirs:
        for path in _patches(directory):
            parsed = patchfile.parse(path.read_bytes(), path.stem)
            if parsed.is_empty:
                continue
            fast = patchfile.diff_stats(parsed.diff)
            slow = patchfile.unidiff_stats(parsed.diff)
            quilt_orig = b".orig/" in parsed.diff.split(b"\n+++ ", 1)[0]
            if quilt_orig:
                slow = tuple(patchfile.FileStat(s.path, s.added, s.removed,
                                                "modified" if s.status == "renamed"
                                                else s.status) for s in slow)
                orig_dirs += 1
            assert fast == slow, path
            compared += 1
    print(f"\n{compared} real patches counted alike ({orig_dirs} with quilt .orig/ names)")
    assert compared > 200
