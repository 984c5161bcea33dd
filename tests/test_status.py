"""`patchq status` on the demo's sample: the merge matrix, its evidence, what it records in
the map, and the errors."""

from __future__ import annotations

import json

import pytest
import tomlkit
from helpers import commit, git, patchq
from status_sample import FIX, SLUGS, build, copy

NOW = "2024-05-06T07:08:09Z"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("status-sample"))


@pytest.fixture
def sample(built, tmp_path, monkeypatch):
    monkeypatch.setenv("PATCHQ_NOW", NOW)
    return copy(built, tmp_path)


def load_map(repo):
    return tomlkit.parse((repo / "upstream_map.toml").read_text())


def test_merge_matrix(sample):
    repo, upstream = sample
    res = patchq("-C", str(repo), "status", "3.11", "--against", "main", "3.12", "3.11")
    assert res.code == 0, res.text
    lines = res.out.splitlines()
    assert lines[0].startswith("3.11: 5 patches on v3.11.2 (3482c5397841), against main (")
    header = lines[1].split()
    assert header == ["#", "slug", "main", "3.12", "3.11", "disposition", "submission"]
    rows = {line.split()[1]: line.split()[2:] for line in lines[2:7]}
    assert rows[FIX][:6] == ["present", "hunks"] * 3
    for slug in SLUGS[:3] + SLUGS[4:]:
        assert rows[slug][:3] == ["absent"] * 3, rows[slug]
    main_fix = git(upstream, "log", "--format=%h", "--grep", "gh-101234", "-1", "main")
    backport = git(upstream, "log", "--format=%h", "--grep", "gh-101234", "-1", "3.11")
    assert f"main: present: hunks {main_fix}" in res.out
    assert f"3.11: present: hunks {backport}" in res.out
    assert f"cherry-pick {backport}" in res.out and "(a backport of " in res.out
    assert "main: 1 present, 0 partial, 4 absent" in res.out
    assert res.out.rstrip().endswith(f"recorded in upstream_map.toml (checked_at {NOW})")


def test_json(sample):
    repo, upstream = sample
    res = patchq("-C", str(repo), "status", "--json")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    track = data["tracks"][0]
    assert [r["name"] for r in track["refs"]] == ["main", "3.11"]
    assert track["counts"]["main"] == {"present": 1, "partial": 0, "absent": 4}
    fix = next(p for p in track["patches"] if p["slug"] == FIX)
    main = fix["refs"]["main"]
    assert main["state"] == "present" and main["hunks_present"] == main["hunks_total"] == 1
    assert main["evidence"][0]["method"] == "hunks"
    assert main["ref_commit"] == git(upstream, "rev-parse", "main")
    assert main["hunks"][0]["path"] == "Lib/platform.py"
    assert data["recorded"] is True and data["checked_at"] == NOW


def test_recorded_in_the_map_with_comments_kept(sample):
    repo, upstream = sample
    path = repo / "upstream_map.toml"
    path.write_text(path.read_text().replace('[upstream]', '# ours, keep me\n[upstream]'))
    assert patchq("-C", str(repo), "status", "3.11").code == 0
    text = path.read_text()
    assert "# ours, keep me\n[upstream]" in text
    per_track = load_map(repo)["patches"][FIX]["tracks"]["3.11"]
    assert per_track["state"] == "present" and per_track["carried"] is True
    entry = per_track["upstream"]["main"]
    assert entry["state"] == "present" and entry["checked_at"] == NOW
    assert entry["ref_commit"] == git(upstream, "rev-parse", "main")
    assert (entry["hunks_total"], entry["hunks_present"]) == (1, 1)
    assert entry["evidence"][0]["method"] == "hunks"
    assert len(entry["evidence"][0]["commits"][0]) == 40
    absent = load_map(repo)["patches"][SLUGS[0]]["tracks"]["3.11"]["upstream"]["3.11"]
    assert absent["state"] == "absent" and "evidence" not in absent


def test_no_write_changes_nothing(sample):
    repo, _ = sample
    before = (repo / "upstream_map.toml").read_bytes()
    res = patchq("-C", str(repo), "status", "--no-write")
    assert res.code == 0 and "not recorded (--no-write)" in res.out
    assert (repo / "upstream_map.toml").read_bytes() == before


