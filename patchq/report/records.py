"""How one patch is read from the map, and which state it is in. Pure.

Every carried patch of a track falls in exactly one category, the first rule that holds:

1. ``present``: an upstream ref recorded for the track has it (``state = "present"``), or its
   PR was merged after the last upstream check (or nothing was checked);
2. ``partial``: an upstream ref has some of its hunks;
3. ``downstream_only``: its disposition is ``downstream-only`` (the track's own first), or,
   with no disposition decided, DEP-3 said ``Forwarded: not-needed``;
4. ``submitted``: a PR is open for review, as ``patchq sync`` last saw it;
5. ``forwarded``: sent upstream without an open PR known: an issue, a DEP-3 ``Forwarded:``
   address, or a recorded PR that ``patchq sync`` has not seen yet;
6. ``drafted``: a draft exists (``drafts/SLUG/``, a draft branch, a draft PR);
7. ``unproposed``: none of these (a closed PR counts here too).

>>> classify({"disposition": "downstream-only"}, {}, False)
'downstream_only'
>>> classify({"forwarded": "not-needed"}, {}, False), classify({"forwarded": "no"}, {}, False)
('downstream_only', 'unproposed')
>>> classify({"pr": "python/cpython#1"}, {}, False)  # recorded, never synced
'forwarded'
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
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any

from .history import format_time, parse_time
from .model import STATE_ORDER, EvidenceItem, RebaseInput, RefState

# outcomes of a rebase that leave the patch in the series, applied on the new base: the
# rebase itself shows the new base lacks (at least part of) the change
APPLIED = ("unchanged", "offset", "refreshed", "modified")
NOT_FORWARDED = ("", "no", "not yet", "none")
NOT_NEEDED = ("not-needed", "not needed", "no-needed", "not-applicable")


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


def per_track(record: Any, track: str) -> Mapping[str, Any]:
    return table_of(table_of(table_of(record).get("tracks")).get(track))


@lru_cache(maxsize=4096)
def time_key(value: str) -> str:
    """A sortable UTC form of a time ("" stays "")."""
    if not value:
        return ""
    try:
        return format_time(parse_time(value))
    except ValueError:
        return ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def evidence_of(value: Any) -> tuple[EvidenceItem, ...]:
    """A map's ``evidence`` array (``[{method, commits, detail}]``) as typed items."""
    items = []
    for item in value if isinstance(value, list) else []:
        table = table_of(item)
        commits = table.get("commits") or []
        items.append(EvidenceItem(
            method=text(table.get("method")),
            commits=tuple(dict.fromkeys(text(c) for c in commits if c))
            if isinstance(commits, list) else (),
            detail=text(table.get("detail"))))
    return tuple(items)


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


def refs_of(track_record: Mapping[str, Any], rebase: RebaseInput | None = None
            ) -> tuple[RefState, ...]:
    """The upstream refs recorded for a patch on a track, in version order.

    The tables ``status`` and ``rebase`` write come first. A rebase writes no table when it
    found nothing of the patch upstream (its outcome says it): a carried patch with an
    outcome of the track's last rebase counts as checked against that rebase's new base,
    absent there (state ``absent``, method ``rebase``)."""
    refs = []
    for name, value in table_of(track_record.get("upstream")).items():
        table = table_of(value)
        state = text(table.get("state"))
        if state not in STATE_ORDER:
            continue
        checked_at = time_key(text(table.get("checked_at")))
        # a rebase writes the table of its new base, stamped with its own time
        by = "rebase" if rebase is not None and str(name) == rebase.to_ref and checked_at and \
            checked_at == rebase.at else "status"
        refs.append(RefState(ref=str(name), state=state, checked_at=checked_at,
                             evidence=evidence_of(table.get("evidence")),
                             hunks_present=_int(table.get("hunks_present")),
                             hunks_total=_int(table.get("hunks_total")), by=by))
    outcome = text(track_record.get("outcome"))
    if rebase is not None and rebase.to_ref and outcome and \
            track_record.get("carried") is not False and \
            all(r.ref != rebase.to_ref for r in refs) and \
            (outcome in APPLIED or outcome == "conflict"):
        how = ("it does not apply there: set aside" if outcome == "conflict"
               else f"it still applies there ({outcome})")
        refs.append(RefState(ref=rebase.to_ref, state="absent", checked_at=time_key(rebase.at),
                             evidence=(EvidenceItem("rebase", (rebase.to_commit,)
                                                    if rebase.to_commit else (), how),),
                             by="rebase"))
    return tuple(sorted(refs, key=lambda r: ref_sort_key(r.ref)))


