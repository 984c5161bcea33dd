"""Two weeks of a real series: a report, a real rebase (benchmarks/synth.py's upstream with every
kind of change), a report again. The second one must tell what the rebase did, with evidence,
and what to do next; and replay must rebuild the first week from git."""

from __future__ import annotations

import json
import re

import pytest
from helpers import git
from rebase_data import ALL_KINDS, build_synth

WEEK1 = "2026-11-18T09:00:00Z"
WEEK2 = "2026-11-25T09:00:00Z"


def commit_at(repos, monkeypatch, when: str, message: str) -> None:
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_DATE", when)
    git(repos.patches, "add", "-A")
    git(repos.patches, "commit", "-q", "-m", message)


def report(repos, monkeypatch, now: str, *args: str) -> dict:
    monkeypatch.setenv("PATCHQ_NOW", now)
    res = repos.run("report", "--format", "json", *args)
    assert res.code == 0, res.text
    return json.loads(res.out)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("report-week")
    return build_synth(root / "synth", root / "home", **ALL_KINDS)


@pytest.fixture
def weeks(template, tmp_path, monkeypatch):
    """(repos, first report, second report): a report, rebase onto v1.1 setting conflicts
    aside, a report."""
    repos = template.copy(tmp_path / "synth")
    first = report(repos, monkeypatch, WEEK1)
    commit_at(repos, monkeypatch, "2026-11-18T10:00:00Z", "Week 1")
    monkeypatch.setenv("PATCHQ_NOW", WEEK2)
    res = repos.run("rebase", "main", "--onto", "v1.1", "--on-conflict", "skip")
    assert res.code == 0, res.text
    second = report(repos, monkeypatch, WEEK2, "--no-record")
    return repos, first, second


def kinds(expected: dict[str, str], outcome: str) -> set[str]:
    return {slug for slug, o in expected.items() if o == outcome}


def test_the_first_report_is_not_a_flood_of_new_patches(weeks):
    _, first, _ = weeks
    t = first["tracks"][0]
    assert first["first"] is True
    assert t["added"] == [] and t["events"] == []
    assert t["counts"]["never_checked"] == t["counts"]["patches"] == 12
    assert [a["kind"] for a in first["actions"]] == ["status", "decide"]
    assert first["actions"][0]["command"] == "patchq status main"


def test_after_a_rebase_nothing_is_never_checked_and_the_drops_are_merged_with_evidence(weeks):
    repos, _, second = weeks
    t = second["tracks"][0]
    upstream = kinds(repos.expected, "upstream")
    assert second["never_checked"] is False
    assert t["counts"]["never_checked"] == 0
    merged = {m["slug"]: m for m in t["newly_merged"]}
    assert set(merged) == upstream
    for slug, item in merged.items():
        assert item["carried"] is False and item["dropped"] == "2026-11-25"
        # the subject comes from the patch repo's git: the file is gone from the series
        assert item["subject"] and item["subject"] != slug
        assert item["evidence"] and all(e["method"] for e in item["evidence"])
        assert any(e["commits"] for e in item["evidence"])
    # every carried patch was checked by the rebase against its new base
    for patch in t["patches"]:
        assert patch["checked"] and "rebase" in patch["checked_by"]
        assert patch["upstream"]["v1.1"]["state"] in ("absent", "partial")


def test_events_say_what_the_rebase_did(weeks):
    repos, _, second = weeks
    t = second["tracks"][0]
    by_kind: dict[str, set[str]] = {}
    for event in t["events"]:
        by_kind.setdefault(event["kind"], set()).add(event["slug"] or event["base_to"])
    assert by_kind["base_moved"] == {"v1.1"}
    moved = next(e for e in t["events"] if e["kind"] == "base_moved")
    assert moved["base_from"] == "v1.0" and moved["to_commit"]
    assert by_kind["obsolete"] == kinds(repos.expected, "obsolete")
    assert by_kind["set_aside"] == kinds(repos.expected, "conflict")
    assert kinds(repos.expected, "partial") <= by_kind["changed"]
    # nothing entered the series, and no count disagrees with the rows
    assert "new" not in by_kind
    counts = t["counts"]
    states = ("present", "partial", "submitted", "forwarded", "drafted", "unproposed",
              "downstream_only")
    assert sum(counts[s] for s in states) == counts["patches"] == len(t["patches"])
    assert counts["lines"] == sum(p["lines"] for p in t["patches"])
    assert t["trend"][-1]["base"] == "v1.1" and t["trend"][0]["base"] == "v1.0"


