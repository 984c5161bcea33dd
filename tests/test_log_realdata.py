"""Opt-in (PATCHQ_REALDATA): `patchq log` after Debian's 3.13.5 series is rebased onto
CPython v3.13.15: every patch's log names its outcome, and the kept range-diff pairs each
changed patch with its old version."""

from __future__ import annotations

import json
import subprocess

import pytest
from helpers import git, patchq

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def rebased(tmp_path_factory):
    import os
    from pathlib import Path

    rd = os.environ.get("PATCHQ_REALDATA")
    if not rd or not os.path.isdir(os.path.join(rd, "cpython", ".git")):
        pytest.skip("set PATCHQ_REALDATA=DEST (built by cpython-from-debian) to run")
    rd = Path(rd)
    root = tmp_path_factory.mktemp("realdata-log")
    upstream = root / "cpython"
    subprocess.run(["git", "clone", "-q", str(rd / "cpython"), str(upstream)], check=True)
    repo = root / "patches"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    c = ("-C", str(repo))
    assert patchq(*c, "init", "--upstream", str(upstream)).code == 0
    res = patchq(*c, "import", str(rd / "debian" / "3.13.5"), "--track", "3.13",
                 "--base", "v3.13.5")
    assert res.code == 0, res.text
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Import Debian's 3.13.5 series")
    res = patchq(*c, "rebase", "3.13", "--onto", "v3.13.15", "--on-conflict", "skip", "--json")
    assert res.code == 0, res.text
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Rebase onto v3.13.15")
    return {"repo": repo, "upstream": upstream, "data": json.loads(res.out)}


def test_every_patch_logs_its_outcome_and_changed_ones_pair_with_the_old(rebased):
    data, repo = rebased["data"], rebased["repo"]
    (record,) = (rebased["upstream"] / ".git" / "patchq" / "history" / "3.13").glob("*.json")
    assert json.loads(record.read_text())["counts"] == data["counts"]
    paired = 0
    for patch in data["patches"]:
        res = patchq("-C", str(repo), "log", patch["slug"], "--json")
        assert res.code == 0, res.text
        events = json.loads(res.out)["events"]
        (rebase,) = [e for e in events if e["kind"] == "rebase"]
        assert rebase["outcome"] == patch["outcome"]
        assert rebase["old"]["commit"] == patch["old_commit"]
        assert [e["detail"] for e in rebase["evidence"]] == \
            [e["detail"] for e in patch["evidence"]]
        exports = [e["details"][0].split(" ", 2)[2] for e in events if e["kind"] == "export"]
        assert exports[-1] == "Import Debian's 3.13.5 series"
        if patch["outcome"] in ("refreshed", "modified", "partial", "upstream", "obsolete"):
            header = rebase["range_diff"].splitlines()[0]
            assert f" {patch['old_commit'][:7]}" in header
            paired += 1
        if patch["outcome"] == "unchanged":
            assert "Rebase onto v3.13.15" not in exports
    assert paired > 0
