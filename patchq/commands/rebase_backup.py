"""The backup of what a rebase may change outside git: the series directory, the map and the
queue manifest, copied into the upstream clone's git dir (``patchq/rebase-backup``) before
anything changes, so that ``--abort`` puts them back byte for byte and the end of the rebase
writes the series from the very same originals (design.md §7)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from .. import store as pqstore
from ..errors import StateError
from ..files import atomic_write
from ..git import Git
from ..queuecache import Manifest
from ..workspace import Workspace

BACKUP = pqstore.BACKUP


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _user_files(ws: Workspace, git: Git, track: str) -> dict[str, Path]:
    """Everything a rebase may change outside git: key -> path."""
    series = ws.series_dir(track)
    files = {"map": ws.map_path, "manifest": Manifest(git, track).path}
    if series.is_dir():
        for path in sorted(series.rglob("*")):
            if path.is_file():
                files["series/" + path.relative_to(series).as_posix()] = path
    return files


def backup(ws: Workspace, git: Git, track: str) -> Path:
    """Copy the series directory, the map and the manifest into the git dir (all written, then
    renamed into place: a crash leaves no half backup)."""
    target = git.git_path(BACKUP)
    temp = target.with_name(target.name + ".new")
    shutil.rmtree(temp, ignore_errors=True)
    try:
        (temp / "blobs").mkdir(parents=True)
        index: dict[str, str | None] = {}
        for key, path in _user_files(ws, git, track).items():
            if not path.is_file():
                index[key] = None
                continue
            data = path.read_bytes()
            digest = _digest(data)
            (temp / "blobs" / digest).write_bytes(data)
            index[key] = digest
        series = ws.series_dir(track)
        dirs = sorted(p.relative_to(series).as_posix() for p in series.rglob("*") if p.is_dir()) \
            if series.is_dir() else []
        meta = {"track": track, "files": index, "dirs": dirs, "series_exists": series.is_dir()}
        atomic_write(temp / "index.json", json.dumps(meta, indent=1, sort_keys=True).encode())
        os.replace(temp, target)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise StateError(f"cannot back up the series into {target}: {exc.strerror or exc}",
                         "free some space and try again; nothing was changed") from None
    return target


def carry_map(ws: Workspace) -> bool:
    """After a command changed people-owned fields of the map while this patch repo's rebase
    is stopped (under patchq's lock, :func:`patchq.store.writing` with ``map_fields``): the
    backed-up map becomes the map as it is now, so that --abort puts back the edit with the
    rest and the end of the rebase records its outcomes on top of it. Until the rebase writes
    the series, the map on disk is the backed-up one plus such edits only."""
    pqstore.select_busy(ws)
    git = ws.git
    if not pqstore.carries_map_edits(pqstore.current(git), ws, git):
        return False
    backup = git.git_path(BACKUP)
    try:
        meta = json.loads((backup / "index.json").read_text())
        data = ws.map_path.read_bytes()
        digest = _digest(data)
        if meta["files"].get("map") == digest:
            return False
        atomic_write(backup / "blobs" / digest, data)
        meta["files"]["map"] = digest
        atomic_write(backup / "index.json", json.dumps(meta, indent=1, sort_keys=True).encode())
    except (OSError, ValueError, KeyError) as exc:
        raise StateError(f"cannot keep the edit in the rebase backup {backup} ({exc})",
                         "`patchq rebase --abort` would undo it: record it again after the "
                         "rebase") from None
    return True


def remove_backup(git: Git) -> None:
    target = git.git_path(BACKUP)
    shutil.rmtree(target.with_name(target.name + ".new"), ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)


def restore(ws: Workspace, git: Git) -> list[str]:
    """Put the series directory, the map and the manifest back exactly as they were.
    Idempotent; returns what it had to change."""
    backup = git.git_path(BACKUP)
    try:
        meta = json.loads((backup / "index.json").read_text())
    except (OSError, ValueError) as exc:
        raise StateError(f"the rebase backup {backup} is unreadable ({exc})",
                         "restore series/ and upstream_map.toml from the patch repo's git "
                         "history, then remove " + str(git.git_path(pqstore.STATE))) from None
    track = meta["track"]
    series = ws.series_dir(track)
    now = _user_files(ws, git, track)
    changed: list[str] = []
    for key, digest in meta["files"].items():
        path = now.get(key) or (series / key[len("series/"):] if key.startswith("series/")
                                else None)
        if path is None:
            continue
        if digest is None:
            if path.is_file():
                path.unlink()
                changed.append(key)
            continue
        data = (backup / "blobs" / digest).read_bytes()
        if not path.is_file() or path.read_bytes() != data:
            atomic_write(path, data)
            changed.append(key)
    for key, path in now.items():
        if key not in meta["files"] and key.startswith("series/"):
            path.unlink()
            changed.append(key)
    if series.is_dir():
        keep = set(meta["dirs"])
        for directory in sorted((p for p in series.rglob("*") if p.is_dir()), reverse=True):
            if directory.relative_to(series).as_posix() not in keep and \
                    not any(directory.iterdir()):
                directory.rmdir()
        if not meta["series_exists"] and not any(series.iterdir()):
            series.rmdir()
    return changed