def forwarded_of(record: Mapping[str, Any]) -> str:
    return text(record.get("forwarded")).strip()


def is_forwarded(value: str) -> bool:
    """DEP-3 ``Forwarded:`` says the patch was sent upstream (an address, a ``yes``).

    >>> [is_forwarded(v) for v in ("no", "not-needed", "", "https://bugs.python.org/1", "yes")]
    [False, False, False, True, True]
    """
    low = value.strip().lower()
    return low not in NOT_FORWARDED and low not in NOT_NEEDED


def disposition_of(record: Mapping[str, Any], track_record: Mapping[str, Any]) -> str:
    """The track's own disposition, else the patch's; ``undecided`` turns to
    ``downstream-only`` when DEP-3 said ``Forwarded: not-needed``."""
    chosen = text(track_record.get("disposition")) or text(record.get("disposition"))
    if chosen in ("", "undecided") and forwarded_of(record).lower() in NOT_NEEDED:
        return "downstream-only"
    return chosen or "undecided"


def reason_of(record: Mapping[str, Any], track_record: Mapping[str, Any]) -> str:
    return text(track_record.get("reason")) or text(record.get("reason"))


def submission_of(record: Mapping[str, Any]) -> str:
    """Where the patch stands upstream: what ``patchq sync`` saw, else what is recorded.

    ``recorded-pr``: a PR is recorded that sync never saw (its state is unknown);
    ``forwarded``: DEP-3 ``Forwarded:`` names where it was sent.

    >>> submission_of({"pr": "#1"}), submission_of({"pr": "#1", "github": {"submission":
    ...     "open-pr", "pr_state": "open"}}), submission_of({"forwarded": "yes"})
    ('recorded-pr', 'open-pr', 'forwarded')
    """
    github = table_of(record.get("github"))
    synced = text(github.get("submission")) or text(record.get("submission"))
    if record.get("pr") and not github.get("pr_state"):
        return "recorded-pr"  # sync never saw this PR (or its table is from before it)
    if synced and synced != "none":
        return synced
    if record.get("issue"):
        return "issue"
    if is_forwarded(forwarded_of(record)):
        return "forwarded"
    return synced or "none"


def classify(record: Mapping[str, Any], track_record: Mapping[str, Any], has_draft: bool,
             refs: tuple[RefState, ...] | None = None) -> str:
    """The category of a patch on a track (module docstring)."""
    if refs is None:
        refs = refs_of(track_record)
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
    if disposition_of(record, track_record) == "downstream-only":
        return "downstream_only"
    if submission == "open-pr":
        return "submitted"
    if submission in ("recorded-pr", "issue", "forwarded"):
        return "forwarded"
    if submission == "draft-pr" or record.get("branch") or has_draft:
        return "drafted"
    return "unproposed"


def rebase_of(table: Any) -> RebaseInput | None:
    """``[tracks."<T>".last_rebase]`` as a value (None when there is none)."""
    table = table_of(table)
    if not table.get("to"):
        return None
    counts = table_of(table.get("counts"))
    return RebaseInput(from_ref=text(table.get("from")), to_ref=text(table.get("to")),
                       at=time_key(text(table.get("at"))),
                       from_commit=text(table.get("from_commit")),
                       to_commit=text(table.get("to_commit")),
                       counts={str(k): _int(v) for k, v in counts.items()})
