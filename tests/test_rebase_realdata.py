"""Opt-in (PATCHQ_REALDATA): Debian's 3.13.5 series rebased onto CPython v3.13.15.

Checked against Debian's own choice and against the code itself, not against names: every
patch Debian still carries in 3.13.15 must not be called upstream or obsolete, and every patch
called upstream must really be in v3.13.15: its reverse applies there, or the lines it adds
are in v3.13.15's files (outside tests and release notes), or upstream replaced the code it
changes in its own way (none of the lines it removes is left).
"""

from __future__ import annotations

import json
import subprocess

import pytest
from helpers import git, patchq

from patchq.model import slug_of

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def rebased(tmp_path_factory):
    import os

    rd = os.environ.get("PATCHQ_REALDATA")
    if not rd or not os.path.isdir(os.path.join(rd, "cpython", ".git")):
        pytest.skip("set PATCHQ_REALDATA=DEST (built by cpython-from-debian) to run")
    from pathlib import Path

    rd = Path(rd)
    root = tmp_path_factory.mktemp("realdata-rebase")
    upstream = root / "cpython"
    subprocess.run(["git", "clone", "-q", str(rd / "cpython"), str(upstream)], check=True)
    repo = root / "patches"
    repo.mkdir()
    c = ("-C", str(repo))
    assert patchq(*c, "init", "--upstream", str(upstream)).code == 0
    res = patchq(*c, "import", str(rd / "debian" / "3.13.5"), "--track", "3.13",
                 "--base", "v3.13.5")
    assert res.code == 0, res.text
    before = {p.name: p.read_bytes() for p in (repo / "series" / "3.13").iterdir()}
    dry = patchq(*c, "rebase", "3.13", "--onto", "v3.13.15", "--dry-run", "--json")
    assert dry.code == 0, dry.text
    res = patchq(*c, "rebase", "3.13", "--onto", "v3.13.15", "--on-conflict", "skip", "--json")
    assert res.code == 0, res.text
    return {"rd": rd, "upstream": upstream, "repo": repo, "before": before,
            "dry": json.loads(dry.out), "data": json.loads(res.out)}


def kept_by_debian(rd) -> set[str]:
    text = (rd / "debian" / "3.13.15" / "series").read_text()
    return {slug_of(line.split()[0]) for line in text.splitlines()
            if line.strip() and not line.startswith("#")}


def test_counts_and_debian_agreement(rebased):
    data = rebased["data"]
    outcomes = {p["slug"]: p["outcome"] for p in data["patches"]}
    assert len(outcomes) == 62 == data["total"]
    assert sum(data["counts"].values()) == 62
    print("\noutcomes of Debian 3.13.5 -> v3.13.15:", data["counts"])
    kept = kept_by_debian(rebased["rd"])
    carried = kept & set(outcomes)
    assert len(carried) >= 20  # Debian keeps 26; a few are new or renamed in 3.13.15
    wrongly_dropped = {s: outcomes[s] for s in carried
                       if outcomes[s] in ("upstream", "obsolete")}
    assert wrongly_dropped == {}
    dropped_by_debian = set(outcomes) - kept
    print("Debian dropped", len(dropped_by_debian), "; patchq drops",
          sum(1 for o in outcomes.values() if o in ("upstream", "obsolete")))
    # the dry run saw the same
    assert {p["slug"]: p["outcome"] for p in rebased["dry"]["patches"]} == outcomes


def _lines(upstream, commit: str, sign: str) -> dict[str, set[str]]:
    """The lines a commit adds (sign "+") or removes ("-"), per file, outside tests and
    release notes."""
    diff = git(upstream, "show", "--format=", "--no-color", "-U0", commit)
    path, out = None, {}
    for line in diff.splitlines():
        if line.startswith(("+++ ", "--- ")):
            if line.startswith("+++ "):
                path = line[6:] if line.startswith("+++ b/") else None
            elif line.startswith("--- a/") and path is None:
                path = line[6:]
        elif line.startswith(sign) and path and not path.startswith(("Lib/test/", "Misc/NEWS")):
            text = line[1:].strip()
            if len(text) > 3:
                out.setdefault(path, set()).add(text)
    return out


def _in_new_base(upstream, path: str) -> set[str]:
    content = subprocess.run(["git", "show", f"v3.13.15:{path}"], cwd=upstream,
                             capture_output=True, check=False).stdout.decode("utf-8", "replace")
    return {ln.strip() for ln in content.splitlines()}


def _added_lines_present(upstream, commit: str) -> float:
    """The share of the lines the commit adds that v3.13.15's files hold too."""
    total = found = 0
    for path, lines in _lines(upstream, commit, "+").items():
        total += len(lines)
        found += len(lines & _in_new_base(upstream, path))
    return found / total if total else 0.0


def _removed_lines_gone(upstream, commit: str) -> bool:
    """None of the lines the commit removes is left in v3.13.15's files."""
    return all(not (lines & _in_new_base(upstream, path))
               for path, lines in _lines(upstream, commit, "-").items())


def _reverse_applies(upstream, commit: str) -> bool:
    diff = subprocess.run(["git", "show", "--format=", "--binary", commit], cwd=upstream,
                          capture_output=True, check=True).stdout
    index = upstream / ".git" / "realdata-check-index"
    env = {"GIT_INDEX_FILE": str(index)}
    import os

    env = dict(os.environ, **env)
    subprocess.run(["git", "read-tree", "v3.13.15"], cwd=upstream, env=env, check=True)
    res = subprocess.run(["git", "apply", "--cached", "--check", "-R", "-"], cwd=upstream,
                         env=env, input=diff, capture_output=True, check=False)
    index.unlink(missing_ok=True)
    return res.returncode == 0


def test_dropped_patches_are_really_in_v3_13_15(rebased):
    upstream = rebased["upstream"]
    dropped = [p for p in rebased["data"]["patches"] if p["outcome"] == "upstream"]
    assert dropped
    for patch in dropped:
        assert patch["evidence"], patch["slug"]
        commit = patch["old_commit"]
        share = _added_lines_present(upstream, commit)
        # its reverse applies; or (nearly) all it adds is there; or upstream replaced the same
        # code its own way (what the patch removes is gone, half of what it adds is there)
        assert _reverse_applies(upstream, commit) or share >= 0.9 or (
            share >= 0.5 and _removed_lines_gone(upstream, commit)), (patch["slug"], share)


def test_series_written(rebased):
    repo, before = rebased["repo"], rebased["before"]
    data = rebased["data"]
    after = {p.name: p.read_bytes() for p in (repo / "series" / "3.13").iterdir()}
    by_slug = {p["slug"]: p["outcome"] for p in data["patches"]}
    for name, content in before.items():
        outcome = by_slug.get(slug_of(name))
        if outcome in ("unchanged", "conflict"):
            assert after[name] == content, name
        elif outcome in ("upstream", "obsolete"):
            assert name not in after, name
    umap = (repo / "upstream_map.toml").read_text()
    assert 'base = "v3.13.15"' in umap
