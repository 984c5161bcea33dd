"""The report's data and how it is computed. Pure: inputs are values, the result is values.

The command gathers a :class:`ReportInput` (the map's records, each track's series with sizes,
the history) and calls :func:`build_report`; the renderers (markdown, HTML, JSON) only format
the :class:`Report`.

Every carried patch of a track falls in exactly one category, the first rule that holds:

1. ``present``: an upstream ref recorded for the track has it (``state = "present"``), or its
   PR was merged after the last upstream check (or nothing was checked);
2. ``partial``: an upstream ref has some of its hunks;
3. ``downstream_only``: its disposition is ``downstream-only``;
4. ``submitted``: a PR is open for review;
5. ``drafted``: a draft exists (``drafts/SLUG/``, a draft branch, an issue, or a draft PR);
6. ``unproposed``: none of these (a closed PR counts here too).

>>> classify({"disposition": "downstream-only"}, {}, False)
'downstream_only'
>>> classify({"pr": "python/cpython#1"}, {"upstream": {"main": {"state": "partial"}}}, False)
'partial'
>>> classify({"github": {"submission": "merged-pr", "pr_merged_at": "2026-01-02T00:00:00Z"}},
...          {"upstream": {"main": {"state": "absent", "checked_at": "2026-01-01T00:00:00Z"}}},
...          False)
'present'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any

from .history import (
    HistoryProblem,
    Snapshot,
    SnapshotTrack,
    baseline_for,
    format_time,
    in_order,
    parse_time,
    per_day,
)

CATEGORIES = ("present", "partial", "submitted", "drafted", "unproposed", "downstream_only")
CATEGORY_TITLES = {
    "present": "upstream-present",
    "partial": "partial",
    "submitted": "submitted (open PR)",
    "drafted": "drafted",
    "unproposed": "not yet proposed",
    "downstream_only": "downstream-only",
}
COUNT_KEYS = ("patches", "lines", "added", "removed", *CATEGORIES, "never_checked",
              "needs_person")
COUNT_TITLES = {"patches": "patches carried", "lines": "lines of delta", "added": "lines added",
                "removed": "lines removed", **CATEGORY_TITLES,
                "never_checked": "never checked", "needs_person": "need a person"}
STATE_ORDER = {"present": 2, "partial": 1, "absent": 0}


# -- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatchInput:
    """One patch of a track's series, as read from disk."""

    slug: str
    file: str
    subject: str
    author: str = ""
    added: int = 0
    removed: int = 0
    files: int = 0
    has_draft: bool = False  # drafts/SLUG/ exists in the patch repo
    problem: str = ""  # why its size could not be counted ("" when it could)


@dataclass(frozen=True)
class TrackInput:
    name: str
    follows: str
    base: str
    base_commit: str = ""
    patches: tuple[PatchInput, ...] = ()


@dataclass(frozen=True)
class ReportInput:
    now: datetime
    tracks: tuple[TrackInput, ...]  # every track of the map: the snapshot covers them all
    records: Mapping[str, Mapping[str, Any]]  # [patches.<slug>] of the map, as plain values
    github: str = ""  # [upstream] github
    upstream_url: str = ""  # [upstream] url
    history: tuple[Snapshot, ...] = ()
    history_problems: tuple[HistoryProblem, ...] = ()
    history_path: str = "patchq-history.jsonl"
    since: str | None = None  # None: a week ago; "last"; or YYYY-MM-DD
    selected: tuple[str, ...] = ()  # tracks to show (empty: all)


# -- outputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefState:
    ref: str
    state: str  # absent, partial, present
    checked_at: str = ""
    commits: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    hunks_present: int = 0
    hunks_total: int = 0


@dataclass(frozen=True)
class PatchRow:
    """One carried patch of one track, with everything the report says about it."""

    track: str
    position: int  # 1-based, in series order
    slug: str
    file: str
    subject: str
    author: str
    added: int
    removed: int
    files: int
    category: str
    since: str  # the date it entered the series ("" when unknown)
    age_days: int | None
    disposition: str
    reason: str
    checked: bool  # some upstream or GitHub state was ever recorded
    checked_at: str  # the newest check
    refs: tuple[RefState, ...]
    submission: str
    issue: str
    pr: str
    pr_state: str
    pr_draft: bool
    pr_base: str
    pr_created_at: str
    pr_merged_at: str
    pr_merge_commit: str
    review: str
    labels: tuple[str, ...]
    updated_at: str
    branch: str
    has_draft: bool
    outcome: str
    needs_person: bool
    problem: str = ""

    @property
    def lines(self) -> int:
        return self.added + self.removed

    def ref(self, name: str) -> RefState | None:
        for ref in self.refs:
            if ref.ref == name:
                return ref
        return None


