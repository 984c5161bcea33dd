"""The one diff model: a unified diff (git's or plain ``diff -u``) as frozen values over bytes.

Every part of patchq that reads a diff reads it here: applying (:mod:`patchq.fastapply`,
:mod:`patchq.fuzzy`), line counts (:func:`stats`), detection (:mod:`patchq.detect`), the
rebase comparison (:mod:`patchq.rebase_compare`) and ``compare`` (:mod:`patchq.interdiff`).
It is one pass over the lines, a few times faster than unidiff (a queue of 1000 patches is
parsed on every build), and it keeps what unidiff does not: every line's bytes with its ending
(CRLF stays CRLF), ``\\ No newline at end of file`` applied to the line before it, git's mode
lines, binary files (``GIT binary patch`` or ``Binary files ... differ``), renames and copies.
unidiff stays the strict second reading (:func:`unidiff_stats`, lint's parse check, and the
line counts of what the fast model leaves to it).

>>> (f,) = parse(b"diff --git a/x b/x\\nold mode 100644\\nnew mode 100755\\n--- a/x\\n+++ b/x\\n"
...              b"@@ -1,2 +1,2 @@ def f():\\n a\\r\\n-b\\n+c\\n\\\\ No newline at end of file\\n")
>>> (f.path, f.old_mode, f.new_mode, f.added, f.removed, f.hunks[0].section)
('x', '100644', '100755', 1, 1, b'def f():')
>>> f.hunks[0].old, f.hunks[0].new
((b'a\\r\\n', b'b\\n'), (b'a\\r\\n', b'c'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import FileStat

# the one hunk-header pattern of the project: -start[,count] +start[,count], then the section
HUNK_HEADER = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?([^\r\n]*)")

_SPACE, _MINUS, _PLUS, _BACKSLASH = ord(" "), ord("-"), ord("+"), ord("\\")
_OCTAL = re.compile(rb"\\([0-7]{3}|.)")
_ESCAPES = {b"n": b"\n", b"t": b"\t", b'"': b'"', b"\\": b"\\", b"a": b"\a", b"b": b"\b",
            b"f": b"\f", b"r": b"\r", b"v": b"\v"}
_PLAIN = frozenset((b" ", b"-", b"+"))
_BINARY_FILES = re.compile(rb"^Binary files (.+) and (.+) differ")


class Unsupported(Exception):
    """A diff that does not parse strictly (or, raised by its users, holds what they leave
    to git)."""


@dataclass(frozen=True)
class Hunk:
    """One ``@@`` hunk. ``old``/``new`` are the two sides' lines with their endings (the line
    before a ``\\ No newline at end of file`` without it); ``lines`` the hunk's lines as
    written, marker lines included; ``kinds`` b" ", b"-" or b"+" per line of a side."""

    header: bytes  # the @@ line as written
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[bytes, ...]

    # the sides are read when first asked for (detection reads only :attr:`tagged`), and
    # kept in the instance's __dict__ (functools.cached_property takes a lock per call)

    def _sides(self) -> tuple:
        sides = self.__dict__.get("_sides_")
        if sides is None:
            body = self.lines
            kinds = tuple([line[:1] for line in body])
            if _PLAIN.issuperset(kinds):
                old = tuple([line[1:] for line in body if line[0] != _PLUS])
                new = tuple([line[1:] for line in body if line[0] != _MINUS])
            else:
                kinds, old, new = _marked_sides(body)
            leading = trailing = 0
            for kind in kinds:
                if kind != b" ":
                    break
                leading += 1
            if leading < len(kinds):
                for kind in reversed(kinds):
                    if kind != b" ":
                        break
                    trailing += 1
            sides = self.__dict__["_sides_"] = (kinds, old, new, leading, trailing)
        return sides

    @property
    def kinds(self) -> tuple[bytes, ...]:
        """b" ", b"-" or b"+" per line of a side."""
        return self._sides()[0]

    @property
    def old(self) -> tuple[bytes, ...]:
        """Context and removed lines."""
        return self._sides()[1]

    @property
    def new(self) -> tuple[bytes, ...]:
        """Context and added lines."""
        return self._sides()[2]

    @property
    def leading(self) -> int:
        """Context lines before the first change."""
        return self._sides()[3]

    @property
    def trailing(self) -> int:
        """Context lines after the last change (0 for a hunk of context alone)."""
        return self._sides()[4]

    @property
    def label(self) -> str:
        """``@@ -38,7 +38,11 @@``: the header without its section text."""
        return self.header[:self.header.index(b"@@", 2) + 2].decode("ascii", "replace")

    @property
    def section(self) -> bytes:
        """The text after the second ``@@`` (git's function name)."""
        match = HUNK_HEADER.match(self.header)
        return match.group(5) if match else b""

    @property
    def added(self) -> int:
        return self.kinds.count(b"+")

    @property
    def removed(self) -> int:
        return self.kinds.count(b"-")

    @property
    def no_newline(self) -> bool:
        """Does a side of the hunk end without a newline?"""
        return any(line.startswith(b"\\") for line in self.lines)

    @property
    def tagged(self) -> tuple[tuple[int, bytes], ...]:
        """(tag, text) per line, text without its ending and trailing blanks: tag is
        ``ord(" ")``, ``ord("-")`` or ``ord("+")`` (what detection compares)."""
        tagged = self.__dict__.get("_tagged_")
        if tagged is None:
            tagged = self.__dict__["_tagged_"] = tuple(
                [(_SPACE if line in (b"\n", b"\r\n") else line[0], line[1:].rstrip())
                 for line in self.lines if line[0] != _BACKSLASH])
        return tagged


@dataclass(frozen=True)
class FilePatch:
    """One file of a diff. ``header`` holds its lines that are not hunks, as written
    (``diff --git``, mode and rename lines, ``index``, ``---``/``+++``, binary data)."""

    old_path: str | None  # None: the file is new
    new_path: str | None  # None: the file is deleted
    hunks: tuple[Hunk, ...] = ()
    header: tuple[bytes, ...] = ()
    old_spec: bytes = b""  # the name after ``--- `` as written (b"" without that line)
    new_spec: bytes = b""
    old_mode: str = ""
    new_mode: str = ""  # also a new file's mode
    git: bool = False  # under a ``diff --git`` line
    rename: bool = False
    copy: bool = False
    binary: bool = False
    quoted: bool = False  # a C-quoted name (git's for unusual bytes)

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def mode(self) -> str:
        """The mode a new file is created with."""
        return self.new_mode or "100644"

    @property
    def added(self) -> int:
        return sum(h.added for h in self.hunks)

    @property
    def removed(self) -> int:
        return sum(h.removed for h in self.hunks)

    @property
    def crlf(self) -> bool:
        """Does a line of its hunks end with CRLF?"""
        return any(line.endswith(b"\r\n") for h in self.hunks for line in h.lines)

    @property
    def mode_change(self) -> bool:
        return bool(self.old_mode and self.new_mode and self.old_mode != self.new_mode)


def split_lines(data: bytes) -> list[bytes]:
    """Lines with their endings; only ``\\n`` ends a line (a CR stays in its line)."""
    parts = data.split(b"\n")
    out = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def unquote(name: bytes) -> bytes:
    """A name as git prints it, C-quoted when unusual, unquoted.

    >>> unquote(b'"b/caf\\\\303\\\\251.txt"').decode()
    'b/café.txt'
    """
    if name.startswith(b'"') and name.endswith(b'"') and len(name) > 1:
        return _OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]) if len(m.group(1)) == 3
                          else _ESCAPES.get(m.group(1), m.group(1)), name[1:-1])
    return name


