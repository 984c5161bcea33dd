"""The report as JSON, for dashboards. Pure. Keys are stable and documented in docs/report.md;
a key without a value is ``null`` (never missing); lists are ``[]`` when empty."""

from __future__ import annotations

import json
from typing import Any

from .links import GitHub
from .model import COUNT_KEYS, PatchRow, Report, TrackReport

SCHEMA = "patchq-report/1"


def _none(value: Any) -> Any:
    return None if value == "" else value


def _counts(counts: dict[str, int] | None) -> dict[str, int | None] | None:
    if counts is None:
        return None
    return {key: counts.get(key) for key in COUNT_KEYS}


def _patch(row: PatchRow, gh: GitHub) -> dict[str, Any]:
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
        "since": _none(row.since),
        "age_days": row.age_days,
        "disposition": row.disposition,
        "reason": _none(row.reason),
        "upstream": {ref.ref: {
            "state": ref.state,
            "checked_at": _none(ref.checked_at),
            "commits": list(ref.commits),
            "methods": list(ref.methods),
            "hunks_present": ref.hunks_present if ref.hunks_total else None,
            "hunks_total": ref.hunks_total or None,
        } for ref in row.refs},
        "submission": row.submission,
        "issue": _none(row.issue),
        "issue_url": _none(gh.issue(row.issue).url) if row.issue else None,
        "pr": _none(row.pr),
        "pr_url": _none(gh.pr(row.pr).url) if row.pr else None,
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
        "problem": _none(row.problem),
    }


def _track(report: Report, t: TrackReport, gh: GitHub) -> dict[str, Any]:
    change = None
    if t.baseline_counts is not None:
        change = {key: t.delta(key) for key in COUNT_KEYS}
    return {
        "name": t.name,
        "follows": t.follows,
        "base": t.base,
        "base_commit": _none(t.base_commit),
        "baseline_base": _none(t.baseline_base),
        "counts": _counts(t.counts),
        "baseline_counts": _counts(t.baseline_counts),
        "change": change,
        "trend": [{"date": p.date, "patches": p.tracks[t.name][0],
                   "lines": p.tracks[t.name][1], "current": p.current}
                  for p in report.trend if t.name in p.tracks],
        "newly_merged": [{
            "slug": item.slug,
            "subject": _none(item.subject),
            "refs": [{"ref": ref.ref, "commits": list(ref.commits), "methods": list(ref.methods)}
                     for ref in item.refs],
            "pr": _none(item.pr),
            "pr_url": _none(gh.pr(item.pr).url) if item.pr else None,
            "pr_merged_at": _none(item.pr_merged_at),
            "pr_merge_commit": _none(item.pr_merge_commit),
            "dropped": _none(item.dropped),
            "carried": item.carried,
        } for item in t.newly_merged],
        "added": [row.slug for row in t.added],
        "removed": [{"slug": item.slug, "was": _none(item.was), "outcome": _none(item.outcome),
                     "dropped": _none(item.dropped)} for item in t.removed],
        "waiting_review": [row.slug for row in t.waiting_review],
        "unproposed": [row.slug for row in t.unproposed],
        "needs_person": [{"slug": item.row.slug, "why": item.why, "detail": item.detail}
                         for item in t.needs_person],
        "matrix_refs": list(t.matrix_refs),
        "patches": [_patch(row, gh) for row in t.patches],
    }


def as_data(report: Report) -> dict[str, Any]:
    gh = GitHub(report.github, report.upstream_url)
    return {
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
        "problems": list(report.problems),
        "tracks": [_track(report, t, gh) for t in report.tracks],
    }


def render(report: Report) -> str:
    return json.dumps(as_data(report), indent=2, ensure_ascii=False) + "\n"
