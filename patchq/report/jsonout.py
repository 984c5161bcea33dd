"""The report as JSON, for dashboards. Pure. Keys are stable and documented in docs/report.md;
a key without a value is ``null`` (never missing); lists are ``[]`` when empty."""

from __future__ import annotations

import json
from typing import Any

from . import fmt
from .links import GitHub, downstream_file
from .model import (
    COUNT_KEYS,
    LINES_CAP,
    Event,
    EvidenceItem,
    PatchRow,
    RefState,
    Report,
    TrackReport,
)

SCHEMA = "patchq-report/1"


def _none(value: Any) -> Any:
    return None if value == "" else value


def _counts(counts: dict[str, int] | None) -> dict[str, int | None] | None:
    if counts is None:
        return None
    return {key: counts.get(key) for key in COUNT_KEYS}


def _evidence(items: tuple[EvidenceItem, ...]) -> list[dict[str, Any]]:
    return [{"method": i.method, "commits": list(i.commits), "detail": _none(i.detail)}
            for i in items]


def _ref(ref: RefState) -> dict[str, Any]:
    return {"ref": ref.ref, "commits": list(ref.commits), "methods": list(ref.methods),
            "evidence": _evidence(ref.evidence)}


def _event(e: Event, gh: GitHub, downstream: str) -> dict[str, Any]:
    return {
        "kind": e.kind.value,
        "slug": _none(e.slug),
        "subject": _none(e.subject),
        "file": _none(e.file),
        "file_url": _none(downstream_file(downstream, e.track, e.file)) if e.carried else None,
        "date": _none(e.date),
        "carried": e.carried,
        "was": _none(e.was),
        "now": _none(e.now),
        "outcome": _none(e.outcome),
        "refs": [_ref(r) for r in e.refs],
        "evidence": _evidence(e.all_evidence),
        "commits": list(e.commits),
        "methods": list(e.methods),
        "pr": _none(e.pr),
        "pr_url": _none(gh.pr(e.pr).url) if e.pr else None,
        "pr_merged_at": _none(e.pr_merged_at),
        "pr_merge_commit": _none(e.pr_merge_commit),
        "lines": e.lines,
        "detail": _none(e.detail),
        "base_from": _none(e.base_from),
        "base_to": _none(e.base_to),
        "to_commit": _none(e.to_commit),
    }


def _patch(row: PatchRow, gh: GitHub, downstream: str) -> dict[str, Any]:
    return {
        "position": row.position,
        "slug": row.slug,
        "file": row.file,
        "subject": row.subject,
        "author": _none(row.author),
        "added": row.added,
        "removed": row.removed,
        "lines": row.lines,
        "files": row.files,
        "category": row.category,
        "checked": row.checked,
        "checked_at": _none(row.checked_at),
        "checked_by": list(row.checked_by),
        "since": _none(row.since),
        "age_days": row.age_days,
        "dated": _none(row.dated),
        "dated_days": row.dated_days,
        "carried_since": _none(row.carried_since),
        "file_url": _none(downstream_file(downstream, row.track, row.file)),
        "paths": list(row.paths),
        "disposition": row.disposition,
        "reason": _none(row.reason),
        "upstream": {ref.ref: {
            "state": ref.state,
            "checked_at": _none(ref.checked_at),
            "commits": list(ref.commits),
            "methods": list(ref.methods),
            "evidence": _evidence(ref.evidence),
            "by": ref.by,
            "hunks_present": ref.hunks_present if ref.hunks_total else None,
            "hunks_total": ref.hunks_total or None,
        } for ref in row.refs},
        "submission": row.submission,
        "issue": _none(row.issue),
        "issue_url": _none(gh.issue(row.issue).url) if row.issue else None,
        "pr": _none(row.pr),
        "pr_url": _none(gh.pr(row.pr).url) if row.pr else None,
        "pr_checked": row.pr_checked,
        "github_checked_at": _none(row.github_checked_at),
        "forwarded": _none(row.forwarded),
        "forwarded_url": _none(gh.url_link(row.forwarded).url) if row.forwarded else None,
        "pr_state": _none(row.pr_state),
        "pr_draft": row.pr_draft,
        "pr_base": _none(row.pr_base),
        "pr_created_at": _none(row.pr_created_at),
        "pr_merged_at": _none(row.pr_merged_at),
        "pr_merge_commit": _none(row.pr_merge_commit),
        "review": row.review,
        "labels": list(row.labels),
        "updated_at": _none(row.updated_at),
        "branch": _none(row.branch),
        "has_draft": row.has_draft,
        "outcome": _none(row.outcome),
        "needs_person": row.needs_person,
        "conflict_files": list(row.conflict_files),
        "problem": _none(row.problem),
    }


