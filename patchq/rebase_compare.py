"""Comparing a patch's diff before and after a clean 3-way merge: did only line numbers move
(``offset``), the context (``refreshed``), did hunks vanish (``partial``), or did the +/- lines
change (``modified``)? Pure: bytes in, a reading out; :func:`patchq.decide.decide` takes it
from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .diff import parse
from .model import Outcome

_INDEX = re.compile(rb"^index [0-9a-f]+\.\.[0-9a-f]+", re.MULTILINE)


def file_has_index(raw: bytes) -> bool:
    """Does a patch file carry ``index`` lines (and so blob ids that a move changes)?"""
    return bool(_INDEX.search(raw))


@dataclass
class _File:
    header: list[bytes] = field(default_factory=list)  # diff --git, mode lines, ---/+++
    hunks: list[tuple[bytes, list[bytes]]] = field(default_factory=list)  # (@@ line, body)


def _parse(diff: bytes) -> list[_File]:
    """The files of a git diff (from its first ``diff --git``): header lines but ``index``,
    hunks as (@@ line, body), lines without their newline."""
    start = diff.find(b"diff --git ")
    if start < 0:
        return []
    return [_File([line.rstrip(b"\n") for line in item.header if not line.startswith(b"index ")],
                  [(h.header.rstrip(b"\n"), [line.rstrip(b"\n") for line in h.lines])
                   for h in item.hunks])
            for item in parse(diff[start:], tolerant=True)]


def _changes(body: list[bytes]) -> tuple[bytes, ...]:
    return tuple(line for line in body if line[:1] in (b"-", b"+"))


def classify(old: bytes, new: bytes, has_index: bool) -> tuple[Outcome, str, int, int]:
    """(outcome, detail, hunks kept, hunks before) of a patch whose 3-way merge was clean.

    >>> a = b"diff --git a/f b/f\\nindex 1..2 100644\\n--- a/f\\n+++ b/f\\n@@ -1,3 +1,3 @@\\n x\\n-y\\n+z\\n w\\n"
    >>> classify(a, a.replace(b"-1,3 +1,3", b"-5,3 +5,3"), True)[0].value
    'offset'
    >>> classify(a, a.replace(b" w", b" v"), True)[0].value
    'refreshed'
    >>> classify(a, a, False)[0].value
    'unchanged'
    """
    before, after = _parse(old), _parse(new)
    total = sum(max(len(f.hunks), 1) for f in before)
    kept = sum(max(len(f.hunks), 1) for f in after)
    if [f.header for f in before] == [f.header for f in after]:
        if [f.hunks for f in before] == [f.hunks for f in after]:
            if not has_index:
                return Outcome.UNCHANGED, "", kept, total
            return Outcome.OFFSET, "index ids changed", kept, total
        if [[h[1] for h in f.hunks] for f in before] == [[h[1] for h in f.hunks] for f in after]:
            moved = sum(1 for f, g in zip(before, after) for h, k in zip(f.hunks, g.hunks)
                        if h[0] != k[0])
            return Outcome.OFFSET, f"{moved} of {total} hunks moved", kept, total
    old_changes = [_changes(h[1]) for f in before for h in f.hunks]
    new_changes = [_changes(h[1]) for f in after for h in f.hunks]
    if sum(old_changes, ()) == sum(new_changes, ()):
        renamed = [f"{g.header[0][11:].decode('utf-8', 'replace')}" for f, g in zip(before, after)
                   if f.header[0] != g.header[0]]
        detail = "context lines changed" + (f"; now {', '.join(renamed)}" if renamed else "")
        return Outcome.REFRESHED, detail, kept, total
    remaining = list(old_changes)
    subset = bool(new_changes) and len(new_changes) < len(old_changes)
    for hunk in new_changes:
        if hunk in remaining:
            remaining.remove(hunk)
        else:
            subset = False
            break
    if subset:
        gone = len(old_changes) - len(new_changes)
        return (Outcome.PARTIAL, f"{gone} of {len(old_changes)} hunks already upstream",
                kept, total)
    detail = "the 3-way merge changed its +/- lines (no person was asked): review it"
    return Outcome.MODIFIED, detail, kept, total
