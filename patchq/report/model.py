"""The report's data, and how one patch is read from the map and classified. Pure.

The command gathers a :class:`ReportInput` (the map's records, each track's series with sizes,
the history) and calls ``compute.build_report``; the renderers (markdown, HTML, JSON) only
format the :class:`Report`.

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
    format_time,
    parse_time,
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


def table_of(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@lru_cache(maxsize=4096)
def time_key(value: str) -> str:
    """A sortable UTC form of a time ("" stays "")."""
    if not value:
        return ""
    try:
        return format_time(parse_time(value))
    except ValueError:
        return ""


def submission_of(record: Mapping[str, Any]) -> str:
    github = table_of(record.get("github"))
    recorded = text(github.get("submission")) or text(record.get("submission"))
    if recorded:
        return recorded
    if record.get("pr"):
        return "open-pr"
    if record.get("issue"):
        return "issue"
    return "none"


def refs_of(per_track: Mapping[str, Any]) -> tuple[RefState, ...]:
    refs = []
    for name, value in table_of(per_track.get("upstream")).items():
        table = table_of(value)
        state = text(table.get("state"))
        if state not in STATE_ORDER:
            continue
        commits: list[str] = []
        methods: list[str] = []
        for item in table.get("evidence", []) or []:
            item = table_of(item)
            method = text(item.get("method"))
            if method and method not in methods:
                methods.append(method)
            for sha in item.get("commits", []) or []:
                if text(sha) not in commits:
                    commits.append(text(sha))
        refs.append(RefState(ref=str(name), state=state, checked_at=time_key(
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
        refs = refs_of(per_track)
    github = table_of(record.get("github"))
    submission = submission_of(record)
    states = {r.state for r in refs}
    if "present" in states:
        return "present"
    if submission == "merged-pr":
        merged_at = time_key(text(github.get("pr_merged_at")))
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