def _track(report: Report, t: TrackReport, gh: GitHub) -> dict[str, Any]:
    change = None
    if t.baseline_counts is not None:
        change = {key: t.delta(key) for key in COUNT_KEYS}
    downstream = report.downstream_url
    rebase = t.last_rebase
    return {
        "name": t.name,
        "follows": t.follows,
        "base": t.base,
        "base_commit": _none(t.base_commit),
        "baseline_base": _none(t.baseline_base),
        "last_rebase": None if rebase is None else {
            "from": rebase.from_ref, "to": rebase.to_ref, "from_commit": _none(rebase.from_commit),
            "to_commit": _none(rebase.to_commit), "at": _none(rebase.at),
            "counts": dict(rebase.counts)},
        "counts": _counts(t.counts),
        "baseline_counts": _counts(t.baseline_counts),
        "change": change,
        "trend": [{"date": day, "patches": p.patches, "lines": p.lines, "base": p.base,
                   "current": day == report.date, "states": dict(p.states),
                   "sizes": None if p.sizes is None else {
                       c: {"lines": v[0], "capped": v[1]} for c, v in p.sizes.items()}}
                  for day, p in fmt.trend_points(report.trend, t.name)],
        "events": [_event(e, gh, downstream) for e in t.events],
        "newly_merged": [{
            "slug": e.slug,
            "subject": _none(e.subject),
            "refs": [_ref(r) for r in e.refs],
            "evidence": _evidence(e.all_evidence),
            "pr": _none(e.pr),
            "pr_url": _none(gh.pr(e.pr).url) if e.pr else None,
            "pr_merged_at": _none(e.pr_merged_at),
            "pr_merge_commit": _none(e.pr_merge_commit),
            "dropped": _none(e.date) if not e.carried else None,
            "carried": e.carried,
        } for e in t.newly_merged],
        "added": [e.slug for e in t.added],
        "removed": [{"slug": e.slug, "kind": e.kind.value, "subject": _none(e.subject),
                     "was": _none(e.was), "outcome": _none(e.outcome), "dropped": _none(e.date)}
                    for e in t.removed],
        "waiting_review": [row.slug for row in t.waiting_review],
        "unproposed": [row.slug for row in t.unproposed],
        "needs_person": [{"slug": item.row.slug, "why": item.why, "detail": item.detail}
                         for item in t.needs_person],
        "over_cap": [row.slug for row in t.over_cap],
        "matrix_refs": list(t.matrix_refs),
        "patches": [_patch(row, gh, downstream) for row in t.patches],
    }


def as_data(report: Report) -> dict[str, Any]:
    gh = GitHub(report.github, report.upstream_url)
    data = {
        "schema": SCHEMA,
        "generated_at": report.generated_at,
        "date": report.date,
        "upstream": {"github": _none(report.github), "url": _none(report.upstream_url)},
        "comparison": {
            "since": _none(report.since_requested),
            "cutoff": _none(report.cutoff),
            "baseline_at": _none(report.baseline_at),
            "baseline_line": report.baseline_line or None,
            "note": _none(report.baseline_note),
        },
        "history": {
            "path": report.history_path,
            "snapshots": report.history_snapshots,
            "problems": [{"line": p.line, "message": p.message}
                         for p in report.history_problems],
        },
        "never_checked": report.never_checked,
        "first": report.first,
        "replayed": report.replayed,
        "downstream_url": _none(report.downstream_url),
        "lines_cap": LINES_CAP,
        "actions": [{"kind": a.kind.value, "track": _none(a.track), "title": a.title,
                     "command": a.command, "slugs": list(a.slugs), "more": a.more,
                     "detail": _none(a.detail)} for a in report.actions],
        "problems": list(report.problems),
        "tracks": [_track(report, t, GitHub(*t.github) if report.upstreams else gh)
                   for t in report.tracks],
    }
    if report.upstreams:  # several upstreams (only then: one upstream's JSON is as it was)
        for item, t in zip(data["tracks"], report.tracks):
            item["upstream"] = t.upstream
        data["upstreams"] = [u.as_json() for u in report.upstreams]
    return data


def render(report: Report) -> str:
    return json.dumps(as_data(report), indent=2, ensure_ascii=False) + "\n"
