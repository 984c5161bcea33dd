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


# -- one source per count ------------------------------------------------------------------------


def rebased(outcome: str, **more) -> dict:
    return {"tracks": {"3.11": {"carried": True, "since": "2026-11-01", "outcome": outcome,
                                **more}}}


def track_with_rebase(patches, to: str = "v3.11.9") -> tuple:
    from patchq.report.model import RebaseInput

    return (TrackInput("3.11", "3.11", to, patches=tuple(patches), last_rebase=RebaseInput(
        "v3.11.2", to, "2026-11-24T10:00:00Z", to_commit="c" * 40,
        counts={"unchanged": 1, "upstream": 1, "dropped": 1})),)


def test_a_rebase_outcome_is_a_check_of_its_new_base():
    records = {"a": rebased("unchanged"), "b": rebased("conflict", needs_person=True),
               "c": {"tracks": {"3.11": {"carried": True}}}}
    report = build_report(inp((), records, tracks=track_with_rebase(
        [patch("a"), patch("b"), patch("c")])))
    rows = {r.slug: r for r in report.tracks[0].patches}
    assert rows["a"].checked and rows["a"].checked_by == ("rebase",)
    assert rows["a"].checked_at == "2026-11-24T10:00:00Z"
    assert rows["a"].ref("v3.11.9").state == "absent"
    assert rows["a"].ref("v3.11.9").evidence[0].commits == ("c" * 40,)
    assert rows["b"].checked  # set aside: the rebase looked for it upstream too
    assert not rows["c"].checked  # no outcome: came after the rebase, nothing checked it
    assert report.tracks[0].counts["never_checked"] == 1
    # an outcome without the track's last_rebase says nothing of where it was checked
    alone = build_report(inp([patch("a")], {"a": rebased("unchanged")}))
    assert not alone.tracks[0].patches[0].checked


def test_dropped_by_a_person_is_never_counted_as_merged():
    records = {
        "kept": rebased("unchanged"),
        "took": {"tracks": {"3.11": {"carried": False, "outcome": "upstream",
                                     "dropped": "2026-11-24", "evidence": [
                                         {"method": "patch-id", "commits": ["d" * 40]}]}}},
        "gave-up": {"tracks": {"3.11": {"carried": False, "outcome": "dropped",
                                        "dropped": "2026-11-24"}}},
    }
    history = [snap("2026-11-18T09:00:00Z", {"kept": "unproposed", "took": "unproposed",
                                             "gave-up": "unproposed"})]
    report = build_report(inp((), records, history, tracks=track_with_rebase([patch("kept")])))
    t = report.tracks[0]
    assert [e.slug for e in t.newly_merged] == ["took"]
    assert t.newly_merged[0].commits == ("d" * 40,)
    kinds = {e.slug: e.kind.value for e in t.events if e.slug}
    assert kinds == {"took": "merged", "gave-up": "dropped"}
    assert {e.slug: e.kind.value for e in t.removed} == {"took": "merged", "gave-up": "dropped"}
    assert next(e.kind.value for e in t.events) == "base_moved"


def test_a_recorded_pr_sync_never_saw_is_not_an_open_pr():
    records = {"a": {"pr": "python/cpython#7"},
               "b": {"pr": "python/cpython#8", "github": {
                   "checked_at": "2026-11-10T00:00:00Z", "submission": "open-pr",
                   "pr_state": "open"}}}
    report = build_report(inp([patch("a"), patch("b")], records))
    t = report.tracks[0]
    rows = {r.slug: r for r in t.patches}
    assert rows["a"].category == "forwarded" and rows["a"].submission == "recorded-pr"
    assert not rows["a"].pr_checked
    assert rows["b"].category == "submitted"
    assert [r.slug for r in t.waiting_review] == ["b"]
    sync = [a for a in report.actions if a.kind.value == "sync"]
    assert len(sync) == 1 and sync[0].command == "patchq sync"
    # a never synced, b synced 15 days before now: stale for a weekly report
    assert sync[0].slugs == ("a", "b")
    assert "1 recorded PR or issue not yet read from GitHub" in sync[0].title
    assert "1 last checked over 7 days ago" in sync[0].title


def test_a_first_report_lists_no_new_patch_from_the_first_import():
    records = {s: {"tracks": {"3.11": {"carried": True, "since": "2026-11-25"}}}
               for s in ("a", "b")}
    first = build_report(inp([patch("a"), patch("b")], records))
    assert first.first and first.tracks[0].added == ()
    records["c"] = {"tracks": {"3.11": {"carried": True, "since": "2026-11-25"}}}
    for slug in ("a", "b"):
        records[slug]["tracks"]["3.11"]["since"] = "2026-11-20"
    later = build_report(inp([patch("a"), patch("b"), patch("c")], records))
    assert [e.slug for e in later.tracks[0].added] == ["c"]  # came after the import


def test_the_action_list_in_order_with_commands():
    records = {
        "aside": rebased("conflict", needs_person=True),
        "draft-me": {"disposition": "upstreamable", **rebased("unchanged")},
        "review-me": rebased("unchanged"),
        "undecided": rebased("offset"),
        "part": {"tracks": {"3.11": {"carried": True, "outcome": "partial", "upstream": {
            "v3.11.9": {"state": "partial", "hunks_present": 1, "hunks_total": 2,
                        "checked_at": "2026-11-24T10:00:00Z"}}}}},
        "lonely": {},
    }
    patches = [patch("aside", paths=("Lib/os.py",)), patch("draft-me"),
               patch("review-me", has_draft=True), patch("undecided"), patch("part"),
               patch("lonely")]
    report = build_report(inp((), records, tracks=track_with_rebase(patches)))
    got = [(a.kind.value, a.command) for a in report.actions]
    assert got == [
        ("resolve", "patchq push -t 3.11 aside"),
        ("status", "patchq status 3.11"),
        ("review", "patchq draft -t 3.11 review-me --open"),
        ("draft", "patchq draft -t 3.11 draft-me"),
        ("partial", "patchq draft -t 3.11 part"),
        ("decide", "patchq record aside disposition=upstreamable"),
    ]
    resolve = report.actions[0]
    assert "onto v3.11.9" in resolve.title and "touches Lib/os.py" in resolve.detail
    assert report.actions[1].slugs == ("lonely",)


def test_lines_by_state_are_capped_per_patch_and_recorded_in_the_snapshot():
    from patchq.report.model import LINES_CAP

    patches = [patch("huge", 17_934), *(patch(f"p{i}", 10) for i in range(4))]
    report = build_report(inp(patches, {}))
    sizes = report.snapshot.tracks["3.11"].sizes
    assert sizes == {"unproposed": [17_934 + 40, LINES_CAP + 40]}
    assert [r.slug for r in report.tracks[0].over_cap] == ["huge"]
    point = report.trend[-1].tracks["3.11"]
    assert point.sizes == {"unproposed": (17_974, LINES_CAP + 40)}
    assert point.states["unproposed"] == 5
