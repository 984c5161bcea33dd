"""Computing the report from its input. Pure: values in, values out.

:func:`build_report` makes a :class:`~patchq.report.model.Report` from a
:class:`~patchq.report.model.ReportInput`: one row per carried patch (its state, size, age,
upstream refs and GitHub state), the counts (each counted from the rows, nowhere else), the
comparison with the baseline snapshot, the week's events, the action list, the trend, and this
run's snapshot for the history.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timezone
from typing import Any

from .actions import actions_of
from .events import events_of
from .history import Snapshot, SnapshotTrack, baseline_for, format_time, in_order, per_day
from .model import (
    CATEGORIES,
    COUNT_KEYS,
    LINES_CAP,
    PatchInput,
    PatchRow,
    PersonItem,
    Report,
    ReportInput,
    TrackInput,
    TrackReport,
    TrendPoint,
    TrendTrack,
)
from .records import (
    classify,
    disposition_of,
    forwarded_of,
    reason_of,
    ref_sort_key,
    refs_of,
    submission_of,
    table_of,
    text,
    time_key,
)


def _age(since: str, today: date) -> int | None:
    try:
        return (today - date.fromisoformat(since[:10])).days
    except ValueError:
        return None


def _row(track: TrackInput, position: int, patch: PatchInput, record: Mapping[str, Any],
         today: date) -> PatchRow:
    here = table_of(table_of(record.get("tracks")).get(track.name))
    github = table_of(record.get("github"))
    refs = refs_of(here, track.last_rebase)
    github_checked = time_key(text(github.get("checked_at")))
    checks = [r.checked_at for r in refs if r.checked_at]
    if github_checked:
        checks.append(github_checked)
    by = tuple(dict.fromkeys(r.by for r in refs)) + (("sync",) if github_checked else ())
    since = text(here.get("since"))[:10]
    labels = github.get("labels", []) or []
    files = here.get("conflict_files") or []
    return PatchRow(
        track=track.name, position=position, slug=patch.slug, file=patch.file,
        subject=patch.subject, author=patch.author, added=patch.added, removed=patch.removed,
        files=patch.files, category=classify(record, here, patch.has_draft, refs),
        since=since, age_days=_age(since, today) if since else None,
        disposition=disposition_of(record, here), reason=reason_of(record, here),
        checked=bool(refs) or bool(github_checked), checked_at=max(checks, default=""),
        refs=refs, submission=submission_of(record),
        issue=text(record.get("issue")), pr=text(record.get("pr")),
        pr_state=text(github.get("pr_state")), pr_draft=github.get("pr_draft") is True,
        pr_base=text(github.get("pr_base")),
        pr_created_at=time_key(text(github.get("pr_created_at"))),
        pr_merged_at=time_key(text(github.get("pr_merged_at"))),
        pr_merge_commit=text(github.get("pr_merge_commit")),
        review=text(github.get("review")) or "none",
        labels=tuple(text(x) for x in labels if isinstance(labels, list)),
        updated_at=time_key(text(github.get("updated_at"))), branch=text(record.get("branch")),
        has_draft=patch.has_draft, outcome=text(here.get("outcome")),
        needs_person=here.get("needs_person") is True, problem=patch.problem,
        dated=patch.date, dated_days=_age(patch.date, today) if patch.date else None,
        paths=patch.paths, forwarded=forwarded_of(record), github_checked_at=github_checked,
        checked_by=by,
        conflict_files=tuple(text(f) for f in files) if isinstance(files, list) else ())


def counts_of(rows: tuple[PatchRow, ...]) -> dict[str, int]:
    counts = {key: 0 for key in COUNT_KEYS}
    counts["patches"] = len(rows)
    for row in rows:
        counts["added"] += row.added
        counts["removed"] += row.removed
        counts[row.category] += 1
        counts["never_checked"] += 0 if row.checked else 1
        counts["needs_person"] += 1 if person_reason(row) else 0
    counts["lines"] = counts["added"] + counts["removed"]
    return counts


def sizes_of(rows: tuple[PatchRow, ...]) -> dict[str, list[int]]:
    """Per state: [lines, lines with each patch counted up to LINES_CAP]."""
    sizes: dict[str, list[int]] = {}
    for row in rows:
        entry = sizes.setdefault(row.category, [0, 0])
        entry[0] += row.lines
        entry[1] += min(row.lines, LINES_CAP)
    return sizes


def person_reason(row: PatchRow) -> tuple[str, str] | None:
    if row.outcome == "conflict" or row.needs_person:
        where = row.conflict_text
        base = ("set aside by the rebase: it does not apply on the new base"
                if row.needs_person else "the last rebase stopped on it")
        return "conflict", base + (f"; {where}" if where else "")
    partial = [r for r in row.refs if r.state == "partial"]
    if row.category == "partial" or row.outcome == "partial":
        if partial and partial[0].hunks_total:
            ref = partial[0]
            detail = f"{ref.hunks_present} of {ref.hunks_total} hunks in {ref.ref}"
        elif partial:
            detail = "some hunks in " + ", ".join(r.ref for r in partial)
        else:
            detail = "the last rebase kept only the hunks upstream lacks"
        return "partial", detail + "; decide whether to drop the rest or propose it"
    return None


def _matrix_refs(rows: tuple[PatchRow, ...]) -> tuple[str, ...]:
    names = {ref.ref for row in rows for ref in row.refs}
    return tuple(sorted(names, key=ref_sort_key))


def _waiting(rows: tuple[PatchRow, ...]) -> tuple[PatchRow, ...]:
    waiting = [r for r in rows if r.category == "submitted"]
    # oldest PR first; PRs of unknown age after them, the least recently active first
    return tuple(sorted(waiting, key=lambda r: (
        r.pr_created_at == "", r.pr_created_at, r.updated_at == "", r.updated_at, r.position)))


def _unproposed(rows: tuple[PatchRow, ...]) -> tuple[PatchRow, ...]:
    return tuple(sorted((r for r in rows if r.category == "unproposed"),
                        key=lambda r: (r.carried_since == "", r.carried_since, r.position)))


def baseline_counts(track: SnapshotTrack) -> dict[str, int]:
    """A snapshot's counts; a category count it lacks is counted from its patches.

    >>> baseline_counts(SnapshotTrack.of("v1", {"patches": 2}, {"a": "present", "b": "drafted"}))
    {'patches': 2, 'present': 1, 'partial': 0, 'submitted': 0, 'forwarded': 0, 'drafted': 1, 'unproposed': 0, 'downstream_only': 0}
    """
    counts = dict(track.counts)
    for category in CATEGORIES:
        if category not in counts:
            counts[category] = sum(1 for c in track.patches.values() if c == category)
    return counts


def snapshot_of(at: str, tracks: list[tuple[TrackInput, tuple[PatchRow, ...]]],
                commit: str = "") -> Snapshot:
    return Snapshot(at=at, commit=commit, tracks={
        track.name: SnapshotTrack.of(track.base, counts_of(rows),
                                     {row.slug: row.category for row in rows}, sizes_of(rows))
        for track, rows in tracks})


def rows_of(inp: ReportInput) -> list[tuple[TrackInput, tuple[PatchRow, ...]]]:
    """Every track's rows (the snapshot covers every track, whatever is shown)."""
    today = inp.now.astimezone(timezone.utc).date()
    return [(track, tuple(_row(track, number, patch, table_of(inp.records.get(patch.slug)),
                                today) for number, patch in enumerate(track.patches, 1)))
            for track in inp.tracks]


