"""Looking for a hunk's change in one file of a ref (docs/design.md §5, the ``hunks`` method):
the post-image with its context, or each changed run beside a line of its context, and the
old lines still there for a change that is not. Pure: the file's bytes in, a verdict out.

Lines are compared without their endings and trailing blanks (:attr:`patchq.diff.Hunk.tagged`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .detect_types import HunkResult, Verdict
from .diff import Hunk

__all__ = ["Block", "FileText", "blocks", "hunk_after", "hunk_before", "hunk_verdict",
           "significant", "supersede"]

_SPACE, _MINUS, _PLUS = ord(" "), ord("-"), ord("+")


@dataclass(frozen=True)
class Block:
    removed: tuple[bytes, ...]
    added: tuple[bytes, ...]
    lead: tuple[bytes, ...]  # up to three context lines just before
    trail: tuple[bytes, ...]  # up to three context lines just after

    def key(self) -> tuple:
        return (self.removed, self.added)



def hunk_before(hunk: Hunk) -> tuple[bytes, ...]:
    """The hunk's old side, normalized (no endings, no trailing blanks)."""
    return tuple(t for tag, t in hunk.tagged if tag != _PLUS)


def hunk_after(hunk: Hunk) -> tuple[bytes, ...]:
    """The hunk's new side, normalized."""
    return tuple(t for tag, t in hunk.tagged if tag != _MINUS)


def blocks(hunk: Hunk) -> list[Block]:
    """The runs of changed lines, each with the context line on either side."""
    out: list[Block] = []
    lines = hunk.tagged
    i = 0
    while i < len(lines):
        if lines[i][0] == _SPACE:
            i += 1
            continue
        start = i
        while i < len(lines) and lines[i][0] != _SPACE:
            i += 1
        removed = tuple(t for tag, t in lines[start:i] if tag == _MINUS)
        added = tuple(t for tag, t in lines[start:i] if tag == _PLUS)
        lead: list[bytes] = []
        j = start - 1
        while j >= 0 and lines[j][0] == _SPACE and len(lead) < 3:
            lead.insert(0, lines[j][1])
            j -= 1
        trail: list[bytes] = []
        j = i
        while j < len(lines) and lines[j][0] == _SPACE and len(trail) < 3:
            trail.append(lines[j][1])
            j += 1
        out.append(Block(removed, added, tuple(lead), tuple(trail)))
    return out



def significant(line: bytes) -> bool:
    """A line that says something on its own (not blank, not a lone brace)."""
    text = line.strip()
    return len(text) >= 3 and any(c.isalnum() for c in text.decode("utf-8", "replace"))


_TRAILING_BLANK = re.compile(rb"[ \t\r\x0b\x0c](?:\n|\Z)")


