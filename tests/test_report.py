"""patchq report: counts, sections, history, formats, determinism, escaping, errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import report_sample
from helpers import patchq, tree_snapshot
from report_sample import NOW

from patchq.report import history as hist


@pytest.fixture
def now(monkeypatch):
    monkeypatch.setenv("PATCHQ_NOW", NOW)
    return NOW


@pytest.fixture
def repo(tmp_path, now) -> Path:
    return report_sample.build(tmp_path / "patches")


def run_json(repo: Path, *args: str) -> dict:
    res = patchq("-C", str(repo), "report", "--format", "json", "--no-record", *args)
    assert res.code == 0, res.text
    return json.loads(res.out)


def track(data: dict, name: str = "3.11") -> dict:
    return next(t for t in data["tracks"] if t["name"] == name)


# -- the headline ------------------------------------------------------------------------------


def test_headline_counts_each_patch_once_with_the_change_since_a_week_ago(repo):
    data = run_json(repo)
    t = track(data)
    counts = t["counts"]
    assert counts["patches"] == len(report_sample.SUBJECTS) == 11
    assert {k: counts[k] for k in ("present", "partial", "submitted", "drafted", "unproposed",
                                   "downstream_only")} == {
        "present": 1, "partial": 1, "submitted": 2, "drafted": 2, "unproposed": 4,
        "downstream_only": 1}
    assert sum(counts[k] for k in ("present", "partial", "submitted", "drafted", "unproposed",
                                   "downstream_only")) == counts["patches"]
    sizes = [(add, rem) for *_, add, rem in report_sample.SUBJECTS]
    assert counts["added"] == sum(a for a, _ in sizes)
    assert counts["removed"] == sum(r for _, r in sizes)
    assert counts["lines"] == counts["added"] + counts["removed"]
    assert counts["never_checked"] == 2  # Never-checked and Drafted-locally have no state
    assert counts["needs_person"] == 2
    # a week before 2026-11-25 is 2026-11-18: the snapshot on line 5 (line 4 is corrupt)
    assert data["comparison"]["baseline_at"] == "2026-11-18T09:00:00Z"
    assert data["comparison"]["baseline_line"] == 5
    assert t["baseline_counts"]["patches"] == 11
    assert t["baseline_counts"]["lines"] == 240
    assert t["change"]["lines"] == counts["lines"] - 240
    assert t["change"]["unproposed"] == 4 - t["baseline_counts"]["unproposed"]
    by_slug = {p["slug"]: p["category"] for p in t["patches"]}
    assert by_slug["Public-pymain_run_python"] == "present"
    assert by_slug["Partly-upstream-fix"] == "partial"
    assert by_slug["Emscripten-only"] == "downstream_only"
    assert by_slug["Drafted-locally"] == "drafted"  # drafts/Drafted-locally/ exists
    assert by_slug["Draft-pr"] == "drafted"
    assert by_slug["Never-checked"] == "unproposed"


def test_sections_say_what_changed_what_waits_and_what_is_stuck(repo):
    t = track(run_json(repo))
    merged = {m["slug"]: m for m in t["newly_merged"]}
    assert list(merged) == ["Public-pymain_run_python", "Gone-upstream"]
    assert merged["Public-pymain_run_python"]["pr_url"] == \
        "https://github.com/python/cpython/pull/101"
    assert merged["Public-pymain_run_python"]["refs"][0]["ref"] == "main"
    assert merged["Gone-upstream"]["carried"] is False
    assert merged["Gone-upstream"]["dropped"] == "2026-11-21"
    assert merged["Gone-upstream"]["refs"][0]["commits"] == ["d" * 40]
    assert t["added"] == ["Open-pr-new", "Escape-me", "Never-checked"]
    assert [(r["slug"], r["outcome"]) for r in t["removed"]] == [
        ("Gone-upstream", "upstream"), ("Removed-by-hand", None)]
    assert t["waiting_review"] == ["Open-pr-old", "Open-pr-new"]  # the oldest PR first
    # oldest first: by the older of the patch's own date and the day it entered the series
    assert t["unproposed"] == ["Never-checked", "Never-proposed-old", "Conflicting",
                               "Escape-me"]
    assert [(p["slug"], p["why"]) for p in t["needs_person"]] == [
        ("Conflicting", "conflict"), ("Partly-upstream-fix", "partial")]
    assert "2 of 3 hunks in main" in t["needs_person"][1]["detail"]
    assert t["matrix_refs"] == ["3.11", "main"]
    old = next(p for p in t["patches"] if p["slug"] == "Open-pr-old")
    assert old["review"] == "changes_requested"
    assert old["labels"] == ["type-feature", "OS-emscripten"]
    assert old["age_days"] == 674  # 2025-01-20 .. 2026-11-25
    assert old["upstream"]["3.11"]["state"] == "absent"


def test_markdown_report_has_every_section_and_links(repo):
    res = patchq("-C", str(repo), "report", "--no-record")
    assert res.code == 0, res.text
    md = res.out
    for heading in ("## Summary", "## Track `3.11`", "### Newly merged upstream since 2026-11-18",
                    "### Other changes since 2026-11-18", "### PRs waiting for review",
                    "### Never proposed (oldest first)", "### Needs a person",
                    "### Merge matrix", "### All patches"):
        assert heading in md
    assert "[\\#202](https://github.com/python/cpython/pull/202)" in md
    assert "https://github.com/python/cpython/commit/" + "a" * 40 in md
    assert "| patches carried | 11 | 11 | ±0 |" in md
    waiting = md.split("### PRs waiting")[1].split("###")[0]
    assert waiting.index("#202") < waiting.index("#303")
    assert "changes requested" in waiting
    # the trend: 4 good history lines and this run
    assert "Trend over 5 reports (2026-10-28 → 2026-11-25)" in md
    assert re.search(r"patches carried `[▁-█]{5}` 13 → 11", md)


def test_html_report_is_one_self_contained_page(repo, tmp_path):
    out = tmp_path / "site" / "index.html"
    out.parent.mkdir()
    res = patchq("-C", str(repo), "report", "--format", "html", "--out", str(out), "--no-record")
    assert res.code == 0, res.text
    assert f"to {out}" in res.out
    page = out.read_text()
    assert page.startswith("<!doctype html>")
    assert '<meta name="viewport"' in page
    assert page.count("<svg") == 2 and page.count('class="band"') >= 5
    # nothing fetched: no external script, style, font, image or frame
    assert not re.search(r"""<(script|img|iframe|link)[^>]+(src|href)=""", page)
    assert "@import" not in page and "url(" not in page
    assert page.count("<script") == 1  # the inline sorter
    assert 'href="https://github.com/python/cpython/pull/202"' in page
    assert 'href="https://github.com/python/cpython/issues/4242"' in page  # gh-4242 in a subject
    assert "patchq-history.jsonl:4: not valid JSON" in page


def test_text_from_patches_is_escaped_in_every_format(repo):
    evil = 'Quote <script>alert("x")</script> & \'friends\' | pipes *stars*'
    html = patchq("-C", str(repo), "report", "-f", "html", "--no-record").out
    assert "<script>alert" not in html
    assert "Quote &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;friends&#x27;" \
        in html
    md = patchq("-C", str(repo), "report", "--no-record").out
    assert "<script>" not in md
    assert "Quote &lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; 'friends' \\| pipes \\*stars\\*" \
        in md
    data = run_json(repo)
    assert any(p["subject"] == evil for p in track(data)["patches"])


# -- history -----------------------------------------------------------------------------------


def test_a_corrupt_history_line_is_reported_with_its_number_and_kept(repo):
    before = (repo / "patchq-history.jsonl").read_text().splitlines()
    res = patchq("-C", str(repo), "report", "--format", "json", "--out", "r.json")
    assert res.code == 0, res.text
    assert "warning: patchq-history.jsonl:4: not valid JSON" in res.err
    assert "line skipped" in res.err
    data = json.loads((repo / "r.json").read_text())
    assert data["history"]["problems"] == [
        {"line": 4, "message": "not valid JSON (Expecting value at column 51)"}]
    after = (repo / "patchq-history.jsonl").read_text().splitlines()
    assert after[:-1] == before  # the bad line is still there for a person to fix
    assert data["history"]["snapshots"] == 4


def test_each_run_appends_a_snapshot_and_since_last_compares_with_it(repo):
    res = patchq("-C", str(repo), "report", "--format", "json")
    assert res.code == 0, res.text
    first = json.loads(res.out)
    assert "appended this run's snapshot to patchq-history.jsonl" in res.err
    lines = (repo / "patchq-history.jsonl").read_text().splitlines()
    assert len(lines) == 6
    snaps, problems = hist.parse_history(lines[-1])
    assert not problems
    snap = snaps[0]
    assert snap.at == NOW
    assert snap.tracks["3.11"].counts == track(first)["counts"]
    assert snap.tracks["3.11"].patches["Open-pr-old"] == "submitted"
    second = run_json(repo, "--since", "last")
    assert second["comparison"]["baseline_at"] == NOW
    assert second["comparison"]["baseline_line"] == 6
    assert track(second)["change"] == {k: 0 for k in track(second)["counts"]}
    assert track(second)["newly_merged"] == [] and track(second)["added"] == []


@pytest.mark.parametrize(("since", "baseline", "note"), [
    ("last", "2026-11-18T09:00:00Z", None),
    ("2026-11-05", "2026-11-04T09:00:00Z", None),
    ("2026-11-11", "2026-11-11T09:00:00Z", None),
    ("2026-01-01", None, "no snapshot on or before 2026-01-01 (the oldest is from 2026-10-28)"),
])
def test_since_picks_the_snapshot_to_compare_with(repo, since, baseline, note):
    data = run_json(repo, "--since", since)
    assert data["comparison"]["baseline_at"] == baseline
    assert data["comparison"]["note"] == note
    if baseline is None:
        assert track(data)["baseline_counts"] is None and track(data)["change"] is None


def test_without_history_the_report_says_there_is_nothing_to_compare(tmp_path, now):
    repo = report_sample.build(tmp_path / "p", history=False)
    res = patchq("-C", str(repo), "report", "--since", "last", "--no-record")
    assert res.code == 0, res.text
    assert "No earlier snapshot to compare with (this is the first report)." in res.out
    assert "Trend: one snapshot so far" in res.out
    assert not (repo / "patchq-history.jsonl").exists()
    data = run_json(repo)
    assert data["comparison"]["baseline_at"] is None
    # with no snapshot, "new" and "merged" come from the map's dates (after 2026-11-18)
    t = track(data)
    assert t["added"] == ["Escape-me"]
    assert [m["slug"] for m in t["newly_merged"]] == ["Public-pymain_run_python",
                                                       "Gone-upstream"]


def test_bad_since_is_a_usage_error(repo):
    res = patchq("-C", str(repo), "report", "--since", "2026-13-01")
    assert res.code == 2
    assert "neither a date nor 'last'" in res.text


def test_history_lines_of_other_kinds_are_problems_too(repo):
    path = repo / "patchq-history.jsonl"
    path.write_bytes(path.read_bytes() + b"\n[1, 2]\n" + b'{"at": "x", "tracks": {}}\n'
                     + b'{"v": 9, "at": "2026-01-01", "tracks": {}}\n' + b"\xff\xfe\n")
    data = run_json(repo)
    assert [(p["line"], p["message"]) for p in data["history"]["problems"]] == [
        (4, "not valid JSON (Expecting value at column 51)"),
        (7, "not a JSON object"),
        (8, "\"at\" is not an ISO 8601 time: 'x'"),
        (9, "written by a newer patchq (format version 9)"),
        (10, "not UTF-8 text"),
    ]


# -- must hold ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_reports_are_byte_identical_for_the_same_inputs(tmp_path, now, fmt):
    one = report_sample.build(tmp_path / "one")
    two = tmp_path / "two"
    shutil.copytree(one, two)
    outputs = []
    for repo in (one, two):
        res = patchq("-C", str(repo), "report", "--format", fmt, "--out", "out.report")
        assert res.code == 0, res.text
        outputs.append((repo / "out.report").read_bytes())
    assert outputs[0] == outputs[1]
    assert (one / "patchq-history.jsonl").read_bytes() == \
        (two / "patchq-history.jsonl").read_bytes()
    again = [patchq("-C", str(one), "report", "--format", fmt, "--no-record").out
             for _ in range(2)]
    assert again[0] == again[1]


def test_a_map_with_no_status_still_reports_never_checked(tmp_path, now):
    repo = tmp_path / "p"
    repo.mkdir()
    (repo / "upstream_map.toml").write_text(
        '[upstream]\npath = "../nowhere"\n\n[tracks.main]\nfollows = "main"\nbase = "v1.0"\n\n'
        '[patches.one.tracks.main]\ncarried = true\nsince = 2026-11-01\n\n'
        '[patches.two.tracks.main]\ncarried = true\n')
    report_sample.write_series(repo, "main", [
        ("0001-one.patch", report_sample.patch_text("One", "a.txt", 3)),
        ("0002-two.patch", report_sample.patch_text("Two", "b.txt", 1, 1))])
    for fmt in ("md", "html"):
        res = patchq("-C", str(repo), "report", "-f", fmt, "--no-record")
        assert res.code == 0, res.text
        assert "never checked" in res.out
        assert "patchq status" in res.out
    data = run_json(repo)
    assert data["never_checked"] is True
    t = track(data, "main")
    assert t["counts"]["never_checked"] == 2 and t["counts"]["unproposed"] == 2
    assert t["counts"]["lines"] == 5
    assert t["patches"][0]["since"] == "2026-11-01" and t["patches"][0]["age_days"] == 24
    assert t["patches"][1]["since"] is None and t["patches"][1]["age_days"] is None
    assert data["upstream"]["github"] is None
    assert t["patches"][0]["pr_url"] is None


def test_the_upstream_clone_is_not_needed(repo):
    assert not (repo.parent / "cpython").exists()
    res = patchq("-C", str(repo), "--upstream-dir", str(repo.parent / "missing"), "report",
                 "--no-record")
    assert res.code == 0, res.text


def test_track_option_limits_the_report_but_the_snapshot_covers_every_track(repo):
    text = (repo / "upstream_map.toml").read_text()
    (repo / "upstream_map.toml").write_text(
        text + '\n[tracks.main]\nfollows = "main"\nbase = "main"\n\n'
        '[patches.Main-only.tracks.main]\ncarried = true\nsince = "2026-11-24"\n')
    report_sample.write_series(repo, "main", [
        ("Main-only.patch", report_sample.patch_text("Only on main", "x.c", 7))])
    data = run_json(repo, "--track", "main")
    assert [t["name"] for t in data["tracks"]] == ["main"]
    assert track(data, "main")["counts"]["lines"] == 7
    assert track(data, "main")["baseline_counts"] is None
    res = patchq("-C", str(repo), "report", "--track", "main", "--out", "r.md")
    assert res.code == 0, res.text
    assert "## Track `3.11`" not in (repo / "r.md").read_text()
    last = (repo / "patchq-history.jsonl").read_text().splitlines()[-1]
    assert set(json.loads(last)["tracks"]) == {"3.11", "main"}
    res = patchq("-C", str(repo), "report", "--track", "3.99")
    assert res.code == 1
    assert "unknown track '3.99'" in res.err


def test_a_failed_write_leaves_the_history_as_it_was(repo):
    (repo / "out").mkdir()
    before = tree_snapshot(repo)
    res = patchq("-C", str(repo), "report", "--out", "out")
    assert res.code == 1
    assert "is a directory" in res.err and res.err.count("\n") == 1
    assert tree_snapshot(repo) == before


def test_a_patch_whose_diff_does_not_parse_is_reported_not_fatal(repo):
    path = repo / "series" / "3.11" / "0011-Never-checked.patch"
    path.write_text(path.read_text().replace("@@ -1,2 +1,2 @@", "@@ -1,9 +1,9 @@"))
    res = patchq("-C", str(repo), "report", "-f", "json", "--no-record")
    assert res.code == 0, res.text
    assert "0011-Never-checked.patch" in res.err and "not counted" in res.err
    assert any("0011-Never-checked.patch" in p for p in json.loads(res.out)["problems"])


def test_no_map_is_a_clear_error(tmp_path):
    res = patchq("-C", str(tmp_path), "report")
    assert res.code == 1
    assert "no upstream_map.toml" in res.err


def test_help_explains_the_report():
    res = patchq("report", "--help")
    assert res.code == 0
    for word in ("--format", "--since", "--track", "--out", "--history", "--no-record",
                 "upstream-present", "PATCHQ_NOW"):
        assert word in res.out


def test_the_demo_ends_with_the_report_and_says_where_it_is(tmp_path, now):
    res = patchq("demo", str(tmp_path / "demo"))
    assert res.code == 0, res.text
    page = tmp_path / "demo" / "report.html"
    assert page.is_file()
    last_step = res.out.rsplit("\n== ", 1)[1]
    assert last_step.startswith(f"{last_step.split('.')[0]}. patchq report --format html")
    assert f"to {page}" in last_step
    assert "<h1>Upstream status</h1>" in page.read_text()
    history = tmp_path / "demo" / "patches" / "patchq-history.jsonl"
    assert history.read_text().count("\n") == 1
