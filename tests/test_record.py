"""`patchq record`: the fields people own, validated and normalized, comments kept."""

from __future__ import annotations

import json

import pytest
import tomlkit
from helpers import patchq
from status_sample import FIX, SLUGS, build, copy

SLUG = SLUGS[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("record-sample"))


@pytest.fixture
def repo(built, tmp_path):
    repo, _ = copy(built, tmp_path)
    path = repo / "upstream_map.toml"
    path.write_text(path.read_text().replace(
        f"[patches.{SLUG}]\n", f"# Start-up is ours.\n[patches.{SLUG}]  # keep this\n"))
    return repo


def record_of(repo, slug=SLUG):
    return tomlkit.parse((repo / "upstream_map.toml").read_text())["patches"][slug]


def run(repo, *args):
    return patchq("-C", str(repo), "record", *args)


def test_set_fields_keeps_comments(repo):
    res = run(repo, SLUG, "disposition=downstream-only",
              "reason=Pyodide drives start-up from JavaScript", "notes=ask again for 3.14")
    assert res.code == 0, res.text
    assert res.out.splitlines() == [
        f"{SLUG}: disposition 'undecided' -> 'downstream-only'",
        f"{SLUG}: reason = 'Pyodide drives start-up from JavaScript'",
        f"{SLUG}: notes = 'ask again for 3.14'"]
    text = (repo / "upstream_map.toml").read_text()
    assert f"# Start-up is ours.\n[patches.{SLUG}]  # keep this\n" in text
    record = record_of(repo)
    assert record["disposition"] == "downstream-only"
    assert record["reason"] == "Pyodide drives start-up from JavaScript"
    assert record["tracks"]["3.11"]["carried"] is True
    again = run(repo, SLUG, "disposition=downstream-only")
    assert again.code == 0 and again.out == f"{SLUG}: nothing changed\n"


@pytest.mark.parametrize("key, value, stored", [
    ("issue", "#101234", "python/cpython#101234"),
    ("issue", "gh-101234", "python/cpython#101234"),
    ("issue", "https://github.com/python/cpython/issues/101234", "python/cpython#101234"),
    ("pr", "GH-101235", "python/cpython#101235"),
    ("pr", "https://github.com/python/cpython/pull/101235/files", "python/cpython#101235"),
    ("pr", "pyodide/cpython#12", "pyodide/cpython#12"),
])
def test_issue_and_pr_are_normalized(repo, key, value, stored):
    res = run(repo, FIX, f"{key}={value}")
    assert res.code == 0, res.text
    assert record_of(repo, FIX)[key] == stored


@pytest.mark.parametrize("args, message", [
    (["disposition=downstream"],
     ("disposition 'downstream' is not one of undecided, upstreamable, downstream-only; did you "
     "mean downstream-only?")),
    (["disposition=downstream-only"],
     "a downstream-only patch needs a reason; add reason=\"why it stays downstream\""),
    (["dispositon=upstreamable"], "unknown field 'dispositon'; did you mean disposition?"),
    (["disposition"], "'disposition' is not key=value; write e.g. disposition=upstreamable"),
    (["pr=https://github.com/python/cpython/issues/3"],
     "pr: https://github.com/python/cpython/issues/3 is an issue, not a pull request"),
    (["issue=GH-3"], "issue: GH-3 is a pull request, not an issue"),
    (["pr=5"], "pr: '5' is not a pull request"),
    (["notes=a", "notes=b"], "notes is given twice; give each field once"),
])
def test_bad_values_are_usage_errors_and_change_nothing(repo, args, message):
    before = (repo / "upstream_map.toml").read_bytes()
    res = run(repo, SLUG, *args)
    assert res.code == 2, res.text
    assert res.err.startswith("patchq: error: " + message) and res.err.count("\n") == 1
    assert (repo / "upstream_map.toml").read_bytes() == before


def test_unknown_slug(repo):
    res = run(repo, "Public-pymain_run_pyton", "notes=x")
    assert res.code == 1
    assert res.err == ("patchq: error: no patch 'Public-pymain_run_pyton' in the map or any "
                       "track; did you mean Public-pymain_run_python?\n")


def test_clear_a_field(repo):
    assert run(repo, FIX, "pr=#7", "notes=x").code == 0
    res = run(repo, FIX, "pr=", "disposition=")
    assert res.code == 0
    assert res.out.splitlines() == [f"{FIX}: pr cleared (was 'python/cpython#7')"]
    assert "pr" not in record_of(repo, FIX) and record_of(repo, FIX)["notes"] == "x"


def test_changing_the_pr_forgets_github_state(repo):
    path = repo / "upstream_map.toml"
    assert run(repo, FIX, "pr=#7").code == 0
    path.write_text(path.read_text() + f'\n[patches."{FIX}".github]\nsubmission = "merged-pr"\n')
    res = run(repo, FIX, "pr=#8")
    assert res.code == 0 and "run `patchq sync`" in res.out
    assert "github" not in record_of(repo, FIX)


def test_per_track(repo):
    res = run(repo, "--track", "3.11", SLUG, "disposition=upstreamable", "notes=3.11 only")
    assert res.code == 0, res.text
    assert res.out.splitlines()[0] == f"{SLUG} (track 3.11): disposition = 'upstreamable'"
    record = record_of(repo)
    assert record["disposition"] == "undecided"
    assert record["tracks"]["3.11"]["disposition"] == "upstreamable"
    status = json.loads(patchq("-C", str(repo), "status", "--json", "--no-write").out)
    assert status["tracks"][0]["patches"][0]["disposition"] == "upstreamable"
    refused = run(repo, "--track", "3.11", SLUG, "pr=#1")
    assert refused.code == 2 and "pr belong to the patch, not to one track" in refused.err
    unknown = run(repo, "--track", "3.12", SLUG, "notes=x")
    assert unknown.code == 1 and "unknown track '3.12'" in unknown.err


def test_show(repo):
    assert run(repo, SLUG, "disposition=upstreamable", "issue=#5").code == 0
    res = run(repo, SLUG)
    assert res.out.splitlines() == [f"{SLUG}:", "  disposition = upstreamable",
                                    "  issue = python/cpython#5"]
    data = json.loads(run(repo, SLUG, "--json").out)
    assert data["fields"] == {"disposition": "upstreamable", "issue": "python/cpython#5"}


def test_hash_number_needs_the_upstream_github(repo):
    path = repo / "upstream_map.toml"
    path.write_text(path.read_text().replace('github = "python/cpython"\n', ""))
    res = run(repo, SLUG, "issue=#5")
    assert res.code == 2 and "'#5' names no repository" in res.err
