"""The typed operation states of the stack verbs (:mod:`patchq.stack_state`) and their file.

tests/data/stack_state_v1/ holds what patchq wrote to ``operation.json`` before these states
were typed (the sample of stack_data): a push stopped at the conflict of p-two, the same push
journaled but not yet applied to the work tree (``applying``), an edit of p-one (clash popped
above it), and an edit of p-two whose push stopped at its conflict (the edit nested as
``resume``). They must load, be written back to the very same JSON, and ``push`` / ``pop`` /
``edit`` must go on from them; what the stack verbs write now must be the same files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import git
from stack_data import run_ok, state_file, template, work  # noqa: F401 (fixtures)
from test_stack_nav import conflict_setup, lines, pq

from patchq import stack_state, stack_tx
from patchq.stack_state import EditState, Phase, StoppedPush

OLD = Path(__file__).parent / "data" / "stack_state_v1"
FILES = sorted(p.name for p in OLD.glob("*.json"))


def old(name: str) -> dict:
    return json.loads((OLD / name).read_text())


def saved(upstream: Path) -> dict:
    return json.loads(state_file(upstream).read_text())


def here(upstream: Path, name: str) -> str:
    """The old file, with the tip it names (the branch then: the sample's commits made by a
    command carry the time they were made) replaced by the branch's tip here."""
    text = (OLD / name).read_text()
    tip = json.loads(text).get("tip")
    return text.replace(tip, git(upstream, "rev-parse", "patchq/3.11")) if tip else text


def hand_write(upstream: Path, name: str) -> None:
    state_file(upstream).write_text(here(upstream, name))


def old_here(upstream: Path, name: str) -> dict:
    return json.loads(here(upstream, name))


def test_there_are_old_files():
    assert FILES == ["edit.json", "edit_push_stopped.json", "push_applying.json",
                     "push_stopped.json"]


@pytest.mark.parametrize("name", FILES)
def test_an_old_file_loads_and_is_written_back_the_same(name):
    data = old(name)
    state = stack_state.typed(data)
    assert state is not None and state.to_json() == data
    journal = stack_tx._journal(stack_tx.Change("push", "3.11", "b", "t", "t", then=state))
    assert journal["then"] == data
    assert json.loads(json.dumps(journal))["then"] == data


def test_what_the_old_files_say_typed():
    stopped = stack_state.typed(old("push_stopped.json"))
    assert isinstance(stopped, StoppedPush)
    assert stopped.phase is Phase.STOPPED and stopped.kind == "conflict"
    assert (stopped.slug, stopped.target, stopped.files) == ("p-two", "p-two", ("b.txt",))
    assert stopped.resume is None and stopped.rejects() == () and stopped.leftovers() == []
    applying = stack_state.typed(old("push_applying.json"))
    assert isinstance(applying, StoppedPush) and applying.phase is Phase.APPLYING
    assert applying.kind is None and applying.stopped("conflict", ["b.txt"]) == stopped
    edit = stack_state.typed(old("edit.json"))
    assert edit == EditState.of("3.11", "p-one", "clash")
    nested = stack_state.typed(old("edit_push_stopped.json"))
    assert isinstance(nested, StoppedPush) and nested.resume == EditState.of("3.11", "p-two",
                                                                              None)


def test_other_states_are_not_stack_states():
    assert stack_state.typed(None) is None
    assert stack_state.typed({"verb": "rebase", "phase": "stopped"}) is None
    assert stack_state.typed({"verb": "push", "phase": "commit", "change": {}}) is None


def test_a_broken_stack_state_is_refused_with_one_line(work):
    upstream, repo = work
    state_file(upstream).parent.mkdir(parents=True, exist_ok=True)
    state_file(upstream).write_text(json.dumps({"verb": "push", "phase": "stopped"}))
    res = pq(repo, "push")
    assert res.code == 1 and "is not one patchq wrote" in res.err
    assert "Traceback" not in res.err


def test_a_stopped_push_writes_the_old_file_and_pop_backs_the_old_file_out(work):
    upstream, repo = work
    conflict_setup(upstream, repo)
    assert pq(repo, "push").code == 1
    assert saved(upstream) == old_here(upstream, "push_stopped.json")
    hand_write(upstream, "push_stopped.json")
    res = run_ok(repo, "pop")
    assert "Removing patch p-two (the stopped push)" in res.out
    assert not state_file(upstream).exists()
    assert git(upstream, "status", "--porcelain", "--untracked-files=no") == ""


def test_push_finishes_the_old_file(work):
    upstream, repo = work
    conflict_setup(upstream, repo)
    assert pq(repo, "push").code == 1
    hand_write(upstream, "push_stopped.json")
    resolved = git(upstream, "show", "v1:b.txt").replace("b.txt line 10\n",
                                                         "b.txt line 10 (two)\n")
    (upstream / "b.txt").write_text(resolved + "\n")
    git(upstream, "add", "b.txt")
    res = run_ok(repo, "push")
    assert "Applied patch p-two as resolved in the work tree" in res.out
    assert lines(res)[-1] == "Now at patch p-two"  # the old file's target
    assert not state_file(upstream).exists()


def test_an_old_applying_file_is_applied_for_a_person_again(work):
    upstream, repo = work
    conflict_setup(upstream, repo)
    assert pq(repo, "push").code == 1
    git(upstream, "reset", "-q", "--hard")  # as if killed before the work tree was touched
    hand_write(upstream, "push_applying.json")
    res = pq(repo, "push")
    assert res.code == 1 and "conflicts in b.txt" in res.err
    assert "<<<<<<<" in (upstream / "b.txt").read_text()
    assert saved(upstream) == old_here(upstream, "push_stopped.json")


def test_an_edit_writes_the_old_file_and_goes_on_from_it(work):
    upstream, repo = work
    conflict_setup(upstream, repo)
    run_ok(repo, "edit", "p-one")
    assert saved(upstream) == old_here(upstream, "edit.json")
    hand_write(upstream, "edit.json")
    res = pq(repo, "refresh")  # an edit lets refresh through, and stays
    assert res.code == 0, res.text
    assert saved(upstream) == old_here(upstream, "edit.json")
    res = run_ok(repo, "edit", "--abort")
    assert lines(res)[-1] == "Now at patch clash"
    assert not state_file(upstream).exists()


def test_a_push_stopped_in_an_edit_carries_the_old_edit_on(work):
    upstream, repo = work
    conflict_setup(upstream, repo)
    assert pq(repo, "edit", "p-two").code == 1
    assert saved(upstream) == old_here(upstream, "edit_push_stopped.json")
    hand_write(upstream, "edit_push_stopped.json")
    res = pq(repo, "new", "x")
    assert res.code == 1 and "in progress" in res.err and "patchq push" in res.err
    run_ok(repo, "pop")  # backs the push out: the edit it was part of is in progress again
    assert saved(upstream) == old_here(upstream, "edit_push_stopped.json")["resume"]
    run_ok(repo, "edit", "--abort")
    assert not state_file(upstream).exists()
    assert lines(run_ok(repo, "top")) == ["clash"]