@dataclass(frozen=True)
class MergedItem:
    """A patch found upstream since the baseline (or a PR merged since the cutoff)."""

    slug: str
    subject: str
    refs: tuple[RefState, ...]  # refs where it is present
    pr: str
    pr_merged_at: str
    pr_merge_commit: str
    dropped: str  # the date a rebase dropped it ("" while still carried)
    carried: bool


@dataclass(frozen=True)
class RemovedItem:
    slug: str
    was: str  # its category in the baseline
    outcome: str  # the rebase outcome recorded for it ("" when it left by hand)
    dropped: str


@dataclass(frozen=True)
class PersonItem:
    row: PatchRow
    why: str  # conflict, partial
    detail: str


@dataclass(frozen=True)
class TrackReport:
    name: str
    follows: str
    base: str
    base_commit: str
    counts: dict[str, int]
    baseline_counts: dict[str, int] | None
    baseline_base: str
    patches: tuple[PatchRow, ...]
    newly_merged: tuple[MergedItem, ...]
    added: tuple[PatchRow, ...]
    removed: tuple[RemovedItem, ...]
    waiting_review: tuple[PatchRow, ...]
    unproposed: tuple[PatchRow, ...]
    needs_person: tuple[PersonItem, ...]
    matrix_refs: tuple[str, ...]

    def delta(self, key: str) -> int | None:
        if self.baseline_counts is None or key not in self.baseline_counts:
            return None
        return self.counts.get(key, 0) - self.baseline_counts[key]


@dataclass(frozen=True)
class TrendPoint:
    date: str
    tracks: dict[str, tuple[int, int]]  # track -> (patches, lines)
    current: bool = False


@dataclass(frozen=True)
class Report:
    generated_at: str
    date: str
    github: str
    upstream_url: str
    since_requested: str  # "", "last" or a date
    cutoff: str  # the date the baseline was looked up by ("" for last)
    baseline_at: str  # "" when there is none
    baseline_line: int
    baseline_note: str
    tracks: tuple[TrackReport, ...]
    trend: tuple[TrendPoint, ...]
    history_path: str
    history_snapshots: int
    history_problems: tuple[HistoryProblem, ...]
    snapshot: Snapshot  # this run's snapshot, for the history file
    problems: tuple[str, ...]

    @property
    def never_checked(self) -> bool:
        """True when no patch of the report has any recorded status."""
        return all(not row.checked for t in self.tracks for row in t.patches) and \
            any(t.patches for t in self.tracks)


# -- reading map values -------------------------------------------------------------------------


