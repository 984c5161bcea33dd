"""Applying a patch as the downstream's own build does, when git will not.

Pyodide applies its series with ``cat patches/*.patch | patch -p1``; Debian's quilt and
conda-build run GNU ``patch`` too, and conda-build also reconciles line endings. A patch
such a build applies must not stop patchq. This module applies one patch the way GNU patch
does, in memory, after git's exact and 3-way apply have failed:

- each hunk is looked for at the line it names, moved by the offset the earlier hunks of the
  file needed, then further and further away (after before before), never before the end of
  the previous hunk;
- when it is nowhere exactly, up to ``MAX_FUZZ`` (2, GNU's default) context lines are
  ignored at its start and end (fuzz 1, then 2); a hunk with less context on one side (at
  the start or end of the file) must stay there until the fuzz uses up the difference;
- context lines keep the file's own text; only removed lines go and added lines come;
- when a file still refuses, lines are compared without their CR, and added lines take the
  file's own line ending (a CRLF patch on an LF file, or the reverse).

Anything git-specific (renames, modes, binary) is left to git; a hunk that cannot be
placed refuses the whole patch, naming the hunks. Every patch applied here says how
(:class:`Placement`, :attr:`FuzzyApply.notes`), so import, checkout, lint and list can report it.

>>> from patchq.fastapply import parse
>>> fp = parse(b"--- a/x\\n+++ b/x\\n@@ -1,4 +1,4 @@\\n a\\n b\\n-c\\n+C\\n d\\n")[0]
>>> data, places, endings = apply_file(b"A\\nb\\nc\\nd\\n", fp)
>>> data, [(p.hunk, p.fuzz, p.offset) for p in places], endings
(b'A\\nb\\nC\\nd\\n', [(1, 1, 0)], None)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from .fastapply import FilePatch, Hunk, Unsupported, parse
from .patchfile import split_lines

MAX_FUZZ = 2


class Endings(Enum):
    CRLF_PATCH_LF_FILE = "CRLF patch on an LF file"
    LF_PATCH_CRLF_FILE = "LF patch on a CRLF file"
    MIXED = "line endings differ"


@dataclass(frozen=True)
class Placement:
    """Where one hunk went: its number in the file (from 1), the fuzz and the offset."""

    path: str
    hunk: int
    fuzz: int
    offset: int


@dataclass(frozen=True)
class FuzzyApply:
    """A patch applied as GNU patch would: the new content of every file (None: deleted)."""

    files: tuple[tuple[str, bytes | None, str | None], ...]  # path, data, mode of a new file
    placements: tuple[Placement, ...]
    endings: tuple[tuple[str, Endings], ...]

    @property
    def fuzz(self) -> int:
        return max((p.fuzz for p in self.placements), default=0)

    @property
    def notes(self) -> tuple[str, ...]:
        """One line per thing a person should know: fuzz, and line endings reconciled.
        Offsets alone are not worth a note (git finds those too)."""
        out = [f"applied with fuzz {p.fuzz} at {p.path} hunk {p.hunk}"
               + (f" (offset {p.offset:+d})" if p.offset else "")
               for p in self.placements if p.fuzz]
        out += [f"line endings reconciled in {path} ({how.value})" for path, how in self.endings]
        return tuple(out)


class Refused(Exception):
    """A hunk GNU patch would reject too (with fuzz 2), or a file that is not there."""


# -- placing one hunk ---------------------------------------------------------------------


def _matches(image: list[bytes], at: int, pattern: Sequence[bytes], skip_start: int,
             skip_end: int, same) -> bool:
    end = len(pattern) - skip_end
    if at + skip_start < 0 or at + end > len(image):
        return False
    return all(same(image[at + i], pattern[i]) for i in range(skip_start, end))


def _locate(image: list[bytes], hunk: Hunk, fuzz: int, guess: int, frozen: int,
            same) -> int | None:
    """Where ``hunk`` starts in ``image`` with ``fuzz`` (its ignored context lines included:
    they stay the file's own, see :func:`_render`), or None."""
    pattern = hunk.old
    if not pattern:  # nothing to match: it goes where it says
        return min(max(guess, frozen), len(image)) if fuzz == 0 else None
    context = max(hunk.leading, hunk.trailing)
    skip_start = fuzz + hunk.leading - context
    skip_end = fuzz + hunk.trailing - context
    if skip_start < 0 and hunk.old_start <= 1:
        # fewer lines of context before than after: the hunk is at the start of the file
        if skip_end < 0 and (len(pattern) != len(image) or frozen > 0):
            return None
        if frozen == 0 and _matches(image, 0, pattern, 0, max(skip_end, 0), same):
            return 0
        return None
    skip_start = max(skip_start, 0)
    if skip_end < 0:
        # fewer lines of context after than before: the hunk is at the end of the file
        at = len(image) - len(pattern)
        if at >= frozen and _matches(image, at, pattern, skip_start, 0, same):
            return at
        return None
    last = len(image) - (len(pattern) - skip_end)  # the last start where the hunk fits
    # never before the last line the previous hunk changed
    ahead, behind = last - guess, guess - frozen
    offset = 0
    while offset <= ahead or offset <= behind:
        if offset <= ahead and _matches(image, guess + offset, pattern, skip_start, skip_end,
                                        same):
            return guess + offset
        if 0 < offset <= behind and _matches(image, guess - offset, pattern, skip_start,
                                             skip_end, same):
            return guess - offset
        offset += 1
    return None


def _exact(a: bytes, b: bytes) -> bool:
    return a == b


def _no_cr(a: bytes, b: bytes) -> bool:
    return a.rstrip(b"\r\n") == b.rstrip(b"\r\n") and a.endswith(b"\n") == b.endswith(b"\n")


def _ending_of(image: list[bytes]) -> bytes:
    crlf = sum(1 for line in image if line.endswith(b"\r\n"))
    lf = sum(1 for line in image if line.endswith(b"\n")) - crlf
    return b"\r\n" if crlf > lf else b"\n"


def _with_ending(line: bytes, ending: bytes) -> bytes:
    if not line.endswith(b"\n"):
        return line
    return line.rstrip(b"\r\n") + ending


def _place_all(image: list[bytes], hunks: Sequence[Hunk], path: str, same,
               max_fuzz: int) -> tuple[list[int], list[Placement]] | list[int]:
    """Where every hunk starts, or the numbers of the hunks that go nowhere."""
    spots: list[int] = []
    placements: list[Placement] = []
    failed: list[int] = []
    shift = frozen = 0
    for number, hunk in enumerate(hunks, 1):
        named = hunk.old_start - 1 if hunk.old else hunk.old_start
        found = None
        # fuzz ignores context lines only: never more than the hunk has
        for fuzz in range(min(max_fuzz, max(hunk.leading, hunk.trailing)) + 1):
            found = _locate(image, hunk, fuzz, max(named + shift, 0), frozen, same)
            if found is not None:
                break
        if found is None:
            failed.append(number)
            continue
        shift = found - named
        frozen = found + len(hunk.old) - hunk.trailing  # its trailing context is still free
        spots.append(found)
        placements.append(Placement(path, number, fuzz, shift))
    return failed if failed else (spots, placements)


def _render(image: list[bytes], hunks: Sequence[Hunk], spots: list[int],
            ending: bytes | None) -> bytes:
    """The file with every hunk applied at its spot. Context lines are never taken from the
    patch: they are the file's own lines, copied as the hunks go past them."""
    out: list[bytes] = []
    copied = 0
    for hunk, at in zip(hunks, spots):
        old_i = new_i = 0
        for kind in hunk.kinds:
            here = at + old_i
            if kind == b" ":
                old_i += 1
                new_i += 1
                continue
            if here > copied:
                out.extend(image[copied:here])
                copied = here
            if kind == b"-":
                copied = here + 1
                old_i += 1
            else:
                line = hunk.new[new_i]
                out.append(_with_ending(line, ending) if ending else line)
                new_i += 1
    out.extend(image[copied:])
    return b"".join(out)


def apply_file(old: bytes, patch: FilePatch, max_fuzz: int = MAX_FUZZ
               ) -> tuple[bytes, list[Placement], Endings | None]:
    """The new content of one existing file, as GNU patch would write it. Raises Refused."""
    image = split_lines(old)
    path = patch.new_path or patch.old_path or ""
    placed = _place_all(image, patch.hunks, path, _exact, max_fuzz)
    ending: bytes | None = None
    how: Endings | None = None
    if isinstance(placed, list):
        again = _place_all(image, patch.hunks, path, _no_cr, max_fuzz)
        if isinstance(again, list):
            which = ", ".join(str(n) for n in placed)
            raise Refused(f"{path}: hunk {which} does not apply, even with fuzz {max_fuzz}")
        placed = again
        ending = _ending_of(image)
        patch_crlf = _ending_of([ln for h in patch.hunks for ln in h.old + h.new])
        how = (Endings.CRLF_PATCH_LF_FILE if patch_crlf == b"\r\n" and ending == b"\n" else
               Endings.LF_PATCH_CRLF_FILE if patch_crlf == b"\n" and ending == b"\r\n" else
               Endings.MIXED)
    spots, placements = placed
    return _render(image, patch.hunks, spots, ending), placements, how


# -- a whole patch on a tree ----------------------------------------------------------------


def _pick_name(patch: FilePatch, exists) -> str | None:
    """The file a plain diff patches: GNU patch takes an existing one of its names, the one
    with the fewest components, then the shortest base name, then the shortest name."""
    names = [n for n in dict.fromkeys((patch.old_path, patch.new_path)) if n]
    there = [n for n in names if exists(n)]
    if not there:
        return None
    return min(there, key=lambda n: (n.count("/"), len(n.rsplit("/", 1)[-1]), len(n)))


def apply_patch(diff: bytes, strip: int, read, max_fuzz: int = MAX_FUZZ) -> FuzzyApply:
    """Apply ``diff`` with GNU patch's rules. ``read(path)`` gives a file's bytes, or None
    when the tree has no regular file there. Raises Refused (or Unsupported for what only
    git applies: renames, modes, binary)."""
    files = parse(diff, strip, lenient=True)
    current: dict[str, bytes | None] = {}
    modes: dict[str, str | None] = {}
    placements: list[Placement] = []
    endings: list[tuple[str, Endings]] = []

    def content(path: str) -> bytes | None:
        return current[path] if path in current else read(path)

    for item in files:
        if item.old_path is None:
            target = item.new_path or ""
            if content(target) is not None:
                raise Refused(f"{target}: the patch creates it, but it exists")
            data, places, how = apply_file(b"", item, max_fuzz)
            current[target], modes[target] = data, item.mode
        else:
            name = _pick_name(item, lambda n: content(n) is not None)
            if name is None:
                raise Refused(f"{item.old_path}: no such file")
            data, places, how = apply_file(content(name) or b"", item, max_fuzz)
            if item.new_path is None:
                if data:
                    raise Refused(f"{name}: the patch deletes it, but it would not be empty")
                current[name] = None
            else:
                current[name] = data
            modes.setdefault(name, None)
        placements += places
        if how is not None:
            endings.append((item.new_path or item.old_path or "", how))
    return FuzzyApply(files=tuple((p, d, modes.get(p)) for p, d in current.items()),
                      placements=tuple(placements), endings=tuple(endings))


__all__ = ["MAX_FUZZ", "Endings", "FuzzyApply", "Placement", "Refused", "Unsupported",
           "apply_file", "apply_patch"]
