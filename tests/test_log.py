"""`patchq log SLUG`: a patch's rebases (with the record each rebase keeps), exports and
submission events, newest first."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest
from helpers import git
from rebase_data import FEW_KINDS, NOW, build_synth


@pytest.fixture(scope="module")
def synth_template(tmp_path_factory):
    root = tmp_path_factory.mktemp("log-synth")
    return build_synth(root / "synth", root / "home", **FEW_KINDS)


@pytest.fixture
def syn(synth_template, tmp_path, monkeypatch):
    monkeypatch.setenv("PATCHQ_NOW", NOW)
    return synth_template.copy(tmp_path / "synth")


def resolve_keeping_both(path) -> None:
    text = path.read_text()
    path.write_text("".join(line for line in text.splitlines(keepends=True)
                            if not re.match(r"^(<<<<<<<|=======|>>>>>>>)", line)))


def conflicts(repos) -> list[str]:
    return [s for s, o in repos.expected.items() if o == "conflict"]


def history_dir(repos):
    return repos.upstream / ".git" / "patchq" / "history" / repos.track


def rebase_resolving_first(syn) -> tuple[str, dict]:
    """Rebase onto v1.1, resolve the first conflict by keeping both sides (``modified``),
    set the second aside, commit the patch repo."""
    first = conflicts(syn)[0]
    assert syn.run("rebase", "main", "--onto", "v1.1").code == 1
    number = int(first.split("-")[2])
    resolve_keeping_both(syn.upstream / f"src/p{number:05d}.c")
    git(syn.upstream, "add", "-A")
    assert syn.run("rebase", "--continue").code == 1
    res = syn.run("rebase", "--skip", "--json")
    assert res.code == 0, res.text
    git(syn.patches, "add", "-A")
    git(syn.patches, "commit", "-q", "-m", "Rebase onto v1.1")
    return first, json.loads(res.out)


def test_a_resolved_patch_pairs_with_its_old_version(syn):
    old_files = {p.name: p.read_bytes() for p in (syn.patches / "series" / "main").iterdir()}
    slug, data = rebase_resolving_first(syn)
    result = next(p for p in data["patches"] if p["slug"] == slug)
    assert result["outcome"] == "modified"

    # the record the rebase kept: one JSON and its range-diff
    records = sorted(history_dir(syn).glob("*.json"))
    assert len(records) == 1
    doc = json.loads(records[0].read_text())
    assert doc["schema"] == "patchq.rebase-record/1"
    assert doc["to"]["ref"] == "v1.1" and doc["counts"]["modified"] == 1
    patch = next(p for p in doc["patches"] if p["slug"] == slug)
    old_blob = git(syn.patches, "hash-object", str(syn.patches / "series" / "main" /
                                                    patch["old_file"]))
    assert old_files[patch["old_file"]] != (syn.patches / "series" / "main" /
                                            patch["new_file"]).read_bytes()
    assert patch["new_blob"] == old_blob  # the file now is the new version
    assert patch["old_blob"] == git(syn.patches, "hash-object", "--stdin",
                                    input=old_files[patch["old_file"]])
    assert patch["old_commit"] == result["old_commit"]
    assert patch["new_commit"] == result["new_commit"]
    kept = records[0].parent / patch["old_kept"]
    assert kept.read_bytes() == old_files[patch["old_file"]]
    range_diff = records[0].with_suffix(".range-diff").read_text()
    assert range_diff == data["range_diff"]

    # log: the pairing, newest first, with the excerpt of this patch only
    res = syn.run("log", slug, "--json")
    assert res.code == 0, res.text
    log = json.loads(res.out)
    assert log["schema"] == "patchq-log/1" and log["slug"] == slug
    rebase = next(e for e in log["events"] if e["kind"] == "rebase")
    assert rebase["outcome"] == "modified" and rebase["to"]["ref"] == "v1.1"
    assert rebase["old"]["commit"] == result["old_commit"]
    assert rebase["new"]["commit"] == result["new_commit"]
    assert rebase["old"]["blob"] == patch["old_blob"]
    assert rebase["old"]["kept"] == str(kept)
    excerpt = rebase["range_diff"]
    header = excerpt.splitlines()[0]
    assert f" {result['old_commit'][:7]}" in header and " ! " in header
    assert "upstream's own change B" in excerpt
    other = conflicts(syn)[1]
    assert other not in excerpt  # only this patch's part
    assert "resolved by a person" in " ".join(rebase["details"])
    times = [e["at"] or "~" for e in log["events"]]
    assert times == sorted(times, reverse=True)
    exports = [e for e in log["events"] if e["kind"] == "export"]
    assert [e["details"][0].split(" ", 2)[2] for e in exports] == ["Rebase onto v1.1",
                                                                   "Import"]

    text = syn.run("log", slug)
    assert text.code == 0, text.text
    assert f"{slug} on main: carried" in text.out
    assert "rebase v1.0 -> v1.1: modified" in text.out
    assert f"old: {patch['old_file']}, blob {patch['old_blob'][:12]}, commit " \
           f"{result['old_commit'][:12]}" in text.out
    assert "range-diff:" in text.out and "upstream's own change B" in text.out


def test_a_set_aside_patch_shows_it_left_the_queue(syn):
    rebase_resolving_first(syn)
    other = conflicts(syn)[1]
    res = syn.run("log", other, "--json")
    rebase = next(e for e in json.loads(res.out)["events"] if e["kind"] == "rebase")
    assert rebase["outcome"] == "conflict" and rebase["new"]["commit"] is None
    assert " < -:  " in rebase["range_diff"]  # on the old queue only: set aside


def _run(repos, args, env_extra):
    env = dict(os.environ, PATCHQ_PLAIN="1", **env_extra)
    return subprocess.run([sys.executable, "-m", "patchq", "-C", str(repos.patches), *args],
                          env=env, capture_output=True, check=False)


def _stop_at_second_conflict(repos) -> None:
    assert repos.run("rebase", "main", "--onto", "v1.1").code == 1
    number = int(conflicts(repos)[0].split("-")[2])
    resolve_keeping_both(repos.upstream / f"src/p{number:05d}.c")
    git(repos.upstream, "add", "-A")
    assert repos.run("rebase", "--continue").code == 1


def test_a_crash_after_the_record_rewrites_the_same_record(syn, tmp_path):
    trial = syn.copy(tmp_path / "trial")
    _stop_at_second_conflict(trial)
    steps = tmp_path / "steps.log"
    res = _run(trial, ["rebase", "--skip"], {"PATCHQ_TEST_CRASH_AT": "100000",
                                             "PATCHQ_TEST_CRASH_LOG": str(steps)})
    assert res.returncode == 0, res.stderr
    labels = steps.read_text().splitlines()
    at = labels.index("history recorded") + 1
    (clean,) = history_dir(trial).glob("*.json")

    _stop_at_second_conflict(syn)
    res = _run(syn, ["rebase", "--skip"], {"PATCHQ_TEST_CRASH_AT": str(at)})
    assert res.returncode == -signal.SIGKILL
    assert (syn.upstream / ".git" / "patchq" / "operation.json").exists()
    res = syn.run("rebase", "--continue")
    assert res.code == 0, res.text
    (kept,) = history_dir(syn).glob("*.json")
    assert kept.name == clean.name
    assert json.loads(kept.read_text())["patches"] == json.loads(clean.read_text())["patches"]
    assert kept.with_suffix(".range-diff").read_bytes() == \
        clean.with_suffix(".range-diff").read_bytes()


def test_an_all_unchanged_rebase_keeps_a_record_without_range_diff(syn):
    unchanged = next(s for s, o in syn.expected.items() if o in ("unchanged", "offset"))
    tag = git(syn.upstream, "rev-parse", "v1.0")
    git(syn.upstream, "tag", "v1.0-again", tag)
    git(syn.upstream, "commit-tree", "-m", "nothing", "-p", tag, f"{tag}^{{tree}}")
    empty = git(syn.upstream, "commit-tree", "-m", "nothing", "-p", tag, f"{tag}^{{tree}}")
    res = syn.run("rebase", "main", "--onto", empty, "--json")
    assert res.code == 0, res.text
    assert json.loads(res.out)["range_diff"] == ""
    records = list(history_dir(syn).glob("*"))
    assert [p.suffix for p in records] == [".json"]  # no range-diff, no old files
    doc = json.loads(records[0].read_text())
    assert doc["range_diff"] is None and set(doc["counts"]) == {"unchanged"}
    log = json.loads(syn.run("log", unchanged, "--json").out)
    assert [e["outcome"] for e in log["events"] if e["kind"] == "rebase"] == ["unchanged"]


def test_submission_events_from_the_map_history(syn):
    slug = conflicts(syn)[0]
    c = ("-C", str(syn.patches))
    from helpers import patchq

    res = patchq(*c, "record", slug, "issue=python/cpython#123")
    assert res.code == 0, res.text
    git(syn.patches, "commit", "-q", "-am", "Record the issue")
    text = (syn.patches / "upstream_map.toml").read_text()
    text += (f'\n[patches.{slug}.github]\nchecked_at = "2026-01-05T00:00:00Z"\n'
             'submission = "open-pr"\npr_created_at = "2026-01-04T10:00:00Z"\n')
    (syn.patches / "upstream_map.toml").write_text(text)
    log = json.loads(syn.run("log", slug, "--json").out)
    kinds = [(e["kind"], e["summary"]) for e in log["events"]]
    assert ("issue", "issue python/cpython#123 recorded") in kinds
    assert ("sync", "sync: submission none -> open-pr") in kinds
    assert any(k == "pr" and s.startswith("PR opened on GitHub") for k, s in kinds)
    assert ("series", "entered the series") in [(k, s.split(" (")[0]) for k, s in kinds]
    issue = next(e for e in log["events"] if e["kind"] == "issue")
    assert issue["commit"] == git(syn.patches, "rev-parse", "HEAD")
    sync = next(e for e in log["events"] if e["kind"] == "sync")
    assert sync["at"] == "2026-01-05T00:00:00Z" and sync["uncommitted"] is True
    # newest first: the sync (2026-01-05) before the PR (01-04) before the issue's commit
    order = [e["kind"] for e in log["events"]]
    assert order.index("sync") < order.index("pr")


def test_unknown_patch_and_track_are_one_line_errors(syn):
    res = syn.run("log", "no-such-patch")
    assert res.code == 1 and "no patch no-such-patch" in res.err
    assert len(res.err.strip().splitlines()) == 1
    res = syn.run("log", conflicts(syn)[0], "--track", "nope")
    assert res.code == 1 and len(res.err.strip().splitlines()) == 1
    res = syn.run("log", "../x")
    assert res.code == 1 and "not a patch name" in res.err


def test_an_upstreamed_patch_keeps_its_evidence_and_old_file(syn):
    rebase_resolving_first(syn)
    slug = next(s for s, o in syn.expected.items() if o == "upstream")
    res = syn.run("log", slug, "--json")
    assert res.code == 0, res.text
    log = json.loads(res.out)
    assert log["current"]["main"]["carried"] is False
    rebase = next(e for e in log["events"] if e["kind"] == "rebase")
    assert rebase["outcome"] == "upstream" and rebase["evidence"]
    assert rebase["old"]["file"] and rebase["new"]["file"] is None
    # the file is gone from the series, its history is still found by its slug
    exports = [e["status"] for e in log["events"] if e["kind"] == "export"]
    assert exports == ["deleted", "added"]
    assert not any(e["kind"] == "series" and "left" in e["summary"] for e in log["events"])


def test_delete_shows_in_the_log(syn):
    slug = next(s for s, o in syn.expected.items() if o == "offset")
    res = syn.run("delete", slug, "--track", "main")
    assert res.code == 0, res.text
    res = syn.run("log", slug)
    assert res.code == 0, res.text
    first = res.out.splitlines()[1]
    assert first.startswith("(now)") and "deleted from the series (`patchq delete`), file " \
        "kept: " in first


def test_two_rebases_newest_first_and_a_patch_repo_without_git(syn):
    import shutil

    slug, _ = rebase_resolving_first(syn)
    tip = git(syn.upstream, "rev-parse", "v1.1")
    later = git(syn.upstream, "commit-tree", "-m", "later", "-p", tip, f"{tip}^{{tree}}")
    res = syn.run("rebase", "main", "--onto", later, "--json")
    assert res.code == 0, res.text
    assert len(list(history_dir(syn).glob("*.json"))) == 2
    shutil.rmtree(syn.patches / ".git")
    res = syn.run("log", slug, "--json")
    assert res.code == 0, res.text
    log = json.loads(res.out)
    rebases = [(e["from"]["ref"], e["to"]["ref"], e["outcome"]) for e in log["events"]
               if e["kind"] == "rebase"]
    assert rebases[1] == ("v1.0", "v1.1", "modified")
    assert rebases[0][0] == "v1.1" and rebases[0][2] in ("unchanged", "offset")
    assert len(rebases) == 2
    assert not any(e["kind"] == "export" for e in log["events"])
    assert any("not a git repository" in note for note in log["notes"])


def test_a_dry_run_and_an_aborted_rebase_leave_no_record(syn):
    res = syn.run("rebase", "main", "--onto", "v1.1", "--dry-run")
    assert res.code == 0, res.text
    assert syn.run("rebase", "main", "--onto", "v1.1").code == 1
    assert syn.run("rebase", "--abort").code == 0
    assert not history_dir(syn).exists()
    log = json.loads(syn.run("log", conflicts(syn)[0], "--json").out)
    assert not any(e["kind"] == "rebase" for e in log["events"])