def strip_name(name: bytes, strip: int) -> str | None:
    """A name with its first ``strip`` components dropped (all of it when it has no more);
    None for /dev/null."""
    name = unquote(name.split(b"\t", 1)[0].rstrip(b"\r\n"))
    if name == b"/dev/null":
        return None
    parts = name.decode("utf-8", "surrogateescape").split("/")
    return "/".join(parts[strip:]) if len(parts) > strip else parts[-1]


def _hunk(lines: list[bytes], at: int, match: re.Match, tolerant: bool) -> tuple[Hunk, int]:
    """The hunk whose header ``match`` read at ``lines[at - 1]``, and the line after it.

    One pass finds where the hunk ends (its line counts); its sides are built when first
    asked for (:attr:`Hunk.old`)."""
    old_count = int(match.group(2)) if match.group(2) is not None else 1
    new_count = int(match.group(4)) if match.group(4) is not None else 1
    old_left, new_left = old_count, new_count
    start, end = at, len(lines)
    while at < end and (old_left > 0 or new_left > 0 or lines[at][0] == _BACKSLASH):
        line = lines[at]
        tag = line[0]
        if tag == _SPACE:
            old_left -= 1
            new_left -= 1
        elif tag == _MINUS:
            old_left -= 1
        elif tag == _PLUS:
            new_left -= 1
        elif tag == _BACKSLASH:
            pass
        elif line == b"\n" or line == b"\r\n":  # an empty context line whose space was lost
            old_left -= 1
            new_left -= 1
        elif tolerant:
            break
        else:
            raise Unsupported("malformed hunk")
        at += 1
    if not tolerant and (old_left or new_left):
        raise Unsupported("hunk line counts do not match")
    hunk = Hunk(lines[start - 1], int(match.group(1)), old_count, int(match.group(3)), new_count,
                tuple(lines[start:at]))
    return hunk, at