def test_second_run_only_moves_the_times(sample, monkeypatch):
    repo, _ = sample
    assert patchq("-C", str(repo), "status").code == 0
    first = (repo / "upstream_map.toml").read_text()
    monkeypatch.setenv("PATCHQ_NOW", "2024-05-13T07:08:09Z")
    assert patchq("-C", str(repo), "status").code == 0
    second = (repo / "upstream_map.toml").read_text()
    assert second == first.replace(NOW, "2024-05-13T07:08:09Z")


def test_a_ref_found_at_origin(sample):
    repo, upstream = sample
    git(upstream, "update-ref", "refs/remotes/origin/feature", "main")
    res = patchq("-C", str(repo), "status", "--against", "feature", "--json")
    data = json.loads(res.out)
    assert data["tracks"][0]["refs"][0] == {
        "name": "feature", "commit": git(upstream, "rev-parse", "main"),
        "resolved": "origin/feature"}


def test_unknown_ref_is_one_line_and_changes_nothing(sample):
    repo, _ = sample
    before = (repo / "upstream_map.toml").read_bytes()
    res = patchq("-C", str(repo), "status", "--against", "main", "nope")
    assert res.code == 1 and res.out == ""
    assert res.err == ("patchq: error: ref 'nope' does not resolve in the upstream clone "
                       f"{repo.parent / 'cpython'}; fetch it, or name a branch, tag or commit "
                       "that exists\n")
    assert (repo / "upstream_map.toml").read_bytes() == before


def test_default_ref_missing_is_skipped_with_a_note(sample):
    repo, upstream = sample
    git(upstream, "branch", "-m", "main", "trunk")
    res = patchq("-C", str(repo), "status")
    assert res.code == 0, res.text
    assert "note: main is not in the upstream clone; skipped" in res.out
    assert "against 3.11 (" in res.out


def test_unknown_track(sample):
    repo, _ = sample
    res = patchq("-C", str(repo), "status", "3.99")
    assert res.code == 1 and "unknown track '3.99'" in res.err


def test_a_patch_that_does_not_apply_is_reported_not_checked(sample):
    repo, _ = sample
    series = repo / "series" / "3.11"
    broken = series / "0005-Explain-the-subprocess-error-in-the-browser.patch"
    text = broken.read_text().replace(" raise OSError(", " raise ValueError(")
    broken.write_text(text.replace("index 8675f89..", "index 1234567.."))  # no 3-way either
    res = patchq("-C", str(repo), "status", "3.11", "--json")
    assert res.code == 0, res.err
    patch = json.loads(res.out)["tracks"][0]["patches"][4]
    assert patch["problem"].startswith("does not apply on v3.11.2")
    assert patch["refs"] == {}
    assert "upstream" not in load_map(repo)["patches"][SLUGS[4]]["tracks"]["3.11"]


def test_queue_branch_gives_the_same_answers(sample):
    repo, _ = sample
    before = json.loads(patchq("-C", str(repo), "status", "--json", "--no-write").out)
    assert patchq("-C", str(repo), "checkout", "3.11").code == 0
    after = json.loads(patchq("-C", str(repo), "status", "--json", "--no-write").out)
    assert before == after


def test_upstream_takes_a_patch_later(sample):
    """A new upstream commit brings patch 5's change to main: status says so, with it."""
    repo, upstream = sample
    git(upstream, "checkout", "-q", "main")
    patch = repo / "series" / "3.11" / "0005-Explain-the-subprocess-error-in-the-browser.patch"
    git(upstream, "apply", str(patch))
    news = "Misc/NEWS.d/next/Library/2023-04-05.gh-issue-103000.abc.rst"
    landed = commit(upstream, {news: "Explain the error.\n"},
                    "gh-103000: Explain the subprocess error (#103001)")
    res = patchq("-C", str(repo), "status", "3.11", "--against", "main", "--json")
    found = json.loads(res.out)["tracks"][0]["patches"][4]["refs"]["main"]
    assert found["state"] == "present"
    assert found["evidence"][0]["commits"] == [landed]