def _trend_track(track: SnapshotTrack) -> TrendTrack:
    counts = baseline_counts(track)
    sizes = None
    if track.sizes or not track.counts.get("patches", 0):
        sizes = {c: (v[0], v[1]) for c, v in track.sizes.items()}
    return TrendTrack(track.counts.get("patches", 0), track.counts.get("lines", 0), track.base,
                      {c: counts.get(c, 0) for c in CATEGORIES}, sizes)


def trend_of(history: list[Snapshot], snapshot: Snapshot, inp: ReportInput,
             names: list[str]) -> tuple[TrendPoint, ...]:
    earlier = per_day([s for s in in_order(history, inp.now) if s.date < snapshot.date])
    points = [TrendPoint(s.date, {n: _trend_track(s.tracks[n]) for n in names if n in s.tracks})
              for s in earlier]
    points.append(TrendPoint(snapshot.date, current=True, tracks={
        n: _trend_track(snapshot.tracks[n]) for n in names}))
    return tuple(points)


def _github_of(inp: ReportInput, upstream: str) -> tuple[str, str]:
    """(GitHub repository, git URL) of a track's upstream, as the map names them."""
    for item in inp.upstreams:
        if item.name == upstream:
            return item.github, item.url
    return inp.github, inp.upstream_url


def build_report(inp: ReportInput) -> Report:
    """Compute the whole report. Deterministic: the same input gives an equal report."""
    all_rows = rows_of(inp)
    problems = [f"{track.name}/{p.slug}: {p.problem}" for track in inp.tracks
                for p in track.patches if p.problem]
    snapshot = snapshot_of(format_time(inp.now), all_rows)
    history = list(inp.history)
    baseline, cutoff, note = baseline_for(history, inp.since, inp.now)
    first = not in_order(history, inp.now)
    selected = [(t, rows) for t, rows in all_rows if not inp.selected or t.name in inp.selected]
    reports = []
    for track, rows in selected:
        base_track = baseline.tracks.get(track.name) if baseline else None
        person = []
        for row in rows:
            reason = person_reason(row)
            if reason:
                person.append(PersonItem(row, reason[0], reason[1]))
        person.sort(key=lambda p: (p.why != "conflict", p.row.position))
        events = events_of(track, rows, inp.records, inp.gone.get(track.name, {}), base_track,
                           baseline.at if baseline else "", cutoff, first)
        reports.append(TrackReport(
            name=track.name, follows=track.follows, base=track.base,
            base_commit=track.base_commit, counts=counts_of(rows),
            baseline_counts=baseline_counts(base_track) if base_track is not None else None,
            baseline_base=base_track.base if base_track is not None else "",
            patches=rows, events=events, waiting_review=_waiting(rows),
            unproposed=_unproposed(rows), needs_person=tuple(person),
            matrix_refs=_matrix_refs(rows), last_rebase=track.last_rebase,
            over_cap=tuple(sorted((r for r in rows if r.lines > LINES_CAP),
                                  key=lambda r: (-r.lines, r.position))),
            upstream=track.upstream, github=_github_of(inp, track.upstream)))
    if baseline is not None and not note:
        missing = [t.name for t in reports if t.baseline_counts is None]
        if missing:
            note = "new since the baseline: track " + ", ".join(missing)
    names = [t.name for t, _ in selected]
    trend = trend_of(history, snapshot, inp, names)
    from .upstreams import upstreams_of

    return Report(
        upstreams=upstreams_of(inp.upstreams, {t.name: t.upstream for t in inp.tracks},
                               reports, trend),
        generated_at=snapshot.at, date=snapshot.date, github=inp.github,
        upstream_url=inp.upstream_url, since_requested=inp.since or "", cutoff=cutoff,
        baseline_at=baseline.at if baseline else "", baseline_line=baseline.line if baseline else 0,
        baseline_note=note, tracks=tuple(reports),
        trend=trend,
        history_path=inp.history_path, history_snapshots=len(history),
        history_problems=tuple(inp.history_problems), snapshot=snapshot,
        problems=tuple(problems), actions=actions_of(tuple(reports), inp.now),
        downstream_url=inp.downstream_url, first=first, replayed=inp.replayed)
