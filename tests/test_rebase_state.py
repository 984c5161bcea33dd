"""The typed state of a rebase in progress and its file, ``operation.json``.

tests/data/operation_v1/ holds files that patchq wrote before the state was typed (the
synthetic series of rebase_data.FEW_KINDS, as test_rebase_crash builds it): stopped at a
conflict, killed after a resolution, a ``--skip`` or a ``--drop`` was saved, killed while
running and once every outcome was saved. They must load, say the same thing typed, and be
written back to the very same JSON; the file a rebase writes now must have their shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git
from test_rebase import resolve_keeping_both
from test_rebase_crash import fixed_clock, synth_template  # noqa: F401 (fixtures)

from patchq.commands.rebase_state import Phase, RebaseState, Skipping
from patchq.model import Outcome

OLD = Path(__file__).parent / "data" / "operation_v1"
FILES = sorted(p.name for p in OLD.glob("*.json"))


def old(name: str) -> dict:
    return json.loads((OLD / name).read_text())


def test_there_are_old_files():
    assert FILES == ["drop.json", "finishing.json", "resolution.json", "running.json",
                     "skip.json", "stopped.json"]


@pytest.mark.parametrize("name", FILES)
def test_an_old_file_loads_and_is_written_back_the_same(name):
    data = old(name)
    state = RebaseState.from_json(data)
    assert state.to_json() == data
    assert state.phase is Phase(data["phase"])
    assert len(state.patches) == len(data["patches"]) == 4
    assert [r.outcome.value for r in state.results] == [r["outcome"] for r in data["results"]]


def test_what_the_old_files_say_typed():
    stopped = RebaseState.from_json(old("stopped.json"))
    assert stopped.phase is Phase.STOPPED and stopped.stop is not None
    assert stopped.stop.materialized and stopped.stop.skipping is None
    assert stopped.stop.resolution is None
    assert stopped.stop.stop().slug == stopped.patches[stopped.stop.index].slug
    assert stopped.orig.tip == stopped.branch_values[0]
    resolution = RebaseState.from_json(old("resolution.json")).stop
    assert resolution is not None and resolution.resolution is not None
    assert resolution.resolution.outcome is Outcome.MODIFIED
    assert resolution.resolution.new_commit
    drop = RebaseState.from_json(old("drop.json")).stop
    skip = RebaseState.from_json(old("skip.json")).stop
    assert drop is not None and drop.skipping is Skipping.DROP
    assert skip is not None and skip.skipping is Skipping.ASIDE
    finishing = RebaseState.from_json(old("finishing.json"))
    assert finishing.phase is Phase.FINISHING and finishing.stop is None
    assert finishing.next == len(finishing.patches) == len(finishing.results)
    assert finishing.tip in finishing.branch_values
    assert Outcome.CONFLICT in {r.outcome for r in finishing.results}  # --on-conflict skip
    running = RebaseState.from_json(old("running.json"))
    assert running.phase is Phase.RUNNING and not running.results
    assert running.tip == running.to.commit


def test_a_file_without_the_keys_added_later_loads():
    data = old("stopped.json")
    for key in ("aside", "order", "started_at"):
        del data[key]
    for key in ("pick", "materialized"):
        del data["stop"][key]
    state = RebaseState.from_json(data)
    assert state.aside == () and state.order == () and state.stop is not None
    assert state.stop.pick == "" and not state.stop.materialized


# -- the file a rebase writes now -------------------------------------------------------------


def run(repos, *args: str, crash: str = "") -> int:
    env = dict(os.environ, PATCHQ_PLAIN="1")
    if crash:
        env["PATCHQ_TEST_CRASH_AT"] = crash
    return subprocess.run([sys.executable, "-m", "patchq", "-C", str(repos.patches), *args],
                          env=env, capture_output=True, check=False).returncode


def written(repos) -> dict:
    return json.loads((repos.upstream / ".git" / "patchq" / "operation.json").read_text())


def shape(value):
    """Keys and kinds of values, not the values (commit ids depend on git's writing)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


def _stop(repos) -> None:
    assert run(repos, "rebase", "main", "--onto", "v1.1") == 1


def _resolve(repos) -> None:
    _stop(repos)
    slug = written(repos)["stop"]["slug"]
    resolve_keeping_both(repos.upstream / f"src/p{int(slug.split('-')[2]):05d}.c")
    git(repos.upstream, "add", "-A")


SKIP_MODE = ("rebase", "main", "--onto", "v1.1", "--on-conflict", "skip")
STEPS = [  # old file, what to do first, the command killed, the step it is killed at
    ("stopped.json", None, (), ""),
    ("resolution.json", _resolve, ("rebase", "--continue"), "resolution saved"),
    ("drop.json", _stop, ("rebase", "--drop"), "skip saved"),
    ("skip.json", _stop, ("rebase", "--skip"), "skip saved"),
    ("finishing.json", None, SKIP_MODE, "outcomes saved"),
    ("running.json", None, SKIP_MODE, "state saved"),
]


@pytest.mark.parametrize("name, before, args, step", STEPS, ids=[s[0] for s in STEPS])
def test_a_rebase_writes_the_old_shape(synth_template, tmp_path, name, before, args, step):
    repos = synth_template.copy(tmp_path / "r")
    if not args:
        _stop(repos)
    else:
        if before:
            before(repos)
        assert run(repos, *args, crash=step) == -9
    now = written(repos)
    assert shape(now) == shape(old(name))
    assert RebaseState.from_json(now).to_json() == now
    # and the rebase goes on from it to the end
    assert run(repos, "rebase", "--skip" if now["phase"] == "stopped" and "resolution" not in
               now["stop"] else "--continue") in (0, 1)
    while (repos.upstream / ".git" / "patchq" / "operation.json").exists():
        assert run(repos, "rebase", "--skip") in (0, 1)
    assert not (repos.upstream / ".git" / "patchq" / "rebase-backup").exists()


def test_a_stop_written_without_the_later_keys_goes_on(synth_template, tmp_path):
    """A stop saved by an older patchq (no ``pick``, no ``materialized``): --status and
    --continue read it; --continue checks the conflict out."""
    repos = synth_template.copy(tmp_path / "r")
    _stop(repos)
    git(repos.upstream, "reset", "-q", "--hard")
    data = written(repos)
    del data["stop"]["pick"], data["stop"]["materialized"], data["aside"], data["order"]
    (repos.upstream / ".git" / "patchq" / "operation.json").write_text(json.dumps(data))
    assert run(repos, "rebase", "--status") == 0
    assert run(repos, "rebase", "--continue") == 1  # the conflict, checked out again
    assert written(repos)["stop"]["materialized"] is True
    assert git(repos.upstream, "diff", "--name-only", "--diff-filter=U").strip()