def _marked_sides(body: tuple[bytes, ...]
                  ) -> tuple[tuple[bytes, ...], tuple[bytes, ...], tuple[bytes, ...]]:
    """(kinds, old, new) of a hunk's lines that hold ``\\`` markers or bare empty lines."""
    old: list[bytes] = []
    new: list[bytes] = []
    kinds: list[bytes] = []
    last: tuple[list[bytes], ...] = ()
    for line in body:
        kind, text = line[:1], line[1:]
        if kind == b"\\":
            for side in last:
                if side and side[-1].endswith(b"\n"):
                    side[-1] = side[-1][:-1]
            continue
        if line == b"\n" or line == b"\r\n":
            kind, text = b" ", line
        kinds.append(kind)
        if kind != b"+":
            old.append(text)
        if kind != b"-":
            new.append(text)
        last = (old, new) if kind == b" " else (old,) if kind == b"-" else (new,)
    return tuple(kinds), tuple(old), tuple(new)


@dataclass
class _File:
    """A file being read (then frozen as a :class:`FilePatch`)."""

    header: list[bytes] = field(default_factory=list)
    hunks: list[Hunk] = field(default_factory=list)
    values: dict = field(default_factory=dict)
    specs: bool = False  # its ---/+++ lines were read


def _git_names(line: bytes, strip: int) -> dict:
    """The names of a ``diff --git a/X b/X`` line (unquoted ones only: a quoted pair comes
    with ---/+++ or rename lines)."""
    rest = line[11:].rstrip(b"\r\n")
    if rest.startswith(b'"') or b" b/" not in rest:
        return {"quoted": rest.startswith(b'"')}
    old, _, new = rest.partition(b" b/")
    return {"old_path": strip_name(old, strip), "new_path": strip_name(b"b/" + new, strip)}


def _meta(line: bytes, values: dict) -> None:
    """What one extended header line says of its file."""
    if line.startswith(b"new file mode "):
        values["old_path"], values["new_mode"] = None, line[14:].strip().decode()
    elif line.startswith(b"deleted file mode "):
        values["new_path"], values["old_mode"] = None, line[18:].strip().decode()
    elif line.startswith(b"old mode "):
        values["old_mode"] = line[9:].strip().decode()
    elif line.startswith(b"new mode "):
        values["new_mode"] = line[9:].strip().decode()
    elif line.startswith((b"rename from ", b"copy from ")):
        values["rename" if line[:1] == b"r" else "copy"] = True
        values["old_path"] = strip_name(line.split(b" from ", 1)[1], 0)
    elif line.startswith((b"rename to ", b"copy to ")):
        values["new_path"] = strip_name(line.split(b" to ", 1)[1], 0)
    elif line.startswith((b"GIT binary patch", b"Binary files ")):
        values["binary"] = True
    elif line.startswith(b"index ") and b" " in line[6:].strip():
        mode = line.rsplit(b" ", 1)[1].strip().decode()
        values.setdefault("old_mode", mode)
        values.setdefault("new_mode", mode)


_META = (b"new file mode ", b"deleted file mode ", b"old mode ", b"new mode ", b"rename ",
         b"copy ", b"GIT binary patch", b"Binary files ", b"index ", b"similarity",
         b"dissimilarity")


def _freeze(item: _File) -> FilePatch:
    values = item.values
    return FilePatch(values.pop("old_path", None), values.pop("new_path", None),
                     tuple(item.hunks), tuple(item.header), **values)


