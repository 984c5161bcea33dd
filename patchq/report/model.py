"""The report's values: what it reads (inputs) and what it says (outputs). Pure, no I/O.

The command gathers a :class:`ReportInput` (the map's records, each track's series with sizes,
the track's last rebase, the history); ``compute.build_report`` turns it into a
:class:`Report`; the renderers (markdown, HTML, JSON) only format it. How one patch is read
from the map and given its state is in :mod:`patchq.report.records`; the week's events in
:mod:`patchq.report.events`; the action list in :mod:`patchq.report.actions`.

Every number of the report has one source, named here once:

- a patch's state (``category``): the map (``records.classify``);
- sizes: the patch files of the series;
- upstream evidence: ``[...upstream."<ref>"]`` tables (``patchq status``, ``patchq rebase``),
  the per-track ``outcome``/``evidence`` and the track's ``last_rebase`` (``patchq rebase``);
- PR and issue states: ``[patches.<slug>.github]`` (``patchq sync``); a PR or issue recorded
  by a person or ``import`` that sync never saw is *recorded, not checked*;
- the week: the baseline snapshot of the history file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from .history import HistoryProblem, Snapshot

CATEGORIES = ("present", "partial", "submitted", "forwarded", "drafted", "unproposed",
              "downstream_only")
CATEGORY_TITLES = {
    "present": "upstream-present",
    "partial": "partial",
    "submitted": "submitted (open PR)",
    "forwarded": "forwarded",
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

# The lines chart counts each patch up to this many lines, so that one bulk patch (a vendored
# library, regenerated files) does not hide the rest; the true total is printed beside it.
LINES_CAP = 250


class EventKind(str, Enum):
    """What happened to a patch (or a track) since the baseline."""

    MERGED = "merged"  # upstream has it: a rebase dropped it, or a check found it present
    OBSOLETE = "obsolete"  # a rebase dropped it: the files it changes are gone upstream
    DROPPED = "dropped"  # a person dropped it (resolved to no change, or skipped it)
    REMOVED = "removed"  # it left the series by hand (no rebase outcome says why)
    SET_ASIDE = "set_aside"  # a rebase could not apply it and set it aside for a person
    NEW = "new"  # it entered the series
    CHANGED = "changed"  # a rebase changed its lines, or its state moved
    BASE_MOVED = "base_moved"  # the track moved to another upstream base


class ActionKind(str, Enum):
    """One thing a maintainer should do this week."""

    RESOLVE = "resolve"  # a set-aside patch: patchq push SLUG, resolve, refresh
    STATUS = "status"  # nothing says where upstream stands: patchq status
    SYNC = "sync"  # PR and issue states are missing or old: patchq sync
    REVIEW = "review"  # drafts written, not opened: review, then patchq draft SLUG --open
    DRAFT = "draft"  # upstreamable and never proposed: patchq draft SLUG
    PARTIAL = "partial"  # upstream has part of it: drop the rest, or propose it
    DECIDE = "decide"  # never proposed, no disposition: patchq record SLUG disposition=...


# -- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatchInput:
    """One patch of a track's series, as read from disk (or from the patch repo's git)."""

    slug: str
    file: str
    subject: str
    author: str = ""
    added: int = 0
    removed: int = 0
    files: int = 0
    has_draft: bool = False  # drafts/SLUG/ exists in the patch repo
    problem: str = ""  # why its size could not be counted ("" when it could)
    date: str = ""  # the patch's own date (mail Date:, DEP-3 Last-Update:), YYYY-MM-DD
    paths: tuple[str, ...] = ()  # the files it touches

    @property
    def lines(self) -> int:
        return self.added + self.removed


@dataclass(frozen=True)
class RebaseInput:
    """``[tracks."<T>".last_rebase]``: what the track's last rebase did."""

    from_ref: str
    to_ref: str
    at: str  # when (UTC ISO time)
    from_commit: str = ""
    to_commit: str = ""
    counts: Mapping[str, int] = field(default_factory=dict)  # outcome -> patches


