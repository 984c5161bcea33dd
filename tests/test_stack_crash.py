"""A stack command killed (SIGKILL) or interrupted (Ctrl-C) at any step: the next command
finishes it, or refuses and says what to do. Real processes, stopped by the test hooks
PATCHQ_TEST_CRASH_AT / PATCHQ_TEST_INTERRUPT_AT."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import git, patchq
from stack_data import SLUGS, fresh, patch_file, run_ok, series_names, state_file, template, work  # noqa: F401 (fixtures)


def run_killed(repo, *args, crash: str = "", interrupt: str = ""):
    env = dict(os.environ)
    if crash:
        env["PATCHQ_TEST_CRASH_AT"] = crash
    if interrupt:
        env["PATCHQ_TEST_INTERRUPT_AT"] = interrupt
    return subprocess.run([sys.executable, "-m", "patchq", "-C", str(repo), *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def lines(res) -> list[str]:
    return res.out.splitlines()


def assert_consistent(upstream, repo, applied):
    assert lines(run_ok(repo, "applied")) == applied
    assert not state_file(upstream).exists()
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == ""
    assert "nothing to write" in run_ok(repo, "export", "3.11").out


@pytest.mark.parametrize("step", ["planned", "journaled", "branch-moved", "files-written",
                                  "recorded"])
def test_push_killed_at_each_step(work, step):
    upstream, repo = work
    run_ok(repo, "pop", "-a")
    res = run_killed(repo, "push", "-a", crash=step)
    assert res.returncode == -9, res.stderr
    after = patchq("-C", str(repo), "applied")
    if step == "planned":  # nothing was journaled yet: nothing happened
        assert after.code == 1 and "No patches applied" in after.err
        assert not state_file(upstream).exists()
        run_ok(repo, "push", "-a")
    else:
        assert after.code == 0, after.text
        assert "finished the interrupted patchq push of track 3.11 first" in after.err
    assert_consistent(upstream, repo, SLUGS)


def test_ctrl_c_then_a_stack_command_finishes_it(work):
    upstream, repo = work
    res = run_killed(repo, "pop", "-a", interrupt="branch-moved")
    assert res.returncode == 130 and "interrupted" in res.stderr
    state = json.loads(state_file(upstream).read_text())
    assert state["phase"] == "commit"
    res = patchq("-C", str(repo), "top")
    assert res.code == 2 and "finished the interrupted patchq pop" in res.err
    assert lines(run_ok(repo, "unapplied")) == SLUGS
    assert not state_file(upstream).exists()


def test_ctrl_c_then_any_writer_finishes_it_first(work):
    """checkout (not a stack command) also finishes the journaled pop before its own work."""
    upstream, repo = work
    res = run_killed(repo, "pop", "-a", interrupt="branch-moved")
    assert res.returncode == 130
    res = patchq("-C", str(repo), "checkout", "3.11")
    assert res.code == 0, res.text
    assert "finished the interrupted patchq pop of track 3.11 first" in res.err
    assert not state_file(upstream).exists()
    assert lines(run_ok(repo, "applied")) == SLUGS  # checkout then built the whole queue


def test_new_killed_between_files(work):
    upstream, repo = work
    res = run_killed(repo, "new", "fresh-one", "-m", "Fresh", crash="file-written")
    assert res.returncode == -9
    res = patchq("-C", str(repo), "top")
    assert res.code == 0 and lines(res) == ["fresh-one"]
    assert series_names(repo)[-1] == "0006-fresh-one.patch"
    assert "fresh-one" in (repo / "upstream_map.toml").read_text()
    assert_consistent(upstream, repo, SLUGS + ["fresh-one"])


def test_refresh_interrupted_after_the_ref_moved(work):
    upstream, repo = work
    path = upstream / "e.txt"
    path.write_text(path.read_text().replace("e.txt line 3\n", "e.txt line 3 (refresh)\n"))
    res = run_killed(repo, "refresh", interrupt="ref-moved")
    assert res.returncode == 130
    # the branch moved, the index did not follow yet: git sees a staged reversal
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") != ""
    res = patchq("-C", str(repo), "applied")
    assert res.code == 0 and "finished the interrupted patchq refresh" in res.err
    assert "+e.txt line 3 (refresh)" in patch_file(repo, "p-five").read_text()
    assert_consistent(upstream, repo, SLUGS)


def test_half_updated_work_tree_is_finished(work):
    upstream, repo = work
    run_ok(repo, "pop", "-a")
    res = run_killed(repo, "push", "-a", crash="journaled")
    assert res.returncode == -9
    new_tip = json.loads(state_file(upstream).read_text())["change"]["new_tip"]
    # as if git reset had written one file before the kill
    (upstream / "a.txt").write_text(git(upstream, "show", f"{new_tip}:a.txt") + "\n")
    res = patchq("-C", str(repo), "applied")
    assert res.code == 0 and "finished the interrupted patchq push" in res.err
    assert_consistent(upstream, repo, SLUGS)


def test_recovery_refuses_when_other_files_changed(work):
    upstream, repo = work
    run_ok(repo, "pop", "-a")
    assert run_killed(repo, "push", "-a", crash="journaled").returncode == -9
    new_tip = json.loads(state_file(upstream).read_text())["change"]["new_tip"]
    (upstream / "a.txt").write_text(git(upstream, "show", f"{new_tip}:a.txt") + "\n")
    (upstream / "README").write_text("edited after the crash\n")
    res = patchq("-C", str(repo), "push")
    assert res.code == 1 and "half updated" in res.err and "README" in res.err
    assert state_file(upstream).exists()  # still there for the next try
    git(upstream, "checkout", "--", "README")
    res = patchq("-C", str(repo), "applied")
    assert res.code == 0, res.text
    assert_consistent(upstream, repo, SLUGS)


def test_killed_while_stopping_at_a_conflict(work):
    upstream, repo = work
    run_ok(repo, "goto", "p-one")
    run_ok(repo, "new", "clash")
    path = upstream / "b.txt"
    path.write_text(path.read_text().replace("b.txt line 10\n", "b.txt line 10 (clash)\n"))
    run_ok(repo, "refresh")
    res = run_killed(repo, "push", "-a", crash="stopping")
    assert res.returncode == -9
    assert json.loads(state_file(upstream).read_text())["phase"] == "applying"
    res = patchq("-C", str(repo), "push")  # applies it again, and stops at the conflict
    assert res.code == 1 and "patch p-two does not apply cleanly" in res.err
    assert "<<<<<<<" in path.read_text()
    res = run_ok(repo, "pop")
    assert "Removing patch p-two (the stopped push)" in res.out
    assert_consistent(upstream, repo, ["p-one", "clash"])