def test_the_action_list_names_the_command_and_the_files(weeks):
    repos, _, second = weeks
    resolve = [a for a in second["actions"] if a["kind"] == "resolve"]
    assert {a["slugs"][0] for a in resolve} == kinds(repos.expected, "conflict")
    for action in resolve:
        slug = action["slugs"][0]
        assert action["command"] == f"patchq push -t main {slug}"
        patch = next(p for p in second["tracks"][0]["patches"] if p["slug"] == slug)
        assert patch["paths"] and patch["paths"][0] in action["detail"]
    assert second["actions"][0]["kind"] == "resolve"  # the series is broken: first
    assert "status" not in {a["kind"] for a in second["actions"]}


def test_markdown_and_html_show_the_week(weeks, monkeypatch):
    repos, _, second = weeks
    monkeypatch.setenv("PATCHQ_NOW", WEEK2)
    md = repos.run("report", "--no-record").out
    assert "never checked" not in md.split("## Summary")[0]
    section = md.split("### Newly merged upstream since 2026-11-18")[1].split("###")[0]
    assert f"{len(second['tracks'][0]['newly_merged'])} patches upstream now has" in section
    assert "| `" in section and "(subject unknown)" not in section
    assert "base moved: `v1.0` → `v1.1`" in md
    assert "1 earlier snapshot)" in md  # a plural that agrees
    html = repos.run("report", "--no-record", "-f", "html").out
    assert 'class="marker"' in html and ">v1.1</text>" in html  # the base change on the chart
    assert "To do this week" in html and "patchq push -t main" in html


def test_replay_rebuilds_the_first_week_from_git(weeks, monkeypatch):
    repos, first, _ = weeks
    commit_at(repos, monkeypatch, "2026-11-25T10:00:00Z", "Week 2: rebase onto v1.1")
    (repos.patches / "patchq-history.jsonl").unlink()
    data = report(repos, monkeypatch, "2026-12-02T09:00:00Z", "--replay")
    assert data["replayed"] >= 1
    lines = (repos.patches / "patchq-history.jsonl").read_text().splitlines()
    assert len(lines) == data["replayed"] + 1
    replayed = [json.loads(line) for line in lines[:-1]]
    assert all(re.fullmatch(r"[0-9a-f]{40}", s["commit"]) for s in replayed)
    t = data["tracks"][0]
    bases = [p["base"] for p in t["trend"]]
    assert bases[0] == "v1.0" and bases[-1] == "v1.1"
    # the replayed first week counts what the first report counted
    week1 = next(s for s in replayed if s["tracks"]["main"]["base"] == "v1.0")
    assert week1["tracks"]["main"]["counts"]["patches"] == first["tracks"][0]["counts"]["patches"]
    assert week1["tracks"]["main"]["counts"]["lines"] == first["tracks"][0]["counts"]["lines"]
    # replaying again adds nothing: the history now starts with those days
    again = report(repos, monkeypatch, "2026-12-02T10:00:00Z", "--replay", "--no-record")
    assert again["replayed"] == 0


def test_replay_refuses_a_patch_repo_without_git(tmp_path, monkeypatch):
    import report_sample
    from helpers import patchq, tree_snapshot

    monkeypatch.setenv("PATCHQ_NOW", WEEK2)
    repo = report_sample.build(tmp_path / "p")
    before = tree_snapshot(repo)
    res = patchq("-C", str(repo), "report", "--replay")
    assert res.code == 1
    assert "not a git repository" in res.err and res.err.count("\n") == 1
    assert tree_snapshot(repo) == before


def test_a_history_another_report_wrote_meanwhile_is_kept_and_this_run_says_so(
        template, tmp_path, monkeypatch):
    """Two reports at once: the one that writes second would have dropped the first one's
    snapshot; it refuses instead (under patchq's lock), and the next run appends to both."""
    from patchq.commands import report as report_cmd

    repos = template.copy(tmp_path / "synth")
    history = repos.patches / "patchq-history.jsonl"
    first = report(repos, monkeypatch, WEEK1)
    assert first["schema"]
    kept = history.read_bytes()
    real = report_cmd.build_report

    def meanwhile(inp):
        history.write_bytes(kept + kept)  # the other run's line lands first
        return real(inp)

    monkeypatch.setattr(report_cmd, "build_report", meanwhile)
    monkeypatch.setenv("PATCHQ_NOW", WEEK2)
    res = repos.run("report", "--format", "json")
    assert res.code == 1
    assert re.search(r"patchq-history.jsonl changed while this report was made \(another "
                     r"`patchq report`\?\); run `patchq report` again", res.err), res.err
    assert history.read_bytes() == kept + kept
    monkeypatch.setattr(report_cmd, "build_report", real)
    report(repos, monkeypatch, WEEK2)
    lines = history.read_bytes().splitlines(keepends=True)
    assert b"".join(lines[:2]) == kept + kept and len(lines) == 3