@dataclass(frozen=True)
class TrackInput:
    name: str
    follows: str
    base: str
    base_commit: str = ""
    patches: tuple[PatchInput, ...] = ()
    last_rebase: RebaseInput | None = None
    upstream: str = "default"  # the map's name of the track's upstream


@dataclass(frozen=True)
class ReportInput:
    now: datetime
    tracks: tuple[TrackInput, ...]  # every track of the map: the snapshot covers them all
    records: Mapping[str, Mapping[str, Any]]  # [patches.<slug>] of the map, as plain values
    github: str = ""  # [upstream] github
    upstream_url: str = ""  # [upstream] url
    downstream_url: str = ""  # [upstream] downstream_url: links to the patch files
    history: tuple[Snapshot, ...] = ()
    history_problems: tuple[HistoryProblem, ...] = ()
    history_path: str = "patchq-history.jsonl"
    since: str | None = None  # None: a week ago; "last"; or YYYY-MM-DD
    selected: tuple[str, ...] = ()  # tracks to show (empty: all)
    # patches no longer in a series, as the patch repo's git last had them (track -> slug ->
    # patch): the subject of a patch a rebase dropped
    gone: Mapping[str, Mapping[str, PatchInput]] = field(default_factory=dict)
    replayed: int = 0  # snapshots rebuilt from git by --replay in this run
    upstreams: tuple[Any, ...] = ()  # report.upstreams.UpstreamInput, every upstream of the map


# -- outputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence that upstream has (part of) a patch: how, which commits."""

    method: str
    commits: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class RefState:
    ref: str
    state: str  # absent, partial, present
    checked_at: str = ""
    evidence: tuple[EvidenceItem, ...] = ()
    hunks_present: int = 0
    hunks_total: int = 0
    by: str = "status"  # what recorded it: status (or a rebase's table), rebase (its outcome)

    @property
    def commits(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for item in self.evidence for c in item.commits))

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(item.method for item in self.evidence if item.method))


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
    since: str  # the date it entered the series, as patchq recorded it ("" when unknown)
    age_days: int | None  # days since ``since``
    disposition: str
    reason: str
    checked: bool  # some upstream or GitHub state was ever recorded (status, rebase, sync)
    checked_at: str  # the newest check
    refs: tuple[RefState, ...]
    submission: str  # Submission values, "recorded-pr" (sync never saw it) or "forwarded"
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
    dated: str = ""  # the patch's own date (YYYY-MM-DD, "" when it has none)
    dated_days: int | None = None  # days since ``dated``
    paths: tuple[str, ...] = ()
    forwarded: str = ""  # DEP-3 Forwarded: as import recorded it
    github_checked_at: str = ""  # when sync last read this patch's PR or issue
    checked_by: tuple[str, ...] = ()  # status, rebase, sync
    conflict_files: tuple[str, ...] = ()  # a set-aside patch's conflicting files, when known

    @property
    def lines(self) -> int:
        return self.added + self.removed

    @property
    def carried_since(self) -> str:
        """The older of the patch's own date and the day it entered the series."""
        known = [d for d in (self.dated, self.since) if d]
        return min(known) if known else ""

    @property
    def pr_checked(self) -> bool:
        return bool(self.pr) and bool(self.pr_state)

    @property
    def conflict_text(self) -> str:
        """Which files a set-aside patch conflicts in (recorded by the rebase), else the files
        it touches."""
        for files, verb in ((self.conflict_files, "conflicts in"), (self.paths, "touches")):
            if files:
                more = len(files) - 3
                return f"{verb} {', '.join(files[:3])}" + (f" and {more} more" if more > 0
                                                            else "")
        return ""

    def ref(self, name: str) -> RefState | None:
        for ref in self.refs:
            if ref.ref == name:
                return ref
        return None


