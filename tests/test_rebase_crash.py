"""Crash safety of `patchq rebase`: kill -9 at every step, then --abort and --continue.

patchq's crash hook (PATCHQ_TEST_CRASH_AT=N) makes the process SIGKILL itself at the Nth step
it passes. For every N the test runs a real patchq process that dies there, then checks on
two copies of what it left: ``--abort`` puts the queue branch, HEAD, the series files, the map
and the manifest back byte for byte, and ``--continue`` ends exactly where a run without a
crash ends.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from helpers import git
from rebase_data import FEW_KINDS, NOW, build_demo, build_synth
from test_rebase import resolve_keeping_both


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash-demo")
    return build_demo(root / "demo", root / "home")


@pytest.fixture(scope="module")
def synth_template(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash-synth")
    return build_synth(root / "synth", root / "home", **FEW_KINDS)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("PATCHQ_NOW", NOW)


def crashing(repos, args, at: int, log=None) -> int:
    """Run patchq in a real process that kills itself at step ``at``; its exit status."""
    env = dict(os.environ, PATCHQ_TEST_CRASH_AT=str(at), PATCHQ_PLAIN="1")
    if log:
        env["PATCHQ_TEST_CRASH_LOG"] = str(log)
    res = subprocess.run([sys.executable, "-m", "patchq", "-C", str(repos.patches), *args],
                         env=env, capture_output=True, check=False)
    return res.returncode


def count_steps(repos, args, tmp_path) -> int:
    trial = repos.copy(tmp_path / "count")
    log = tmp_path / "steps.log"
    log.unlink(missing_ok=True)
    crashing(trial, args, 10_000, log)
    steps = log.read_text().splitlines()
    assert steps, "no crash point passed"
    shutil.rmtree(trial.root)
    return len(steps)


def check_every_step(start, args, tmp_path, original, after_continue, expect_code=0):
    """Kill ``patchq ARGS`` (run on a copy of ``start``) at every step; from each crash,
    --abort must give ``original`` and --continue must give ``after_continue``."""
    steps = count_steps(start, args, tmp_path)
    for at in range(1, steps + 1):
        crashed = start.copy(tmp_path / f"crash-{at}")
        assert crashing(crashed, args, at) == -9, f"step {at} did not crash"
        other = crashed.copy(tmp_path / f"crash-{at}-b")

        res = crashed.run("rebase", "--abort")
        assert res.code in (0, 1), res.text
        if res.code == 1:
            assert "no rebase is in progress" in res.err
        assert crashed.snapshot() == original, f"--abort after a crash at step {at}"

        res = other.run("rebase", "--continue")
        if res.code == 1 and "no rebase is in progress" in res.err:
            res = other.run(*args)  # killed before the rebase began: just run it again
        assert res.code == expect_code, (at, res.text)
        assert other.snapshot() == after_continue, f"--continue after a crash at step {at}"
        shutil.rmtree(crashed.root)
        shutil.rmtree(other.root)
    return steps


def test_kill_at_every_step_of_a_clean_rebase(demo_template, tmp_path):
    start = demo_template.copy(tmp_path / "start")
    original = start.snapshot()
    reference = start.copy(tmp_path / "reference")
    args = ("rebase", "3.11", "--onto", "v3.11.3")
    assert reference.run(*args).code == 0
    steps = check_every_step(start, args, tmp_path, original, reference.snapshot())
    assert steps >= 10


def test_kill_while_aborting(demo_template, tmp_path):
    """A crash during --abort itself: --abort again finishes the job."""
    start = demo_template.copy(tmp_path / "start")
    original = start.snapshot()
    args = ("rebase", "3.11", "--onto", "v3.11.3")
    steps = count_steps(start, args, tmp_path)
    crashed = start.copy(tmp_path / "crashed")
    assert crashing(crashed, args, steps - 1) == -9  # the series is written by then
    assert crashed.snapshot() != original
    aborting = count_steps(crashed, ("rebase", "--abort"), tmp_path)
    for at in range(1, aborting + 1):
        again = crashed.copy(tmp_path / f"abort-{at}")
        assert crashing(again, ("rebase", "--abort"), at) == -9
        assert again.run("rebase", "--abort").code == 0
        assert again.snapshot() == original, f"abort killed at step {at}"
        shutil.rmtree(again.root)


def test_kill_at_every_step_of_a_rebase_with_conflicts(synth_template, tmp_path):
    start = synth_template.copy(tmp_path / "start")
    original = start.snapshot()
    first = next(s for s, o in start.expected.items() if o == "conflict")
    conflicted = f"src/p{int(first.split('-')[2]):05d}.c"

    # 1. the run that stops at the first conflict
    stopped = start.copy(tmp_path / "stopped")
    args = ("rebase", "main", "--onto", "v1.1")
    assert stopped.run(*args).code == 1
    check_every_step(start, args, tmp_path / "one", original, stopped.snapshot(),
                     expect_code=1)

    # 2. --continue after resolving: stops at the second conflict
    resolve_keeping_both(stopped.upstream / conflicted)
    git(stopped.upstream, "add", "-A")
    second_stop = stopped.copy(tmp_path / "second")
    assert second_stop.run("rebase", "--continue").code == 1
    check_every_step(stopped, ("rebase", "--continue"), tmp_path / "two", original,
                     second_stop.snapshot(), expect_code=1)

    # 3. --skip the second: the rebase ends
    done = second_stop.copy(tmp_path / "done")
    assert done.run("rebase", "--skip").code == 0
    check_every_step(second_stop, ("rebase", "--skip"), tmp_path / "three", original,
                     done.snapshot())


def test_status_after_a_crash(demo_template, tmp_path):
    repos = demo_template.copy(tmp_path / "repos")
    assert crashing(repos, ("rebase", "3.11", "--onto", "v3.11.3"), 4) == -9
    res = repos.run("rebase", "--status")
    assert res.code == 0
    assert "interrupted" in res.out and "--continue" in res.out
    refused = repos.run("rebase", "3.11")
    assert refused.code == 1 and "in progress" in refused.err
    assert repos.run("rebase", "--continue").code == 0
    assert repos.run("rebase", "--status").out.strip() == "no rebase in progress"
