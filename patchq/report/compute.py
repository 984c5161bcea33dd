"""Computing the report from its input. Pure: values in, values out.

:func:`build_report` makes a :class:`~patchq.report.model.Report` from a
:class:`~patchq.report.model.ReportInput`: one row per carried patch (its category, size, age,
upstream refs and GitHub state), the counts, the comparison with the baseline snapshot, the
sections, the trend, and this run's snapshot for the history.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

from .history import Snapshot, SnapshotTrack, baseline_for, format_time, in_order, per_day
from .model import (
    CATEGORIES,
    COUNT_KEYS,
    MergedItem,
    PatchInput,
    PatchRow,
    PersonItem,
    RefState,
    RemovedItem,
    Report,
    ReportInput,
    TrackInput,
    TrackReport,
    TrendPoint,
    classify,
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
    per_track = table_of(table_of(record.get("tracks")).get(track.name))
    github = table_of(record.get("github"))
    refs = refs_of(per_track)
    checks = [r.checked_at for r in refs if r.checked_at]
    github_checked = time_key(text(github.get("checked_at")))
    if github_checked:
        checks.append(github_checked)
    since = text(per_track.get("since"))[:10]
    labels = github.get("labels", []) or []
    return PatchRow(
        track=track.name, position=position, slug=patch.slug, file=patch.file,
        subject=patch.subject, author=patch.author, added=patch.added, removed=patch.removed,
        files=patch.files, category=classify(record, per_track, patch.has_draft, refs),
        since=since,
        age_days=_age(since, today) if since else None,
        disposition=text(record.get("disposition")) or "undecided",
        reason=text(record.get("reason")), checked=bool(refs) or bool(github_checked),
        checked_at=max(checks, default=""), refs=refs, submission=submission_of(record),
        issue=text(record.get("issue")), pr=text(record.get("pr")),
        pr_state=text(github.get("pr_state")), pr_draft=github.get("pr_draft") is True,
        pr_base=text(github.get("pr_base")),
        pr_created_at=time_key(text(github.get("pr_created_at"))),
        pr_merged_at=time_key(text(github.get("pr_merged_at"))),
        pr_merge_commit=text(github.get("pr_merge_commit")),
        review=text(github.get("review")) or "none",
        labels=tuple(text(x) for x in labels if isinstance(labels, list)),
        updated_at=time_key(text(github.get("updated_at"))), branch=text(record.get("branch")),
        has_draft=patch.has_draft, outcome=text(per_track.get("outcome")),
        needs_person=per_track.get("needs_person") is True, problem=patch.problem)


def counts_of(rows: tuple[PatchRow, ...]) -> dict[str, int]:
    counts = {key: 0 for key in COUNT_KEYS}
    counts["patches"] = len(rows)
    for row in rows:
        counts["added"] += row.added
        counts["removed"] += row.removed
        counts[row.category] += 1
        counts["never_checked"] += 0 if row.checked else 1
        counts["needs_person"] += 1 if _person_reason(row) else 0
    counts["lines"] = counts["added"] + counts["removed"]
    return counts


def _person_reason(row: PatchRow) -> tuple[str, str] | None:
    if row.outcome == "conflict" or row.needs_person:
        return "conflict", ("set aside by a rebase: it does not apply; resolve it by hand"
                            if row.needs_person else "the last rebase stopped on it")
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


# -- the report ---------------------------------------------------------------------------------


def _merged_since(rows: tuple[PatchRow, ...], track: TrackInput,
                  records: Mapping[str, Mapping[str, Any]], baseline: SnapshotTrack | None,
                  cutoff: str) -> tuple[MergedItem, ...]:
    """Patches upstream has taken since the baseline: carried ones now ``present`` that were
    not then, and ones a rebase dropped as ``upstream`` that the baseline still carried. With
    no baseline: PRs merged and patches dropped after ``cutoff``."""
    items: list[MergedItem] = []
    carried = {row.slug for row in rows}
    for row in rows:
        if row.category != "present":
            continue
        if baseline is not None:
            if baseline.patches.get(row.slug) == "present":
                continue
        elif not (row.pr_merged_at and cutoff and row.pr_merged_at[:10] >= cutoff):
            continue
        items.append(MergedItem(slug=row.slug, subject=row.subject,
                                refs=tuple(r for r in row.refs if r.state == "present"),
                                pr=row.pr, pr_merged_at=row.pr_merged_at,
                                pr_merge_commit=row.pr_merge_commit, dropped="", carried=True))
    for slug, record in sorted(records.items()):
        if slug in carried:
            continue
        per_track = _per_track(record, track.name)
        if per_track.get("carried") is not False or text(per_track.get("outcome")) != "upstream":
            continue
        dropped = text(per_track.get("dropped"))[:10]
        if baseline is not None:
            if baseline.patches.get(slug, "present") == "present":
                continue
        elif not (dropped and cutoff and dropped >= cutoff):
            continue
        github = table_of(record.get("github"))
        refs = tuple(r for r in refs_of(per_track) if r.state == "present")
        if not refs:
            evidence = [table_of(i) for i in per_track.get("evidence", []) or []]
            commits = tuple(dict.fromkeys(text(c) for i in evidence
                                          for c in (i.get("commits") or [])))
            methods = tuple(dict.fromkeys(text(i.get("method")) for i in evidence
                                          if i.get("method")))
            refs = (RefState(ref=track.follows, state="present", commits=commits,
                             methods=methods),)
        items.append(MergedItem(slug=slug, subject="", refs=refs, pr=text(record.get("pr")),
                                pr_merged_at=time_key(text(github.get("pr_merged_at"))),
                                pr_merge_commit=text(github.get("pr_merge_commit")),
                                dropped=dropped, carried=False))
    return tuple(items)


def _per_track(record: Any, track: str) -> Mapping[str, Any]:
    return table_of(table_of(table_of(record).get("tracks")).get(track))


def _added(rows: tuple[PatchRow, ...], baseline: SnapshotTrack | None, cutoff: str
           ) -> tuple[PatchRow, ...]:
    """Patches carried now and not in the baseline (without one: entered after ``cutoff``)."""
    if baseline is not None:
        return tuple(r for r in rows if r.slug not in baseline.patches)
    return tuple(r for r in rows if cutoff and r.since and r.since >= cutoff)


def _removed(rows: tuple[PatchRow, ...], track: TrackInput,
             records: Mapping[str, Mapping[str, Any]], baseline: SnapshotTrack | None,
             cutoff: str) -> tuple[RemovedItem, ...]:
    """Patches the baseline carried and the series no longer lists (without a baseline:
    those the map says were dropped after ``cutoff``)."""
    carried = {row.slug for row in rows}
    items = []
    if baseline is not None:
        for slug, was in sorted(baseline.patches.items()):
            if slug in carried:
                continue
            per_track = _per_track(records.get(slug), track.name)
            items.append(RemovedItem(slug=slug, was=was, outcome=text(per_track.get("outcome")),
                                     dropped=text(per_track.get("dropped"))[:10]))
        return tuple(items)
    for slug, record in sorted(records.items()):
        per_track = _per_track(record, track.name)
        dropped = text(per_track.get("dropped"))[:10]
        if slug in carried or per_track.get("carried") is not False or \
                not (cutoff and dropped and dropped >= cutoff):
            continue
        items.append(RemovedItem(slug=slug, was="", outcome=text(per_track.get("outcome")),
                                 dropped=dropped))
    return tuple(items)


def _matrix_refs(track: TrackInput, rows: tuple[PatchRow, ...]) -> tuple[str, ...]:
    names = {ref.ref for row in rows for ref in row.refs}
    return tuple(sorted(names, key=ref_sort_key))


def _waiting(rows: tuple[PatchRow, ...]) -> tuple[PatchRow, ...]:
    waiting = [r for r in rows if r.category == "submitted"]
    # oldest PR first; PRs of unknown age after them, the least recently active first
    return tuple(sorted(waiting, key=lambda r: (
        r.pr_created_at == "", r.pr_created_at, r.updated_at == "", r.updated_at, r.position)))


def _unproposed(rows: tuple[PatchRow, ...]) -> tuple[PatchRow, ...]:
    return tuple(sorted((r for r in rows if r.category == "unproposed"),
                        key=lambda r: (r.since == "", r.since, r.position)))


def baseline_counts(track: SnapshotTrack) -> dict[str, int]:
    """A snapshot's counts; a category count it lacks is counted from its patches.

    >>> baseline_counts(SnapshotTrack.of("v1", {"patches": 2}, {"a": "present", "b": "drafted"}))
    {'patches': 2, 'present': 1, 'partial': 0, 'submitted': 0, 'drafted': 1, 'unproposed': 0, 'downstream_only': 0}
    """
    counts = dict(track.counts)
    for category in CATEGORIES:
        if category not in counts:
            counts[category] = sum(1 for c in track.patches.values() if c == category)
    return counts


def snapshot_of(now: datetime, tracks: list[tuple[TrackInput, tuple[PatchRow, ...]]]
                ) -> Snapshot:
    return Snapshot(at=format_time(now), tracks={
        track.name: SnapshotTrack.of(track.base, counts_of(rows),
                                     {row.slug: row.category for row in rows})
        for track, rows in tracks})


def build_report(inp: ReportInput) -> Report:
    """Compute the whole report. Deterministic: the same input gives an equal report."""
    today = inp.now.astimezone(timezone.utc).date()
    all_rows: list[tuple[TrackInput, tuple[PatchRow, ...]]] = []
    problems: list[str] = []
    for track in inp.tracks:
        rows = tuple(_row(track, number, patch, table_of(inp.records.get(patch.slug)), today)
                     for number, patch in enumerate(track.patches, 1))
        all_rows.append((track, rows))
        problems.extend(f"{track.name}/{p.slug}: {p.problem}" for p in track.patches
                        if p.problem)
    snapshot = snapshot_of(inp.now, all_rows)
    history = list(inp.history)
    baseline, cutoff, note = baseline_for(history, inp.since, inp.now)
    selected = [(t, rows) for t, rows in all_rows if not inp.selected or t.name in inp.selected]
    reports = []
    for track, rows in selected:
        base_track = baseline.tracks.get(track.name) if baseline else None
        person = []
        for row in rows:
            reason = _person_reason(row)
            if reason:
                person.append(PersonItem(row, reason[0], reason[1]))
        person.sort(key=lambda p: (p.why != "conflict", p.row.position))
        reports.append(TrackReport(
            name=track.name, follows=track.follows, base=track.base,
            base_commit=track.base_commit, counts=counts_of(rows),
            baseline_counts=baseline_counts(base_track) if base_track is not None else None,
            baseline_base=base_track.base if base_track is not None else "",
            patches=rows,
            newly_merged=_merged_since(rows, track, inp.records, base_track, cutoff),
            added=_added(rows, base_track, cutoff),
            removed=_removed(rows, track, inp.records, base_track, cutoff),
            waiting_review=_waiting(rows), unproposed=_unproposed(rows),
            needs_person=tuple(person), matrix_refs=_matrix_refs(track, rows)))
    if baseline is not None and not note:
        missing = [t.name for t in reports if t.baseline_counts is None]
        if missing:
            note = "new since the baseline: track " + ", ".join(missing)
    names = [t.name for t, _ in selected]
    trend = [TrendPoint(date=s.date, tracks={
        name: (s.tracks[name].counts.get("patches", 0), s.tracks[name].counts.get("lines", 0))
        for name in names if name in s.tracks})
        for s in per_day([s for s in in_order(history, inp.now) if s.date < snapshot.date])]
    trend.append(TrendPoint(date=snapshot.date, current=True, tracks={
        name: (snapshot.tracks[name].counts["patches"], snapshot.tracks[name].counts["lines"])
        for name in names}))
    return Report(
        generated_at=snapshot.at, date=snapshot.date, github=inp.github,
        upstream_url=inp.upstream_url, since_requested=inp.since or "", cutoff=cutoff,
        baseline_at=baseline.at if baseline else "", baseline_line=baseline.line if baseline else 0,
        baseline_note=note, tracks=tuple(reports), trend=tuple(trend),
        history_path=inp.history_path, history_snapshots=len(history),
        history_problems=tuple(inp.history_problems), snapshot=snapshot,
        problems=tuple(problems))