class FileText:
    """One file of the ref, lines without trailing blanks, for contiguous-line look-ups
    (one substring search in C per question, no index to build).

    >>> text = FileText(b"one  \\r\\ntwo\\nthree")
    >>> text.find([b"one", b"two"]), text.find([b"two", b"three"]), text.find([b"tw"])
    (True, True, False)
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        body = data
        if _TRAILING_BLANK.search(data):  # CRLF files, stray blanks: strip line by line
            body = b"\n".join(line.rstrip() for line in data.split(b"\n"))
        self._blob = b"\n" + body + (b"" if body.endswith(b"\n") else b"\n")
        self._normalized: str | None = None

    def find(self, seq: Sequence[bytes]) -> bool:
        """Does ``seq`` occur as consecutive lines?"""
        if not seq:
            return True
        return b"\n" + b"\n".join(seq) + b"\n" in self._blob

    def normalized_text(self) -> str:
        """The text with every run of white space made one space (for re-wrapped prose)."""
        if self._normalized is None:
            self._normalized = " ".join(self.data.decode("utf-8", "replace").split())
        return self._normalized


def _strong(seq: Sequence[bytes]) -> bool:
    return any(map(significant, seq))


def _block_verdict(block: Block, text: FileText) -> Verdict:
    """One changed run whose hunk's context moved: its new lines beside a line of their
    context (IN), or its old lines still between their context (OUT)."""
    lead1, trail1 = block.lead[-1:], block.trail[:1]
    old = block.lead + block.removed + block.trail
    pre = _strong(old) and text.find(old)
    if block.added:
        post = any(_strong(seq) and text.find(seq)
                   for seq in (lead1 + block.added, block.added + trail1))
        core = _trim(block.added)
        if not post and _distinctive(core):
            post = text.find(core)  # a long, distinctive addition found anywhere
    else:  # a pure removal: the lines around it now touch, and the lines are gone
        joined = lead1 + trail1
        post = _strong(joined) and text.find(joined) if joined else True
        if _strong(block.removed) and text.find(block.removed):
            post = False
    if post and not pre:
        return Verdict.IN
    if pre and not post:
        return Verdict.OUT
    return Verdict.UNKNOWN


def _trim(seq: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """Without blank lines at either end."""
    start, end = 0, len(seq)
    while start < end and not seq[start].strip():
        start += 1
    while end > start and not seq[end - 1].strip():
        end -= 1
    return seq[start:end]


def _distinctive(seq: tuple[bytes, ...]) -> bool:
    """Lines unlikely to be anywhere by chance: two or more significant ones, 40+ bytes."""
    lines = [t for t in seq if significant(t)]
    return len(lines) >= 2 and sum(len(t.strip()) for t in lines) >= 40


def hunk_verdict(hunk: Hunk, text: FileText | None, new_file: bool = False,
                 deleted: bool = False) -> tuple[Verdict, str]:
    """What ``text`` (the ref's version of the hunk's file, None when it has none) says of
    ``hunk``, and how: 'in place' (the post-image with its context) or 'moved' (each changed
    run found beside a line of its context).

    >>> from patchq.diff import parse
    >>> h = parse(b"--- a/f\\n+++ b/f\\n@@ -1,3 +1,3 @@\\n one\\n-two\\n+TWO\\n three\\n")[0].hunks[0]
    >>> [hunk_verdict(h, FileText(t))[0].value for t in
    ...  (b"one\\nTWO\\nthree\\n", b"one\\ntwo\\nthree\\n", b"zero\\none\\nTWO\\nthree!\\n", b"x\\n")]
    ['in', 'out', 'in', 'unknown']
    """
    if text is None:
        if deleted:
            return Verdict.IN, "file removed"
        return (Verdict.OUT, "no such file") if new_file else (Verdict.UNKNOWN, "no such file")
    if deleted:
        return (Verdict.OUT, "file still there") if text.find(hunk_before(hunk)) else \
            (Verdict.UNKNOWN, "file changed")
    before, after = hunk_before(hunk), hunk_after(hunk)
    post = text.find(after)
    pre = bool(before) and text.find(before)
    if post and not pre:
        return Verdict.IN, "in place"
    if pre and not post:
        return Verdict.OUT, "not applied"
    if new_file:
        return Verdict.UNKNOWN, "file differs"
    verdicts = [_block_verdict(b, text) for b in blocks(hunk)]
    if verdicts and all(v is Verdict.IN for v in verdicts):
        return Verdict.IN, "moved"
    if any(v is Verdict.OUT for v in verdicts):
        return Verdict.OUT, "not applied"
    if any(v is Verdict.IN for v in verdicts):
        # some runs are there and none of the old text is left: upstream took the change
        # and changed some of its lines again since
        return Verdict.IN, "changed since"
    return Verdict.UNKNOWN, "changed"


def supersede(slugs: Sequence[str],
               per_patch: list[list[tuple[HunkResult, Hunk | None]]],
               texts: Mapping[str, FileText | None]) -> None:
    """A hunk neither found nor contradicted, whose new lines later patches of the series
    replace in hunks that are in the ref (and whose other new lines are in the ref's file),
    is in the ref as the series has it."""
    for k, results in enumerate(per_patch):
        for n, (result, hunk) in enumerate(results):
            if result.verdict is not Verdict.UNKNOWN or hunk is None:
                continue
            wanted = {t for tag, t in hunk.tagged if tag == _PLUS and significant(t)}
            text = texts.get(result.path)
            if not wanted or text is None:
                continue
            kept = {t for t in wanted if text.find((t,))}
            removed: set[bytes] = set()
            by: list[str] = []
            for j in range(k + 1, len(per_patch)):
                for later, later_hunk in per_patch[j]:
                    if later_hunk is None or later.path != result.path or \
                            later.verdict is not Verdict.IN:
                        continue
                    lines = {t for tag, t in later_hunk.tagged if tag == _MINUS} & wanted
                    if lines - removed:
                        removed |= lines
                        by.append(slugs[j])
                if removed and wanted <= removed | kept:
                    how = "changed again by " + ", ".join(dict.fromkeys(by))
                    results[n] = (HunkResult(result.path, result.header, Verdict.IN, how,
                                             result.commits), hunk)
                    break