def text(value: Any) -> str:
    """A map value as text; TOML dates and times become ISO strings (times in UTC with Z).

    >>> text(date(2026, 1, 2)), text(None), text(3)
    ('2026-01-02', '', '3')
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _table(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@lru_cache(maxsize=4096)
def _time_key(value: str) -> str:
    """A sortable UTC form of a time ("" stays "")."""
    if not value:
        return ""
    try:
        return format_time(parse_time(value))
    except ValueError:
        return ""


def submission_of(record: Mapping[str, Any]) -> str:
    github = _table(record.get("github"))
    recorded = text(github.get("submission")) or text(record.get("submission"))
    if recorded:
        return recorded
    if record.get("pr"):
        return "open-pr"
    if record.get("issue"):
        return "issue"
    return "none"


def _refs(per_track: Mapping[str, Any]) -> tuple[RefState, ...]:
    refs = []
    for name, value in _table(per_track.get("upstream")).items():
        table = _table(value)
        state = text(table.get("state"))
        if state not in STATE_ORDER:
            continue
        commits: list[str] = []
        methods: list[str] = []
        for item in table.get("evidence", []) or []:
            item = _table(item)
            method = text(item.get("method"))
            if method and method not in methods:
                methods.append(method)
            for sha in item.get("commits", []) or []:
                if text(sha) not in commits:
                    commits.append(text(sha))
        refs.append(RefState(ref=str(name), state=state, checked_at=_time_key(
            text(table.get("checked_at"))), commits=tuple(commits), methods=tuple(methods),
            hunks_present=_int(table.get("hunks_present")),
            hunks_total=_int(table.get("hunks_total"))))
    return tuple(sorted(refs, key=lambda r: ref_sort_key(r.ref)))


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def ref_sort_key(ref: str) -> tuple:
    """Branches in version order, ``main`` last, other names after that.

    >>> sorted(["main", "3.13", "3.9", "feature", "3.12"], key=ref_sort_key)
    ['3.9', '3.12', '3.13', 'main', 'feature']
    """
    if ref in ("main", "master"):
        return (1, (), ref)
    parts = re.split(r"[.\-_]", ref.lstrip("v"))
    if all(p.isdigit() for p in parts):
        return (0, tuple(int(p) for p in parts), ref)
    return (2, (), ref)


def classify(record: Mapping[str, Any], per_track: Mapping[str, Any], has_draft: bool,
             refs: tuple[RefState, ...] | None = None) -> str:
    """The category of a patch on a track (module docstring)."""
    if refs is None:
        refs = _refs(per_track)
    github = _table(record.get("github"))
    submission = submission_of(record)
    states = {r.state for r in refs}
    if "present" in states:
        return "present"
    if submission == "merged-pr":
        merged_at = _time_key(text(github.get("pr_merged_at")))
        newest_check = max((r.checked_at for r in refs), default="")
        if not refs or not newest_check or (merged_at and merged_at > newest_check):
            return "present"
    if "partial" in states:
        return "partial"
    if text(record.get("disposition")) == "downstream-only":
        return "downstream_only"
    if submission == "open-pr":
        return "submitted"
    if submission in ("draft-pr", "issue") or record.get("branch") or has_draft:
        return "drafted"
    return "unproposed"


def _age(since: str, today: date) -> int | None:
    try:
        return (today - date.fromisoformat(since[:10])).days
    except ValueError:
        return None


def _row(track: TrackInput, position: int, patch: PatchInput, record: Mapping[str, Any],
         today: date) -> PatchRow:
    per_track = _table(_table(record.get("tracks")).get(track.name))
    github = _table(record.get("github"))
    refs = _refs(per_track)
    checks = [r.checked_at for r in refs if r.checked_at]
    github_checked = _time_key(text(github.get("checked_at")))
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
        pr_created_at=_time_key(text(github.get("pr_created_at"))),
        pr_merged_at=_time_key(text(github.get("pr_merged_at"))),
        pr_merge_commit=text(github.get("pr_merge_commit")),
        review=text(github.get("review")) or "none",
        labels=tuple(text(x) for x in labels if isinstance(labels, list)),
        updated_at=_time_key(text(github.get("updated_at"))), branch=text(record.get("branch")),
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
        github = _table(record.get("github"))
        refs = tuple(r for r in _refs(per_track) if r.state == "present")
        if not refs:
            evidence = [_table(i) for i in per_track.get("evidence", []) or []]
            commits = tuple(dict.fromkeys(text(c) for i in evidence
                                          for c in (i.get("commits") or [])))
            methods = tuple(dict.fromkeys(text(i.get("method")) for i in evidence
                                          if i.get("method")))
            refs = (RefState(ref=track.follows, state="present", commits=commits,
                             methods=methods),)
        items.append(MergedItem(slug=slug, subject="", refs=refs, pr=text(record.get("pr")),
                                pr_merged_at=_time_key(text(github.get("pr_merged_at"))),
                                pr_merge_commit=text(github.get("pr_merge_commit")),
                                dropped=dropped, carried=False))
    return tuple(items)


def _per_track(record: Any, track: str) -> Mapping[str, Any]:
    return _table(_table(_table(record).get("tracks")).get(track))


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

    >>> baseline_counts(SnapshotTrack("v1", {"patches": 2}, {"a": "present", "b": "drafted"}))
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
        track.name: SnapshotTrack(base=track.base, counts=counts_of(rows),
                                  patches={row.slug: row.category for row in rows})
        for track, rows in tracks})


def build_report(inp: ReportInput) -> Report:
    """Compute the whole report. Deterministic: the same input gives an equal report."""
    today = inp.now.astimezone(timezone.utc).date()
    all_rows: list[tuple[TrackInput, tuple[PatchRow, ...]]] = []
    problems: list[str] = []
    for track in inp.tracks:
        rows = tuple(_row(track, number, patch, _table(inp.records.get(patch.slug)), today)
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
