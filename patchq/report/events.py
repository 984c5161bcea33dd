"""The week's events of one track: what happened since the baseline, each with its evidence.

Pure. One event per patch (and one for the base), the first kind that holds:

- ``base_moved``: the track's base differs from the baseline's (or, without a baseline, a
  rebase ran since the cutoff);
- ``merged``: upstream has it: a rebase dropped it with outcome ``upstream`` (evidence: the
  rebase's, naming the commits), or a check now finds a carried patch present;
- ``obsolete``: a rebase dropped it because the files it changes are gone upstream;
- ``dropped``: a person dropped it (outcome ``dropped``): never counted as merged;
- ``removed``: it left the series with no rebase outcome saying why;
- ``set_aside``: a rebase since the baseline could not apply it and kept it for a person;
- ``changed``: a rebase since the baseline changed its lines (``modified``, ``partial``), or
  its state moved (``not yet proposed`` to ``submitted``...);
- ``new``: it entered the series.

Without a baseline the window is the cutoff date (a week ago): patches dropped and PRs merged
on or after it, rebases after it, patches that entered the series after it, but never the
patches of the track's first import (a first report is not a flood of "new").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .history import SnapshotTrack
from .model import (
    CATEGORY_TITLES,
    Event,
    EventKind,
    PatchInput,
    PatchRow,
    RefState,
    TrackInput,
)
from .records import evidence_of, per_track, refs_of, table_of, text, time_key

ORDER = {kind: n for n, kind in enumerate((
    EventKind.BASE_MOVED, EventKind.MERGED, EventKind.OBSOLETE, EventKind.DROPPED,
    EventKind.SET_ASIDE, EventKind.CHANGED, EventKind.NEW, EventKind.REMOVED))}
LEFT_BY = {"upstream": EventKind.MERGED, "obsolete": EventKind.OBSOLETE,
           "dropped": EventKind.DROPPED}
CONTENT = {"modified": "the rebase changed its +/- lines (a person resolved a conflict)",
           "partial": "upstream has part of it: the rebase kept the rest"}


def _base_event(track: TrackInput, baseline: SnapshotTrack | None, rebased: bool) -> Event | None:
    rebase = track.last_rebase
    if baseline is not None:
        if not baseline.base or baseline.base == track.base:
            return None
        old = baseline.base
    elif rebased and rebase is not None:
        old = rebase.from_ref
    else:
        return None
    detail = ""
    when = ""
    commit = track.base_commit
    if rebase is not None and rebase.to_ref == track.base:
        when = rebase.at[:10]
        commit = rebase.to_commit or commit
        detail = ", ".join(f"{n} {outcome}" for outcome, n in rebase.counts.items() if n)
    return Event(EventKind.BASE_MOVED, track.name, date=when, base_from=old, base_to=track.base,
                 to_commit=commit, detail=detail)


def _carried(row: PatchRow, baseline: SnapshotTrack | None, cutoff: str, first_since: str,
             rebased: bool) -> Event | None:
    was = baseline.patches.get(row.slug, "") if baseline is not None else ""
    common: dict[str, Any] = {"track": row.track, "slug": row.slug, "subject": row.subject, "file": row.file,
              "was": was, "now": row.category, "lines": row.lines, "outcome": row.outcome,
              "pr": row.pr, "pr_merged_at": row.pr_merged_at,
              "pr_merge_commit": row.pr_merge_commit}
    if baseline is not None:
        new = row.slug not in baseline.patches
    else:
        new = bool(cutoff and row.since and row.since >= cutoff and row.since > first_since)
    if row.category == "present" and (
            (baseline is not None and was != "present" and not new)
            or (baseline is None and row.pr_merged_at and cutoff
                and row.pr_merged_at[:10] >= cutoff)):
        present = tuple(r for r in row.refs if r.state == "present")
        return Event(EventKind.MERGED, refs=present, date=row.pr_merged_at[:10],
                     detail="still carried: drop it at the next rebase", **common)
    if new:
        return Event(EventKind.NEW, date=row.since, **common)
    if row.needs_person and rebased:
        return Event(EventKind.SET_ASIDE, detail=row.conflict_text, **common)
    changes = []
    if rebased and row.outcome in CONTENT:
        changes.append(CONTENT[row.outcome])
    if was and was != row.category:
        changes.append(f"{CATEGORY_TITLES.get(was, was)} → {CATEGORY_TITLES[row.category]}")
    if changes:
        return Event(EventKind.CHANGED, detail="; ".join(changes), **common)
    return None


def _left(slug: str, record: Mapping[str, Any], track: TrackInput, was: str,
          gone: PatchInput | None) -> Event:
    here = per_track(record, track.name)
    outcome = text(here.get("outcome"))
    kind = LEFT_BY.get(outcome, EventKind.REMOVED)
    github = table_of(record.get("github"))
    refs = tuple(r for r in refs_of(here) if r.state == "present")
    evidence = evidence_of(here.get("evidence"))
    rebase = track.last_rebase
    if kind is EventKind.MERGED and not refs:
        refs = (RefState(ref=rebase.to_ref if rebase else track.follows, state="present",
                         evidence=evidence, by="rebase"),)
    detail = ""
    if kind is EventKind.REMOVED:
        folded = text(here.get("folded_into"))
        detail = f"folded into {folded}" if folded else "removed from the series"
    elif evidence:
        detail = evidence[0].detail
    return Event(kind, track.name, slug=slug, subject=gone.subject if gone else "",
                 file=gone.file if gone else "", date=text(here.get("dropped"))[:10],
                 carried=False, was=was, refs=refs if kind is EventKind.MERGED else (),
                 evidence=evidence, outcome=outcome, pr=text(record.get("pr")),
                 pr_merged_at=time_key(text(github.get("pr_merged_at"))),
                 pr_merge_commit=text(github.get("pr_merge_commit")),
                 lines=gone.lines if gone else 0, detail=detail)


def events_of(track: TrackInput, rows: tuple[PatchRow, ...],
              records: Mapping[str, Mapping[str, Any]], gone: Mapping[str, PatchInput],
              baseline: SnapshotTrack | None, baseline_at: str, cutoff: str, first: bool
              ) -> tuple[Event, ...]:
    """Every event of the track since the baseline (module docstring), in a stable order."""
    window = baseline_at or (f"{cutoff}T00:00:00Z" if cutoff else "")
    rebase = track.last_rebase
    rebased = rebase is not None and bool(rebase.at) and (
        rebase.at > window if window else not first)
    first_since = min((r.since for r in rows if r.since), default="")
    events: list[Event] = []
    moved = _base_event(track, baseline, rebased)
    if moved is not None:
        events.append(moved)
    carried = {row.slug for row in rows}
    for row in rows:
        event = _carried(row, baseline, cutoff, first_since, rebased)
        if event is not None:
            events.append(event)
    day = (baseline_at or window)[:10]
    for slug in sorted(set(records) | set(baseline.patches if baseline else ())):
        if slug in carried:
            continue
        record = table_of(records.get(slug))
        here = per_track(record, track.name)
        dropped = text(here.get("dropped"))[:10]
        if baseline is not None and slug in baseline.patches:
            was = baseline.patches[slug]
        elif here.get("carried") is False and dropped and day and (
                dropped > day if baseline is not None else dropped >= day):
            was = ""  # with a baseline: entered and left after it (a date is only a day)
        else:
            continue
        events.append(_left(slug, record, track, was, gone.get(slug)))
    position = {row.slug: row.position for row in rows}
    events.sort(key=lambda e: (ORDER[e.kind], position.get(e.slug, len(position) + 1), e.slug))
    return tuple(events)