def parse(diff: bytes, strip: int = 1, tolerant: bool = False) -> tuple[FilePatch, ...]:
    """The files of a diff, in order. Text around the files (a mail's message, ``Index:``
    lines, a signature) is passed over. Strict unless ``tolerant``: a hunk whose lines are
    not what its header counts raises :class:`Unsupported`; tolerant, it ends where the
    diff stops looking like a hunk (git's own output, read as it comes)."""
    lines = split_lines(diff)
    files: list[_File] = []
    current: _File | None = None
    at, end = 0, len(lines)
    while at < end:
        line = lines[at]
        at += 1
        if line.startswith(b"@@"):
            match = HUNK_HEADER.match(line)
            if match:
                if current is None:
                    current = _File(values={"old_path": None, "new_path": None})
                    files.append(current)
                hunk, at = _hunk(lines, at, match, tolerant)
                current.hunks.append(hunk)
                continue
        if line.startswith(b"diff --git "):
            current = _File([line], values={"git": True, **_git_names(line, strip)})
            files.append(current)
            continue
        if line.startswith(b"--- ") and at < end and lines[at].startswith(b"+++ "):
            plus = lines[at]
            at += 1
            if current is None or current.specs or current.hunks:
                current = _File()
                files.append(current)
            old_spec = line[4:].split(b"\t", 1)[0].rstrip(b"\r\n")
            new_spec = plus[4:].split(b"\t", 1)[0].rstrip(b"\r\n")
            values = current.values
            values.update(old_spec=old_spec, new_spec=new_spec,
                          old_path=strip_name(old_spec, strip),
                          new_path=strip_name(new_spec, strip))
            if old_spec.startswith(b'"') or new_spec.startswith(b'"'):
                values["quoted"] = True
            current.header += [line, plus]
            current.specs = True
            continue
        if current is None or current.hunks:
            if line.startswith(b"Binary files "):  # a plain ``diff -r`` binary file
                names = _BINARY_FILES.match(line)
                current = _File([line], values={"binary": True, "old_path": None,
                                                "new_path": None})
                if names:
                    current.values.update(old_path=strip_name(names.group(1), strip),
                                          new_path=strip_name(names.group(2), strip))
                files.append(current)
            continue  # text between files
        current.header.append(line)
        if line.startswith(_META):
            _meta(line, current.values)
    return tuple(_freeze(item) for item in files)


def stat(item: FilePatch) -> FileStat:
    """The line counts and status of one file, as ``patchq list`` shows them."""
    if item.old_path is None:
        return FileStat(item.new_path or "", item.added, item.removed, "added")
    if item.new_path is None:
        return FileStat(item.old_path, item.added, item.removed, "removed")
    if item.rename:
        return FileStat(item.new_path, item.added, item.removed, "renamed")
    if item.binary:
        return FileStat(item.path, item.added, item.removed, "binary")
    return FileStat(item.new_path, item.added, item.removed, "modified")


_SECTION = re.compile(rb"^(?:commit ([0-9a-f]{40})\b.*|diff --git (.*))$", re.MULTILINE)


def parse_log(data: bytes, paths: set[str] | None = None
              ) -> list[tuple[str, tuple[FilePatch, ...]]]:
    """git's own diff output (``log -p``, ``diff-tree -p``, with ``commit <sha>`` lines) as
    (commit, files), read tolerantly; output without commit lines gives one commit named "".
    With ``paths``, files touching none of them are skipped unread (a range of thousands of
    commits is read for the few files the patches touch).

    >>> log = (b"commit " + b"1" * 40 + b"\\ndiff --git a/x b/x\\n--- a/x\\n+++ b/x\\n"
    ...        b"@@ -1,2 +1,2 @@\\n a\\n-b\\n+c\\n")
    >>> [(sha[:4], [(f.path, [h.tagged for h in f.hunks]) for f in files])
    ...  for sha, files in parse_log(log)]
    [('1111', [('x', [((32, b'a'), (45, b'b'), (43, b'c'))])])]
    """
    commits: list[tuple[str, list[FilePatch]]] = []
    files: list[FilePatch] = []
    marks = list(_SECTION.finditer(data))
    for number, mark in enumerate(marks):
        if mark.group(1) is not None:
            files = []
            commits.append((mark.group(1).decode(), files))
            continue
        if paths is not None:
            names = _git_names(mark.group(0), 1)
            if "old_path" in names and names["old_path"] not in paths and \
                    names["new_path"] not in paths:
                continue
        if not commits:
            commits.append(("", files))
        end = marks[number + 1].start() if number + 1 < len(marks) else len(data)
        for item in parse(data[mark.start():end], 1, tolerant=True):
            if paths is None or item.old_path in paths or item.new_path in paths:
                files.append(item)
    return [(sha, tuple(items)) for sha, items in commits]
