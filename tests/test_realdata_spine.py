"""Opt-in: Debian's real CPython series (PATCHQ_REALDATA, built by cpython-from-debian).

Debian 3.13.5 (62 patches) imported onto v3.13.5, checked out and exported changes no file;
all 62 apply; lint --check-export is clean. The same for 3.11.2 and 3.13.15; a reworded
DEP-3 patch rewrites only its header; the queue as format-patch files round-trips too; and the
project's own sample series (series/ at the top of the repository) apply and lint clean.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import git, patchq, tree_snapshot
from spine_data import hermetic_env

pytestmark = pytest.mark.realdata

ROOT = Path(__file__).resolve().parent.parent
DEBIAN = {"3.13.5": 62, "3.13.15": 26, "3.11.2": 83}


def _realdata() -> Path | None:
    value = os.environ.get("PATCHQ_REALDATA")
    if value and (Path(value) / "cpython" / ".git").is_dir():
        return Path(value)
    return None


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A clone of the real CPython: (realdata, clone)."""
    rd = _realdata()
    if rd is None:
        pytest.skip("set PATCHQ_REALDATA=DEST (built by cpython-from-debian) to run")
    root = tmp_path_factory.mktemp("realdata")
    with hermetic_env(root / "home"):
        subprocess.run(["git", "clone", "-q", str(rd / "cpython"), str(root / "cpython")],
                       check=True)
    return rd, root / "cpython"


@pytest.fixture(scope="module")
def debian(clone):
    """A patch repo with Debian's series imported and checked out in the clone, one track per
    release: (realdata, upstream, repo, outputs)."""
    rd, upstream = clone
    root = upstream.parent
    outputs = {}
    with hermetic_env(root / "home"):
        repo = root / "patches"
        repo.mkdir()
        git(repo, "init", "-q")
        assert patchq("-C", str(repo), "init", "--upstream", "../cpython").code == 0
        for version in DEBIAN:
            if not (rd / "debian" / version / "series").is_file():
                continue
            track = f"debian-{version}"
            imported = patchq("-C", str(repo), "import", str(rd / "debian" / version),
                              "--track", track, "--base", f"v{version}")
            assert imported.code == 0, imported.text
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", f"import {version}")
            checkout = patchq("-C", str(repo), "checkout", track)
            assert checkout.code == 0, checkout.text
            outputs[version] = (imported.out, checkout.out)
    return rd, root / "cpython", repo, outputs


def test_debian_3_13_5_round_trip_changes_nothing(debian):
    rd, upstream, repo, outputs = debian
    imported, checkout = outputs["3.13.5"]
    assert "imported 62 patches (quilt) as track debian-3.13.5 on v3.13.5" in imported
    assert "all 62 apply on v3.13.5" in imported
    assert "patchq/debian-3.13.5: built, 62 patches on v3.13.5" in checkout
    assert len(git(upstream, "rev-list", "v3.13.5..patchq/debian-3.13.5").split()) == 62
    before = tree_snapshot(repo)
    res = patchq("-C", str(repo), "export", "debian-3.13.5")
    assert res.code == 0 and "nothing to write (62 unchanged" in res.out
    assert tree_snapshot(repo) == before
    # the files are Debian's, byte for byte, names too
    ours = tree_snapshot(repo / "series" / "debian-3.13.5")
    theirs = tree_snapshot(rd / "debian" / "3.13.5")
    assert {k: v for k, v in theirs.items() if k in ours} == ours
    lint = patchq("-C", str(repo), "lint", "debian-3.13.5", "--check-export")
    assert (lint.code, lint.out.strip()) == (0, "no problems found")


@pytest.mark.parametrize("version", ["3.13.15", "3.11.2"])
def test_other_debian_releases_round_trip(debian, version):
    _, _, repo, outputs = debian
    if version not in outputs:
        pytest.skip(f"no Debian series for {version}")
    count = DEBIAN[version]
    assert f"all {count} apply" in outputs[version][0]
    before = tree_snapshot(repo)
    res = patchq("-C", str(repo), "export", f"debian-{version}")
    assert res.code == 0 and f"nothing to write ({count} unchanged" in res.out
    assert tree_snapshot(repo) == before