@dataclass(frozen=True)
class Event:
    """Something that happened since the baseline, with what says so."""

    kind: EventKind
    track: str
    slug: str = ""
    subject: str = ""
    file: str = ""
    date: str = ""  # YYYY-MM-DD: dropped, rebased, entered the series
    carried: bool = True  # still in the series
    was: str = ""  # the state at the baseline ("" when unknown or new)
    now: str = ""  # the state now ("" when it left)
    refs: tuple[RefState, ...] = ()  # upstream refs that have it, with their evidence
    evidence: tuple[EvidenceItem, ...] = ()  # the rebase's own evidence
    outcome: str = ""  # the rebase outcome behind it
    pr: str = ""
    pr_merged_at: str = ""
    pr_merge_commit: str = ""
    lines: int = 0
    detail: str = ""  # one line: what changed, which files conflict, where the base went
    base_from: str = ""
    base_to: str = ""
    to_commit: str = ""

    @property
    def all_evidence(self) -> tuple[EvidenceItem, ...]:
        seen: dict[tuple, EvidenceItem] = {}
        for item in (*self.evidence, *(e for r in self.refs for e in r.evidence)):
            seen.setdefault((item.method, item.commits, item.detail), item)
        return tuple(seen.values())

    @property
    def commits(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for item in self.all_evidence for c in item.commits))

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.method for i in self.all_evidence if i.method))


@dataclass(frozen=True)
class PersonItem:
    row: PatchRow
    why: str  # conflict, partial
    detail: str


@dataclass(frozen=True)
class Action:
    """One line of the action list: what to do, the command, and for which patches."""

    kind: ActionKind
    track: str
    title: str
    command: str
    slugs: tuple[str, ...] = ()
    detail: str = ""
    more: int = 0  # further patches of the same kind, not listed


@dataclass(frozen=True)
class TrendTrack:
    patches: int
    lines: int
    base: str
    states: Mapping[str, int] = field(default_factory=dict)  # category -> patches
    # category -> (lines, lines with each patch counted up to LINES_CAP); None when the
    # snapshot did not record them (written by an older patchq)
    sizes: Mapping[str, tuple[int, int]] | None = None


@dataclass(frozen=True)
class TrendPoint:
    date: str
    tracks: dict[str, TrendTrack]
    current: bool = False


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
    events: tuple[Event, ...]
    waiting_review: tuple[PatchRow, ...]
    unproposed: tuple[PatchRow, ...]
    needs_person: tuple[PersonItem, ...]
    matrix_refs: tuple[str, ...]
    last_rebase: RebaseInput | None = None
    over_cap: tuple[PatchRow, ...] = ()  # patches larger than LINES_CAP, largest first
    upstream: str = "default"  # the track's upstream (its name in the map)
    # (GitHub repository, git URL) of that upstream: the track's links go there
    github: tuple[str, str] = ("", "")

    def delta(self, key: str) -> int | None:
        if self.baseline_counts is None or key not in self.baseline_counts:
            return None
        return self.counts.get(key, 0) - self.baseline_counts[key]

    def of_kind(self, *kinds: EventKind) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.kind in kinds)

    @property
    def newly_merged(self) -> tuple[Event, ...]:
        """Found upstream since the baseline (not already upstream-present then)."""
        return tuple(e for e in self.of_kind(EventKind.MERGED) if e.was != "present")

    @property
    def added(self) -> tuple[Event, ...]:
        return self.of_kind(EventKind.NEW)

    @property
    def removed(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if not e.carried and e.slug)


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
    actions: tuple[Action, ...] = ()
    downstream_url: str = ""
    first: bool = False  # no earlier snapshot at all: nothing is "new" yet
    replayed: int = 0
    # report.upstreams.UpstreamReport per upstream and the total, when the tracks apply to
    # several upstreams; () with one (the report is then as it always was)
    upstreams: tuple[Any, ...] = ()

    @property
    def never_checked(self) -> bool:
        """True when no patch of the report has any recorded status."""
        return all(not row.checked for t in self.tracks for row in t.patches) and \
            any(t.patches for t in self.tracks)
