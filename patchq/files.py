"""Writing the user's files safely: one file atomically, several files all-or-nothing."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

# the temp file atomic_write makes beside ``NAME`` (tempfile.mkstemp: 8 random characters)
_TEMP = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}")


def temp_of(name: str) -> str | None:
    """The file ``name`` is atomic_write's temp file for, or None.

    >>> temp_of(".series.k2j_9x0a"), temp_of(".gitignore"), temp_of("a.patch")
    ('series', None, None)
    """
    match = _TEMP.fullmatch(name)
    return match.group("name") if match else None


def remove_stray_temps(directory: Path, names: set[str] | None = None) -> list[Path]:
    """Remove the temp files a killed atomic_write left in ``directory``: those of the files
    ``names`` (default: of the files there now). Run under patchq's lock only, where no other
    patchq command is writing. Returns what was removed."""
    try:
        entries = list(directory.iterdir())
    except OSError:
        return []
    if names is None:
        names = {p.name for p in entries if temp_of(p.name) is None}
    removed = []
    for entry in entries:
        if temp_of(entry.name) in names and entry.is_file() and not entry.is_symlink():
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def atomic_write(path: Path, data: bytes, *, new: bool = False) -> None:
    """Write a file so that a crash leaves either the old or the new content. ``new``: the
    file must not exist yet, and of two writers racing for it one gets FileExistsError (the
    complete file is linked into place, which never replaces one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
        os.chmod(tmp, mode)
        if new:
            _link_new(tmp, path)
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _link_new(tmp: str, path: Path) -> None:
    """Put ``tmp`` at ``path`` unless something is there (FileExistsError); a file system
    without hard links gets an exclusive create and a copy instead."""
    try:
        os.link(tmp, path)
        return
    except FileExistsError:
        raise
    except OSError:
        pass
    with open(tmp, "rb") as source:
        data = source.read()
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


class FileSet:
    """Planned writes and deletions, applied together; on any failure the old files return.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> fs = FileSet(); fs.write(d / "a", b"1"); [p.name for p in fs.apply()]
    ['a']
    """

    def __init__(self) -> None:
        self._plan: dict[Path, bytes | None] = {}

    def write(self, path: Path, data: bytes) -> None:
        self._plan[Path(path)] = data

    def delete(self, path: Path) -> None:
        self._plan[Path(path)] = None

    def changes(self) -> dict[Path, bytes | None]:
        """Only the planned changes that differ from what is on disk."""
        out = {}
        for path, data in self._plan.items():
            current = path.read_bytes() if path.is_file() else None
            if current != data:
                out[path] = data
        return out

    def apply(self) -> list[Path]:
        """Apply the changes; return the paths changed. All or nothing."""
        changes = self.changes()
        saved: dict[Path, bytes | None] = {
            p: (p.read_bytes() if p.is_file() else None) for p in changes}
        created_dirs: list[Path] = []
        done: list[Path] = []
        try:
            for path, data in changes.items():
                if data is None:
                    path.unlink()
                else:
                    parent = path.parent
                    missing = []
                    while not parent.exists():
                        missing.append(parent)
                        parent = parent.parent
                    created_dirs.extend(reversed(missing))
                    atomic_write(path, data)
                done.append(path)
        except BaseException:
            for path in done:
                old = saved[path]
                if old is None:
                    path.unlink(missing_ok=True)
                else:
                    atomic_write(path, old)
            for directory in reversed(created_dirs):
                try:
                    directory.rmdir()
                except OSError:
                    pass
            raise
        return sorted(changes)