def test_a_reworded_debian_patch_changes_only_its_header(debian, tmp_path):
    _, upstream, repo, _ = debian
    work = tmp_path / "work"
    shutil.copytree(repo, work)
    current = git(upstream, "symbolic-ref", "--short", "HEAD")
    # export takes only a branch patchq built: build "reword" as this track's queue
    res = patchq("-C", str(work), "--upstream-dir", str(upstream), "checkout", "debian-3.13.5",
                 "--branch", "reword", "--force")
    assert res.code == 0, res.text
    sha = git(upstream, "log", "--format=%H", "--grep=^Patchq-Slug: deb-locations$", "reword")
    env = dict(os.environ, GIT_SEQUENCE_EDITOR=f"sed -i 's/^pick {sha[:7]}/reword {sha[:7]}/'",
               GIT_EDITOR="sed -i '1s/.*/Debian: Adjust the locations of directories/'")
    subprocess.run(["git", "rebase", "-q", "-i", "v3.13.5", "reword"], cwd=upstream, env=env,
                   check=True, capture_output=True)
    git(upstream, "checkout", "-q", current)
    res = patchq("-C", str(work), "--upstream-dir", str(upstream), "export", "debian-3.13.5",
                 "--branch", "reword")
    assert res.code == 0, res.text
    assert "61 unchanged, 1 changed" in res.out
    git(work, "add", "-A")
    assert git(work, "status", "--porcelain").splitlines() == \
        ["M  series/debian-3.13.5/deb-locations.diff"]
    new = (work / "series" / "debian-3.13.5" / "deb-locations.diff").read_bytes()
    old = (repo / "series" / "debian-3.13.5" / "deb-locations.diff").read_bytes()
    assert new == old.replace(b"Description: Debian: Adjust locations of directories to debian "
                              b"policy\n", b"Description: Debian: Adjust the locations of "
                              b"directories\n")
    git(upstream, "branch", "-D", "reword")


def test_the_queue_as_format_patch_files_round_trips(debian, tmp_path):
    _, upstream, repo, _ = debian
    work = tmp_path / "work"
    shutil.copytree(repo, work)
    out = tmp_path / "fp"
    git(upstream, "format-patch", "-q", "--binary", "-o", str(out),
        "v3.13.5..patchq/debian-3.13.5")
    up = ("-C", str(work), "--upstream-dir", str(upstream))
    res = patchq(*up, "import", str(out), "--track", "fp", "--base", "v3.13.5")
    assert res.code == 0 and "all 62 apply" in res.out, res.text
    assert patchq(*up, "checkout", "fp").code == 0
    assert git(upstream, "rev-parse", "patchq/fp^{tree}") == \
        git(upstream, "rev-parse", "patchq/debian-3.13.5^{tree}")
    before = tree_snapshot(work)
    assert "nothing to write" in patchq(*up, "export", "fp").out
    assert tree_snapshot(work) == before
    git(upstream, "checkout", "-q", "patchq/debian-3.13.5")
    git(upstream, "branch", "-D", "patchq/fp")


def test_the_projects_own_sample_series_apply_and_lint_clean(clone, tmp_path):
    _, upstream = clone
    if not (ROOT / "upstream_map.toml").is_file():
        pytest.skip("no sample series at the top of the repository")
    work = tmp_path / "sample"
    work.mkdir()
    shutil.copy(ROOT / "upstream_map.toml", work)
    shutil.copytree(ROOT / "series", work / "series")
    res = patchq("-C", str(work), "--upstream-dir", str(upstream), "lint", "--check-export")
    assert (res.code, res.out.strip()) == (0, "no problems found"), res.text
    for track in ("3.11", "3.13"):
        res = patchq("-C", str(work), "--upstream-dir", str(upstream), "checkout", track,
                     "--branch", f"sample/{track}")
        assert res.code == 0, res.text
        assert "applied with 3-way merge" not in res.out
        before = tree_snapshot(work)
        assert "nothing to write" in patchq("-C", str(work), "--upstream-dir", str(upstream),
                                            "export", track, "--branch", f"sample/{track}").out
        assert tree_snapshot(work) == before
