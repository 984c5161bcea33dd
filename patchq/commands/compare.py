"""`patchq compare A B`: the patches two tracks carry, side by side.

Patches are paired by slug first, then (for the rest) by content: the same normalized diff
(a patch renamed on one track), the same added and removed lines (renamed, and its context
moved), then the same subject. Each pair is ``same`` (the diff differs at most in line
numbers and blob ids), ``context`` (same added and removed lines, other context) or
``differs`` (with an interdiff of the two versions); the rest is only on one track. Reads the
series files only: no upstream clone is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .. import interdiff
from ..errors import StateError
from ..queue import LoadedPatch, LoadedSeries, load_series
from ..queueexport import _clean_message
from ..workspace import Workspace

SAME, CONTEXT, DIFFERS, ONLY_A, ONLY_B = "same", "context", "differs", "only-a", "only-b"


@dataclass(frozen=True)
class Pair:
    status: str
    slug_a: str | None
    slug_b: str | None
    matched_by: str = ""  # slug, content, changes, subject
    description_differs: bool = False
    files_a: tuple[str, ...] = ()
    files_b: tuple[str, ...] = ()
    interdiff: str = ""

    def as_json(self) -> dict:
        return {"status": self.status, "a": self.slug_a, "b": self.slug_b,
                "matched_by": self.matched_by or None,
                "description_differs": self.description_differs,
                "files_a": list(self.files_a), "files_b": list(self.files_b),
                "interdiff": self.interdiff or None}


@dataclass
class Comparison:
    a: str
    b: str
    count_a: int
    count_b: int
    pairs: list[Pair] = field(default_factory=list)

    def with_status(self, status: str) -> list[Pair]:
        return [p for p in self.pairs if p.status == status]

    def as_json(self) -> dict:
        return {"a": self.a, "b": self.b, "patches_a": self.count_a, "patches_b": self.count_b,
                "counts": {s: len(self.with_status(s))
                           for s in (SAME, CONTEXT, DIFFERS, ONLY_A, ONLY_B)},
                "pairs": [p.as_json() for p in self.pairs]}


def _ids(patch: LoadedPatch) -> tuple[str, str]:
    diff, strip = patch.file.diff, patch.entry.strip
    return interdiff.content_id(diff, strip), interdiff.change_id(diff, strip)


def _same_description(a: LoadedPatch, b: LoadedPatch) -> bool:
    da, db = a.file.description, b.file.description
    return _clean_message(da.message()) == _clean_message(db.message()) and \
        (da.author_name, da.author_email) == (db.author_name, db.author_email)


def pair(a: LoadedPatch, b: LoadedPatch, label_a: str, label_b: str, matched_by: str) -> Pair:
    """Compare two versions of one patch."""
    ids_a, ids_b = _ids(a), _ids(b)
    if ids_a[0] == ids_b[0]:
        status, text = SAME, ""
    else:
        status = CONTEXT if ids_a[1] == ids_b[1] else DIFFERS
        text = interdiff.interdiff(a.file.diff, b.file.diff, f"{label_a}/{a.slug}",
                                   f"{label_b}/{b.slug}", a.entry.strip, b.entry.strip)
    return Pair(status, a.slug, b.slug, matched_by, not _same_description(a, b),
                tuple(interdiff.files(a.file.diff, a.entry.strip)),
                tuple(interdiff.files(b.file.diff, b.entry.strip)), text)


def compare_series(sa: LoadedSeries, sb: LoadedSeries) -> Comparison:
    result = Comparison(sa.track, sb.track, len(sa.patches), len(sb.patches))
    by_slug_b = sb.by_slug()
    rest_b = [p for p in sb.patches if p.slug not in sa.by_slug()]
    keys_b: dict[str, dict[str, LoadedPatch]] = {"content": {}, "changes": {}, "subject": {}}
    for patch in rest_b:
        content, change = _ids(patch)
        if patch.file.diff.strip():  # empty patches match by subject only
            keys_b["content"].setdefault(content, patch)
            keys_b["changes"].setdefault(change, patch)
        keys_b["subject"].setdefault(patch.file.description.subject, patch)
    taken: set[str] = set()
    for patch in sa.patches:
        other, how = by_slug_b.get(patch.slug), "slug"
        if other is None:
            content, change = _ids(patch)
            for how, key in (("content", content), ("changes", change),
                             ("subject", patch.file.description.subject)):
                if how != "subject" and not patch.file.diff.strip():
                    continue
                candidate = keys_b[how].get(key)
                if candidate is not None and candidate.slug not in taken:
                    other = candidate
                    break
        if other is None:
            result.pairs.append(Pair(ONLY_A, patch.slug, None, files_a=tuple(
                interdiff.files(patch.file.diff, patch.entry.strip))))
            continue
        taken.add(other.slug)
        result.pairs.append(pair(patch, other, sa.track, sb.track, how))
    for patch in sb.patches:
        if patch.slug not in taken:
            result.pairs.append(Pair(ONLY_B, None, patch.slug, files_b=tuple(
                interdiff.files(patch.file.diff, patch.entry.strip))))
    return result


def compare(ws: Workspace, a: str, b: str) -> Comparison:
    """Compare the series of tracks ``a`` and ``b``."""
    if a == b:
        raise StateError(f"both sides are track {a}", "compare two different tracks")
    ws.read_only().track(a)
    ws.track(b)
    return compare_series(load_series(ws.series_dir(a), a), load_series(ws.series_dir(b), b))


def render(result: Comparison, a: str, b: str, as_json: bool, brief: bool) -> Iterator[str]:
    """What `patchq compare` prints: a line per pair (with its interdiff unless ``brief``)."""
    if as_json:
        from ..ui import json_text

        yield json_text(result.as_json())
        return
    yield f"{a}: {result.count_a} patches, {b}: {result.count_b} patches"
    words = {SAME: "same", CONTEXT: "context", DIFFERS: "differs", ONLY_A: f"only {a}",
             ONLY_B: f"only {b}"}
    width = max(len(w) for w in words.values())
    for item in result.pairs:
        name = item.slug_a or item.slug_b
        notes = []
        if item.slug_a and item.slug_b and item.slug_a != item.slug_b:
            notes.append(f"{b}: {item.slug_b}, matched by {item.matched_by}")
        if item.status == CONTEXT:
            notes.append("same change, other context")
        if item.description_differs:
            notes.append("description differs")
        yield f"{words[item.status]:<{width}}  {name}" + (f"  ({'; '.join(notes)})"
                                                          if notes else "")
        if item.interdiff and item.status == DIFFERS and not brief:
            for line in item.interdiff.splitlines():
                yield f"    {line}"
    counts = result.as_json()["counts"]
    yield (f"{counts[SAME]} same, {counts[CONTEXT]} in another context, {counts[DIFFERS]} "
           f"differ, {counts[ONLY_A]} only in {a}, {counts[ONLY_B]} only in {b}")
