"""`patchq demo`: runs end to end from packaged data and leaves a sample to go on with by hand."""

from __future__ import annotations

import os
import subprocess
import sys

from helpers import git, patchq, tree_snapshot

SPINE_STEPS = ("init --upstream ../cpython", "import ", "list 3.11", "checkout 3.11",
               "export 3.11", "lint 3.11 --check-export")


def test_demo_runs_every_step_and_leaves_a_usable_sample(tmp_path):
    target = tmp_path / "sample"
    res = patchq("demo", str(target))
    assert res.code == 0, res.text
    shown = [line for line in res.out.splitlines() if line.startswith("== ")]
    for step in SPINE_STEPS:
        assert any(step in line for line in shown), step
    assert "no problems found" in res.out
    assert "nothing to write" in res.out
    assert f"The sample stays in {target}" in res.out

    upstream, repo = target / "cpython", target / "patches"
    branches = git(upstream, "branch", "--format=%(refname:short)").split()
    assert {"3.11", "3.12", "main", "patchq/3.11"} <= set(branches)
    assert {"v3.11.0", "v3.11.1", "v3.11.2"} <= set(git(upstream, "tag").split())
    assert (upstream / "Python" / "pylifecycle.c").is_file()
    assert (upstream / "Misc" / "NEWS.d").is_dir()
    # later demo steps (rebase...) may move the track: check the queue against the map
    from patchq.model import slug_of
    from patchq.upstream_map import UpstreamMap

    base = UpstreamMap.load(repo / "upstream_map.toml").track("3.11").base_commit
    trailers = git(upstream, "log", "--reverse",
                   "--format=%(trailers:key=Patchq-Slug,valueonly)", f"{base}..patchq/3.11")
    series = (repo / "series" / "3.11" / "series").read_text().split()
    assert len(series) >= 4 and all(name.endswith(".patch") for name in series)
    assert trailers.split() == [slug_of(name) for name in series]
    assert git(repo, "log", "--format=%s") != ""

    # go on by hand: the sample is a working patch repo
    before = tree_snapshot(repo)
    listed = patchq("-C", str(repo), "list", "3.11")
    assert listed.code == 0 and "Public-pymain_run_python" in listed.out
    assert patchq("-C", str(repo), "checkout", "3.11").code == 0
    assert patchq("-C", str(repo), "export", "3.11").code == 0
    assert tree_snapshot(repo) == before


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("mine\n")
    res = patchq("demo", str(tmp_path))
    assert res.code == 1
    assert res.err.strip() == f"patchq: error: {tmp_path} is not empty; give a new or empty " \
                              "directory"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_demo_in_an_empty_directory_that_exists(tmp_path):
    target = tmp_path / "empty"
    target.mkdir()
    assert patchq("demo", str(target)).code == 0
    assert (target / "patches" / "upstream_map.toml").is_file()


def test_demo_without_a_directory_makes_one_and_says_where(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    res = patchq("demo")
    assert res.code == 0, res.text
    made = [p for p in tmp_path.iterdir() if p.name.startswith("patchq-demo-")]
    assert len(made) == 1
    assert f"The sample stays in {made[0]}" in res.out


def test_demo_as_a_real_process(tmp_path):
    env = dict(os.environ, PATCHQ_PLAIN="1")
    res = subprocess.run([sys.executable, "-m", "patchq", "demo", str(tmp_path / "d")],
                         capture_output=True, text=True, env=env, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    assert "== 4. patchq checkout 3.11" in res.stdout
