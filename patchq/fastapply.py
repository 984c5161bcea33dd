"""Applying simple patches without git: bytes in, bytes out, for pushing many patches fast.

Only what is sure to give exactly what ``git apply`` gives: text changes whose every hunk
matches, byte for byte, at the line where git looks first (the hunk's position in the file
as the earlier hunks left it), new files and deleted files. Anything else -- renames, mode
changes, binary patches, quoted names, a hunk that moved or needs a 3-way merge -- returns
None, and the caller lets git apply the patch.

>>> d = parse(b"--- a/x\\n+++ b/x\\n@@ -1,3 +1,3 @@\\n a\\n-b\\n+B\\n c\\n")
>>> [(f.old_path, f.new_path) for f in d]
[('x', 'x')]
>>> apply_file(b"a\\nb\\nc\\n", d[0])
b'a\\nB\\nc\\n'
>>> apply_file(b"z\\na\\nb\\nc\\n", d[0]) is None   # moved: git would find it, we leave it to git
True
>>> nl = parse(b"--- a/x\\n+++ b/x\\n@@ -1 +1 @@\\n-a\\n\\\\ No newline at end of file\\n+a\\n")
>>> apply_file(b"a", nl[0])
b'a\\n'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .patchfile import split_lines
from .validate import refused_path

_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_UNSUPPORTED = (b"rename ", b"copy ", b"old mode", b"new mode", b"similarity", b"dissimilarity",
                b"GIT binary patch", b"Binary files")


@dataclass
class Hunk:
    old_start: int
    new_start: int
    old: list[bytes] = field(default_factory=list)  # context and removed lines, with their ends
    new: list[bytes] = field(default_factory=list)  # context and added lines
    leading: int = 0  # context lines before the first change
    trailing: int = 0  # context lines after the last change
    kinds: list[bytes] = field(default_factory=list)  # b" ", b"-" or b"+" per line, in order


@dataclass
class FilePatch:
    old_path: str | None  # None: the file is new
    new_path: str | None  # None: the file is deleted
    mode: str = "100644"  # for a new file
    hunks: list[Hunk] = field(default_factory=list)


class Unsupported(Exception):
    """The patch holds something only git applies right."""


def _strip(spec: bytes, strip: int) -> str | None:
    path = spec.split(b"\t", 1)[0].rstrip(b"\r\n")
    if path == b"/dev/null":
        return None
    if path.startswith(b'"'):
        raise Unsupported("quoted file name")
    parts = path.decode("utf-8", "surrogateescape").split("/")
    if len(parts) <= strip:
        raise Unsupported("path shorter than -p")
    name = "/".join(parts[strip:])
    if refused_path(name):  # git refuses it: so does everything that applies patches
        raise Unsupported("unusual path")
    return name


def _hunk(lines: list[bytes], at: int, header: re.Match) -> tuple[Hunk, int]:
    old_count = int(header.group(2)) if header.group(2) is not None else 1
    new_count = int(header.group(4)) if header.group(4) is not None else 1
    hunk = Hunk(int(header.group(1)), int(header.group(3)))
    old, new, kinds = hunk.old, hunk.new, hunk.kinds  # locals: this loop runs per diff line
    leading = trailing = 0
    seen_change = False
    last: tuple[list[bytes], ...] = ()
    end = len(lines)
    while at < end and (len(old) < old_count or len(new) < new_count
                        or lines[at].startswith(b"\\")):
        line = lines[at]
        at += 1
        kind, text = line[:1], line[1:]
        if kind == b"\\":
            for side in last:
                if side and side[-1].endswith(b"\n"):
                    side[-1] = side[-1][:-1]
            continue
        if line == b"\n" or line == b"\r\n":  # an empty context line whose space was lost
            kind, text = b" ", line
        if kind == b" ":
            kinds.append(kind)
            old.append(text)
            new.append(text)
            last = (old, new)
            if seen_change:
                trailing += 1
            else:
                leading += 1
        elif kind == b"-":
            kinds.append(kind)
            old.append(text)
            last, seen_change, trailing = (old,), True, 0
        elif kind == b"+":
            kinds.append(kind)
            new.append(text)
            last, seen_change, trailing = (new,), True, 0
        else:
            raise Unsupported("malformed hunk")
    hunk.leading, hunk.trailing = leading, trailing
    if len(old) != old_count or len(new) != new_count:
        raise Unsupported("hunk line counts do not match")
    return hunk, at


def parse(diff: bytes, strip: int = 1, lenient: bool = False) -> list[FilePatch]:
    """The files of a unified diff (git's or plain ``diff -u``). Raises Unsupported.

    ``lenient`` accepts what GNU patch accepts and git does not: a plain diff whose two names
    differ (``--- a/x.orig``, ``+++ b/x``) and a file patched twice in one diff."""
    lines = diff.split(b"\n")
    lines = [ln + b"\n" for ln in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    files: list[FilePatch] = []
    current: FilePatch | None = None
    mode = "100644"
    at = 0
    while at < len(lines):
        line = lines[at]
        if line.startswith(b"diff --git "):
            current, mode = None, "100644"
            at += 1
            continue
        if line.startswith(_UNSUPPORTED):
            raise Unsupported(line.decode("utf-8", "replace").strip())
        if line.startswith(b"new file mode "):
            mode = line.split()[-1].decode()
            if mode not in ("100644", "100755"):
                raise Unsupported("special file mode")
            at += 1
            continue
        if line.startswith(b"--- ") and at + 1 < len(lines) and lines[at + 1].startswith(b"+++ "):
            current = FilePatch(_strip(line[4:], strip), _strip(lines[at + 1][4:], strip), mode)
            if current.old_path is None and current.new_path is None:
                raise Unsupported("no file name")
            if current.old_path and current.new_path and current.old_path != current.new_path \
                    and not lenient:
                raise Unsupported("file renamed by a plain diff")
            files.append(current)
            at += 2
            continue
        match = _HUNK.match(line)
        if match:
            if current is None:
                raise Unsupported("hunk outside a file")
            hunk, at = _hunk(lines, at + 1, match)
            current.hunks.append(hunk)
            continue
        at += 1  # index lines, Index:/=== lines, text between files, a signature
    if not files or any(not f.hunks for f in files):
        raise Unsupported("nothing to apply")
    if not lenient and len({f.new_path or f.old_path for f in files}) != len(files):
        raise Unsupported("a file patched twice")
    return files


def apply_file(old: bytes | None, patch: FilePatch) -> bytes | None:
    """The new content of one file, or None when a hunk does not match exactly where
    ``git apply`` tries first (then git must do it: it may look further, or merge).

    Like git, a hunk whose old side starts at line 1 must match at the beginning, and one
    without trailing context at the end of the file; others are tried at the line where
    the earlier hunks put them. A deleted file gives b"".
    """
    image = split_lines(old) if old is not None else []
    for hunk in patch.hunks:
        if not hunk.old:  # only a new file may be made of additions alone
            if patch.old_path is not None or image:
                return None
            image = list(hunk.new)
            continue
        if hunk.old_start <= 1:
            pos = 0
        elif hunk.trailing == 0:
            pos = len(image) - len(hunk.old)
        else:
            pos = hunk.new_start - 1 if hunk.new_start else 0
        if pos < 0 or image[pos:pos + len(hunk.old)] != hunk.old:
            return None
        if hunk.trailing == 0 and pos + len(hunk.old) != len(image):
            return None
        image[pos:pos + len(hunk.old)] = hunk.new
    return b"".join(image)
