"""What a rebase gives back and writes down: the result a command returns (:class:`RebaseResult`,
rendered by the CLI, ``--json`` through ``as_json``), built from the operation state, and the
outcomes recorded in the map at the end (each patch's outcome, evidence and upstream state;
the track's new base and last rebase)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..aside import in_series_order
from ..clock import stamp, today
from ..model import Outcome, Track
from ..queue import LoadedSeries
from ..rebase_result import PatchResult
from ..seriesdir import SERIES, render_series
from ..workspace import Workspace
from .rebase_state import RebaseState

_PAIR = re.compile(r"^\s*(?:\d+|-):\s+(?:[0-9a-f]+|-+) ([<>=!]) \s*(?:\d+|-):")
REFRESH = (Outcome.OFFSET, Outcome.REFRESHED, Outcome.PARTIAL, Outcome.MODIFIED)
ORDER = [o.value for o in Outcome]


@dataclass(frozen=True)
class Stopped:
    number: int  # 1-based position in the series
    slug: str
    files: tuple[str, ...]
    messages: tuple[str, ...]


@dataclass(frozen=True)
class RebaseResult:
    track: str
    branch: str
    from_ref: str
    from_commit: str
    to_ref: str
    to_commit: str
    state: str  # done, stopped, dry-run, up-to-date
    total: int
    patches: tuple[PatchResult, ...] = ()
    tip: str = ""
    range_diff: str = ""
    written: tuple[Path, ...] = ()
    stopped: Stopped | None = None
    unresolved: tuple[str, ...] = ()  # --status: files still conflicted
    checked_out: bool = True  # --status: the stopped patch's conflict is in the work tree

    def counts(self) -> dict[str, int]:
        out = {o: 0 for o in ORDER}
        for result in self.patches:
            out[result.outcome.value] += 1
        if self.stopped is not None:
            out[Outcome.CONFLICT.value] += 1
        return {k: v for k, v in out.items() if v}

    def as_json(self) -> dict:
        return {
            "track": self.track, "branch": self.branch, "state": self.state,
            "from": {"ref": self.from_ref, "commit": self.from_commit},
            "to": {"ref": self.to_ref, "commit": self.to_commit},
            "tip": self.tip, "total": self.total, "counts": self.counts(),
            "patches": [r.as_json() for r in self.patches],
            "stopped": None if self.stopped is None else {
                "number": self.stopped.number, "slug": self.stopped.slug,
                "files": list(self.stopped.files), "messages": list(self.stopped.messages)},
            "range_diff": self.range_diff,
            "written": [str(p) for p in self.written],
        }


@dataclass(frozen=True)
class AbortResult:
    track: str
    branch: str
    head: str  # where HEAD is now (a branch name or a commit)
    restored: tuple[str, ...]


def with_aside(state: RebaseState, results: Sequence[PatchResult]) -> list[PatchResult]:
    """``results`` and the patches still set aside from an earlier rebase, in series order."""
    have = {r.slug for r in results}
    aside = [r for r in state.aside if r.slug not in have]
    if not aside:
        return list(results)
    return in_series_order(list(results) + aside, list(state.order))


def result_of(state: RebaseState, status: str, results: Sequence[PatchResult] | None = None,
              **more) -> RebaseResult:
    """The command's result from the operation state (``results``: the state's own, unless
    given)."""
    patches = with_aside(state, state.results if results is None else results)
    stop = state.stop
    stopped = Stopped(stop.index + 1, stop.slug, stop.files, stop.messages) \
        if status == "stopped" and stop else None
    return RebaseResult(state.track, state.branch, state.from_.ref, state.from_.commit,
                        state.to.ref, state.to.commit, state=status, total=state.total,
                        patches=tuple(patches), tip=state.tip, stopped=stopped, **more)


def all_unchanged(results) -> bool:
    """Every patch kept byte for byte: range-diff would pair each with itself (``=``), and
    show nothing once those pairs are left out, so it is not run."""
    return all(r.outcome is Outcome.UNCHANGED for r in results)


def changed_range_diff(text: str) -> str:
    """``git range-diff`` without the pairs that are the same (``=``): what changed."""
    out, keep = [], False
    for line in text.splitlines():
        match = _PAIR.match(line)
        if match:
            keep = match.group(1) != "="
        if keep:
            out.append(line)
    return "\n".join(out) + ("\n" if out else "")


def keep_set_aside(plan, loaded: LoadedSeries, results: list[PatchResult]) -> None:
    """Patches set aside at a conflict stay in the series, unchanged, at their place."""
    aside = {r.slug for r in results if r.outcome is Outcome.CONFLICT}
    if not aside:
        return
    by_slug = loaded.by_slug()
    planned = {e.slug: e for e in plan.entries}
    entries = []
    for entry in loaded.series.entries:
        if entry.slug in aside:
            entries.append(entry)
            plan.files.write(by_slug[entry.slug].path, by_slug[entry.slug].file.raw)
        elif entry.slug in planned:
            entries.append(planned.pop(entry.slug))
    entries.extend(planned.values())
    plan.entries = entries
    plan.removed = [s for s in plan.removed if s not in aside]
    plan.files.write(loaded.directory / SERIES,
                     render_series(loaded.series, entries).encode("utf-8", "surrogateescape"))


def record_map(ws: Workspace, state: RebaseState, results: list[PatchResult]) -> None:
    """The track's new base and last rebase, each patch's outcome and upstream state."""
    umap = ws.map
    track = state.track
    old = umap.track(track)
    umap.set_track(Track(track, old.follows, state.to.ref, state.to.commit))
    table = umap.track_table(track)
    last = umap.new_table()
    last["from"] = state.from_.ref
    last["from_commit"] = state.from_.commit
    last["to"] = state.to.ref
    last["to_commit"] = state.to.commit
    last["at"] = stamp()
    counts = umap.new_inline()
    for outcome in ORDER:
        n = sum(1 for r in results if r.outcome == outcome)
        if n:
            counts[outcome] = n
    last["counts"] = counts
    umap.spaced(last)
    table["last_rebase"] = last
    checked = stamp()
    ref = state.to.ref
    for result in results:
        record = umap.patch_track(result.slug, track)
        record["outcome"] = result.outcome.value
        _set(record, "evidence",
             _evidence_array(umap, result.evidence) if result.evidence else None)
        _set(record, "confidence", result.confidence.value if result.confidence and
             result.outcome in (Outcome.UPSTREAM, Outcome.OBSOLETE) else None)
        _set(record, "needs_person", True if result.needs_person else None)
        _set(record, "set_aside_on", _aside_base(record, state, result))
        if result.dropped:
            record["carried"] = False
            record["dropped"] = today()
        else:
            record["carried"] = True
            _set(record, "dropped", None)
        state_here = result.upstream.state.value
        if result.outcome is Outcome.DROPPED or (state_here == "absent" and not (
                result.evidence and result.outcome is Outcome.CONFLICT)):
            # nothing of it upstream (or a person dropped it: that says nothing of upstream):
            # no table (the outcome says it); an older one goes
            if ref in record.get("upstream", {}):
                del record["upstream"][ref]
            continue
        if "upstream" not in record:
            record["upstream"] = umap.new_table(super_table=True)
        entry = umap.new_table()
        entry["state"] = state_here
        if result.evidence and result.outcome in (Outcome.UPSTREAM, Outcome.PARTIAL,
                                                  Outcome.CONFLICT):
            entry["evidence"] = _evidence_array(umap, result.evidence)
        for key in ("hunks_total", "hunks_present"):
            if getattr(result.upstream, key):
                entry[key] = getattr(result.upstream, key)
        entry["checked_at"] = checked
        entry["ref_commit"] = state.to.commit
        umap.spaced(entry)
        record["upstream"][ref] = entry


def _aside_base(record, state: RebaseState, result: PatchResult) -> str | None:
    """The base a set-aside patch's file applies to (kept while it stays set aside), so
    that pushing it later can merge it 3-way from there."""
    if result.outcome is not Outcome.CONFLICT:
        return None
    return str(record.get("set_aside_on") or state.from_.commit)


def _set(table, key: str, value) -> None:
    if value is None:
        if key in table:
            del table[key]
    else:
        table[key] = value


def _evidence_array(umap, items):
    array = umap.new_array()
    for item in items:
        inline = umap.new_inline()
        inline["method"] = item.method.value
        inline["commits"] = list(item.commits)
        if item.detail:
            inline["detail"] = item.detail
        if item.confidence is not None:
            inline["confidence"] = item.confidence.value
        array.append(inline)
    return array
