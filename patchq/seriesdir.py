"""Read and write a series directory: quilt's ``series`` file and the patch files beside it.

>>> s = parse_series("# Debian\\nfoo.diff\\nbar.patch -p0\\n#old.diff\\n")
>>> [(e.name, e.strip) for e in s.entries]
[('foo.diff', 1), ('bar.patch', 0)]
>>> s.disabled
('old.diff',)
>>> render_series(s, [s.entries[1], SeriesEntry("new.patch")])
'# Debian\\nbar.patch -p0\\nnew.patch\\n#old.diff\\n'
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import SeriesError
from .model import SeriesEntry, slug_of
from .patchfile import PatchFile, parse
from .validate import contained

SERIES = "series"
_STRIP = re.compile(r"^-p(\d+)$")


@dataclass(frozen=True)
class SeriesFile:
    entries: tuple[SeriesEntry, ...]
    lines: tuple[str, ...] = ()
    exists: bool = True

    @property
    def disabled(self) -> tuple[str, ...]:
        """Patch names in commented-out lines (``#name.diff``), as Debian keeps them."""
        names = []
        for line in self.lines:
            text = line.strip()
            if text.startswith("#"):
                word = text[1:].strip().split(" ")[0]
                if word and not word.startswith("#") and "." in word and " " not in text[1:].strip():
                    names.append(word)
        return tuple(names)


def check_relative(name: str, what: str = "patch name") -> str:
    """Refuse names that escape the series directory (``../``, absolute paths)."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or name.startswith("-") \
            or "\\" in name or "\x00" in name:
        raise SeriesError(f"{what} {name!r} escapes the series directory",
                          "use a plain file name inside the directory")
    return name


def _parse_line(line: str) -> SeriesEntry | None:
    text = line.split(" #", 1)[0].split("\t#", 1)[0].strip()
    if not text or text.startswith("#"):
        return None
    words = text.split()
    strip, options = 1, []
    for word in words[1:]:
        match = _STRIP.match(word)
        if match:
            strip = int(match.group(1))
        else:
            options.append(word)
    return SeriesEntry(name=check_relative(words[0]), strip=strip, options=tuple(options))


def parse_series(text: str) -> SeriesFile:
    lines = tuple(text.splitlines())
    entries = tuple(e for e in (_parse_line(ln) for ln in lines) if e is not None)
    return SeriesFile(entries=entries, lines=lines)


def read_series(directory: Path) -> SeriesFile:
    path = directory / SERIES
    contained(path, directory.parent, "series file")
    try:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        raise SeriesError(f"{path} does not exist",
                          "import a series first (patchq import)") from None
    except OSError as exc:
        raise SeriesError(f"cannot read {path}: {exc.strerror}") from None
    return parse_series(text)


def render_series(old: SeriesFile, entries: list[SeriesEntry]) -> str:
    """The series file for ``entries``, keeping ``old``'s comments and blank lines in place."""
    old_names = [e.name for e in old.entries]
    new_names = [e.name for e in entries]
    kept = [n for n in new_names if n in old_names]
    if kept != [n for n in old_names if n in new_names]:
        # surviving patches were reordered: keep comments, list entries in the new order
        return _fill_slots(old, entries)
    by_name = {e.name: e for e in entries}
    # the new entries that follow each kept entry (None: those before the first kept one)
    following: dict[str | None, list[SeriesEntry]] = {None: []}
    last: str | None = None
    for entry in entries:
        if entry.name in old_names:
            last = entry.name
            following[last] = []
        else:
            following[last].append(entry)
    out: list[str] = []
    first_slot: int | None = None
    for line in old.lines:
        old_entry = _parse_line(line)
        if old_entry is None:
            out.append(line)
            continue
        if first_slot is None:
            first_slot = len(out)
        if old_entry.name not in by_name:
            continue
        if following.get(None):
            out.extend(e.line() for e in following.pop(None))
        new = by_name[old_entry.name]
        out.append(line if new == old_entry else new.line())
        out.extend(e.line() for e in following.get(old_entry.name, []))
    if following.get(None):  # no entry was kept: new ones go where the old list started
        at = len(out) if first_slot is None else first_slot
        out[at:at] = [e.line() for e in following[None]]
    return "\n".join(out) + "\n" if out else ""


def _fill_slots(old: SeriesFile, entries: list[SeriesEntry]) -> str:
    out, queue = [], list(entries)
    for line in old.lines:
        if _parse_line(line) is None:
            out.append(line)
        elif queue:
            out.append(queue.pop(0).line())
    out.extend(e.line() for e in queue)
    return "\n".join(out) + "\n"


def discover_format_patch_files(directory: Path) -> list[str]:
    """Patch files of a directory without a series file, in file name order (Pyodide's layout)."""
    names = sorted(p.name for p in directory.iterdir()
                   if p.is_file() and p.suffix in (".patch", ".diff"))
    return names


def load_patch(directory: Path, entry: SeriesEntry) -> PatchFile:
    path = directory / check_relative(entry.name)
    # a link may point at another track's file (series/3.13/x -> ../3.12/x), never out of series/
    contained(path, directory.parent, "patch file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SeriesError(f"series names {entry.name}, which does not exist in {directory}",
                          "restore the file or remove it from the series") from None
    except IsADirectoryError:
        raise SeriesError(f"{path} is a directory, not a patch") from None
    except OSError as exc:
        raise SeriesError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return parse(data, fallback_subject=slug_of(entry.name))
    except SeriesError as exc:
        raise SeriesError(f"{entry.name}: {exc.message}", exc.hint) from None


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unlisted_files(directory: Path, series: SeriesFile) -> list[str]:
    """Files in the directory that the series neither lists nor names in a comment."""
    listed = {e.name for e in series.entries} | set(series.disabled) | {SERIES}
    out = []
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            rel = path.relative_to(directory).as_posix()
            if rel not in listed and not any(part.startswith(".") for part in path.parts):
                out.append(rel)
    return out
