"""The report's computation, pure: classification rules, baseline choice, trend."""

from __future__ import annotations

from datetime import date

import pytest

from patchq.report.compute import build_report
from patchq.report.history import Snapshot, SnapshotTrack, parse_time
from patchq.report.model import PatchInput, ReportInput, TrackInput
from patchq.report.records import classify

NOW = parse_time("2026-11-25T12:00:00Z")


def patch(slug: str, added: int = 1, removed: int = 0, **kw) -> PatchInput:
    return PatchInput(slug=slug, file=f"{slug}.patch", subject=f"Subject of {slug}", added=added,
                      removed=removed, files=1, **kw)


def inp(patches, records, history=(), since=None, tracks=None) -> ReportInput:
    tracks = tracks or (TrackInput("3.11", "3.11", "v3.11.2", patches=tuple(patches)),)
    return ReportInput(now=NOW, tracks=tracks, records=records, github="python/cpython",
                       history=tuple(history), since=since)


def snap(at: str, patches: dict[str, str], track: str = "3.11", **counts) -> Snapshot:
    counts = {"patches": len(patches), "lines": 0, **counts}
    return Snapshot(at, {track: SnapshotTrack.of("v3.11.2", counts, patches)})


def checked(state: str, at: str = "2026-11-20T00:00:00Z", ref: str = "main") -> dict:
    return {"tracks": {"3.11": {"upstream": {ref: {"state": state, "checked_at": at}}}}}


@pytest.mark.parametrize(("record", "draft", "expected"), [
    ({}, False, "unproposed"),
    ({}, True, "drafted"),
    ({"issue": "python/cpython#1"}, False, "forwarded"),
    ({"issue": "python/cpython#1"}, True, "forwarded"),  # sent upstream beats a local draft
    ({"branch": "patchq/draft/x"}, False, "drafted"),
    # a recorded PR that sync never saw is not an open PR: its state is unknown
    ({"pr": "python/cpython#2"}, False, "forwarded"),
    ({"pr": "#2", "github": {"submission": "open-pr", "pr_state": "open"}}, False, "submitted"),
    ({"pr": "#2", "github": {"submission": "closed-pr", "pr_state": "closed"}}, False,
     "unproposed"),
    ({"pr": "#2", "github": {"submission": "draft-pr", "pr_state": "open"}}, False, "drafted"),
    # sync read an issue before the PR was recorded: the PR is still not checked
    ({"pr": "#2", "github": {"submission": "issue"}}, False, "forwarded"),
    # DEP-3 Forwarded: (import records it) follows the map
    ({"forwarded": "https://bugs.python.org/issue1"}, False, "forwarded"),
    ({"forwarded": "no"}, False, "unproposed"),
    ({"forwarded": "not-needed"}, False, "downstream_only"),
    ({"forwarded": "not-needed", "disposition": "upstreamable"}, False, "unproposed"),
    ({"disposition": "upstreamable", "tracks": {"3.11": {"disposition": "downstream-only"}}},
     False, "downstream_only"),  # the track's own disposition first
    ({"disposition": "downstream-only", "pr": "#2"}, False, "downstream_only"),
    ({"disposition": "downstream-only", **checked("present")}, False, "present"),
    ({"pr": "#2", **checked("partial")}, False, "partial"),
    # merged after the last check: upstream has it even though the check said absent
    ({"github": {"submission": "merged-pr", "pr_merged_at": "2026-11-21T00:00:00Z"},
      **checked("absent")}, False, "present"),
    # checked absent after the merge (reverted upstream): not present
    ({"github": {"submission": "merged-pr", "pr_merged_at": "2026-11-19T00:00:00Z"},
      **checked("absent")}, False, "unproposed"),
    ({"github": {"submission": "merged-pr"}}, False, "present"),  # nothing checked
])
def test_classification_rules(record, draft, expected):
    per_track = record.get("tracks", {}).get("3.11", {})
    assert classify(record, per_track, draft) == expected


def test_times_and_dates_written_as_toml_values_are_understood():
    from datetime import datetime, timezone

    record = {"tracks": {"3.11": {"since": date(2026, 11, 1), "upstream": {"main": {
        "state": "absent", "checked_at": datetime(2026, 11, 2, tzinfo=timezone.utc)}}}}}
    report = build_report(inp([patch("a")], {"a": record}))
    row = report.tracks[0].patches[0]
    assert (row.since, row.age_days, row.checked_at) == ("2026-11-01", 24,
                                                          "2026-11-02T00:00:00Z")


def test_history_out_of_order_same_day_and_future_snapshots():
    history = [
        snap("2026-11-18T09:00:00Z", {"a": "unproposed"}),
        snap("2026-11-11T09:00:00Z", {"a": "unproposed", "b": "unproposed"}),
        snap("2026-11-18T20:00:00Z", {"a": "submitted"}),  # later the same day: kept
        snap("2026-12-30T00:00:00Z", {}),  # after now: ignored
    ]
    report = build_report(inp([patch("a", 3)], {"a": {"pr": "#1"}}, history))
    assert report.baseline_at == "2026-11-18T20:00:00Z"
    assert [p.date for p in report.trend] == ["2026-11-11", "2026-11-18", "2026-11-25"]
    point = report.trend[-1].tracks["3.11"]
    assert report.trend[-1].current and (point.patches, point.lines) == (1, 3)
    last = build_report(inp([patch("a")], {}, history, since="last"))
    assert last.baseline_at == "2026-11-18T20:00:00Z"


def test_a_track_new_since_the_baseline_is_named():
    tracks = (TrackInput("3.11", "3.11", "v3.11.2", patches=(patch("a"),)),
              TrackInput("3.13", "3.13", "v3.13.0", patches=(patch("b"),)))
    report = build_report(inp((), {}, [snap("2026-11-18T09:00:00Z", {"a": "unproposed"})],
                              tracks=tracks))
    assert report.baseline_note == "new since the baseline: track 3.13"
    assert report.tracks[0].baseline_counts is not None
    assert report.tracks[1].baseline_counts is None
    assert set(report.snapshot.tracks) == {"3.11", "3.13"}


def test_selected_tracks_only_but_the_snapshot_has_all():
    tracks = (TrackInput("3.11", "3.11", "v3.11.2", patches=(patch("a"),)),
              TrackInput("main", "main", "main", patches=(patch("b", 5),)))
    report = build_report(ReportInput(now=NOW, tracks=tracks, records={}, selected=("main",)))
    assert [t.name for t in report.tracks] == ["main"]
    assert report.snapshot.tracks["3.11"].counts["patches"] == 1
    assert list(report.trend[-1].tracks) == ["main"]
    assert (report.trend[-1].tracks["main"].patches, report.trend[-1].tracks["main"].lines) \
        == (1, 5)


def test_the_same_input_gives_an_equal_report():
    records = {"a": checked("present"),
               "b": {"pr": "#2", "github": {"submission": "open-pr", "pr_state": "open"}}}
    history = [snap("2026-11-18T09:00:00Z", {"a": "submitted", "b": "unproposed", "c": "drafted"})]
    one = build_report(inp([patch("a"), patch("b")], records, history))
    two = build_report(inp([patch("a"), patch("b")], records, history))
    assert one == two
    t = one.tracks[0]
    assert [m.slug for m in t.newly_merged] == ["a"]
    assert [r.slug for r in t.removed] == ["c"] and t.removed[0].was == "drafted"
    assert t.delta("submitted") == 0 and t.delta("present") == 1 and t.delta("drafted") == -1
