"""Going on with a rebase in progress, or undoing it: ``--continue`` (a person's resolution,
or after a crash), ``--skip`` / ``--drop`` (the stopped patch set aside, or dropped),
``--abort`` (everything put back byte for byte) and ``--status``."""

from __future__ import annotations

from dataclasses import replace

from .. import store as pqstore
from ..crash import point as crash_point
from ..decide import Person
from ..errors import GitError, StateError
from ..git import (
    Git,
    ObjectStore,
    detach_or_switch,
    index_tree,
    reset,
    unmerged_paths,
    unstaged_paths,
)
from ..queue import Progress
from ..rebasing import rewrite_commit
from ..workspace import Workspace
from .rebase_backup import remove_backup, restore
from .rebase_drive import drive, engine
from .rebase_record import AbortResult, RebaseResult, result_of
from .rebase_state import Phase, RebaseState, Skipping, current, load, reload, save


def continue_rebase(ws: Workspace, progress: Progress | None = None) -> RebaseResult:
    """Record the person's resolution of the stopped patch (``modified``) and go on; after a
    crash or Ctrl-C, go on from the last saved step."""
    ws.read_only()
    git, state = load(ws)
    with pqstore.locked(git):
        state = reload(git, state)
        store = git.objects
        try:
            stop = state.stop
            if state.phase is Phase.STOPPED and stop and stop.skipping:
                state = _set_aside(ws, git, store, state)
            elif state.phase is Phase.STOPPED and stop and stop.materialized:
                state = _take_resolution(ws, git, store, state)
            return drive(ws, git, store, state, progress)
        finally:
            store.close()


def _resolved_tree(git: Git, state: RebaseState) -> str:
    """The tree of the person's resolution of the stopped patch (staged, or committed by
    hand on top of it); refused with one line while it is not one."""
    stop = state.stop
    assert stop is not None
    branch, parent = state.branch, stop.parent
    if git.current_branch() != branch:
        raise StateError(f"HEAD is not on {branch}, where the conflict of {stop.slug} "
                         "is", f"`git checkout {branch}`, resolve, `git add`, then "
                         "`patchq rebase --continue`")
    conflicted = unmerged_paths(git)
    if conflicted:
        raise StateError(f"unresolved conflicts remain in {_listed(conflicted)}",
                         "edit them, `git add` them, then `patchq rebase --continue` "
                         "(or `--skip`, `--abort`)")
    head = git.head()
    if head != parent:  # the person committed the resolution themselves
        if head is None or git.rev_parse(head + "^") != parent:
            raise StateError(f"{branch} moved beyond the stopped patch "
                             f"({head and head[:12]})", "leave one commit (or none) on "
                             "top of it, or `patchq rebase --abort`")
        if git.is_dirty():
            raise StateError("the work tree has changes beside the committed resolution",
                             "commit or drop them first")
        return git.tree_of(head)
    unstaged = unstaged_paths(git)
    if unstaged:
        raise StateError(f"changes not staged in {_listed(unstaged)}",
                         "`git add` what belongs to the resolution, then "
                         "`patchq rebase --continue`")
    return index_tree(git)


def _listed(paths: list[str]) -> str:
    return ", ".join(paths[:5]) + (" ..." if len(paths) > 5 else "")


def _take_resolution(ws: Workspace, git: Git, store: ObjectStore, state: RebaseState
                     ) -> RebaseState:
    """The stopped patch as the person resolved it (staged, or committed by hand). Saved
    before HEAD moves, so a crash in between is finished by the next --continue."""
    stop = state.stop
    assert stop is not None
    branch, parent = state.branch, stop.parent
    if stop.resolution is None:
        tree = _resolved_tree(git, state)
        old = state.patches[stop.index].commit
        moving = engine(ws, git, store, state, None)
        if tree == git.tree_of(parent):
            result = moving.person_result(stop.stop(), Person.RESOLVED_EMPTY, None,
                                          "a person resolved the conflict to no change")
        else:
            result = moving.person_result(stop.stop(), Person.RESOLVED,
                                          rewrite_commit(store, old, tree, parent),
                                          "resolved by a person: " + ", ".join(stop.files[:5]))
        stop = replace(stop, resolution=result)
        state = replace(state, stop=stop)
        if result.new_commit:
            state = replace(state, branch_values=state.branch_values + (result.new_commit,))
        state = save(git, state)
        crash_point("resolution saved")
    resolution = stop.resolution
    assert resolution is not None
    new_tip = resolution.new_commit or parent
    if git.current_branch() == branch and git.head() != new_tip:
        reset(git, "soft", new_tip)
    crash_point("resolution committed")
    return save(git, replace(state, phase=Phase.RUNNING, results=state.results + (resolution,),
                             next=stop.index + 1, tip=new_tip, stop=None))


def skip(ws: Workspace, progress: Progress | None = None, drop: bool = False) -> RebaseResult:
    """Set the stopped patch aside (kept in the series unchanged, marked as needing a
    person) and go on; with ``drop``, take it out of the series instead (``dropped``)."""
    ws.read_only()
    git, state = load(ws)
    with pqstore.locked(git):
        state = reload(git, state)
        stop = state.stop
        if state.phase is not Phase.STOPPED or not stop:
            raise StateError("the rebase is not stopped at a conflict, nothing to skip",
                             "`patchq rebase --continue` or `--abort`")
        if stop.resolution is not None:
            raise StateError("the resolution of the stopped patch is already recorded",
                             "`patchq rebase --continue`")
        if stop.materialized and git.current_branch() == state.branch and \
                git.head() != stop.parent:
            raise StateError(f"{state.branch} moved beyond the stopped patch",
                             "`patchq rebase --continue` to keep the commit, or `--abort`")
        stop = replace(stop, skipping=Skipping.DROP if drop else Skipping.ASIDE)
        state = save(git, replace(state, stop=stop))
        crash_point("skip saved")
        store = git.objects
        try:
            state = _set_aside(ws, git, store, state)
            return drive(ws, git, store, state, progress)
        finally:
            store.close()


def _set_aside(ws: Workspace, git: Git, store: ObjectStore, state: RebaseState
               ) -> RebaseState:
    stop = state.stop
    assert stop is not None
    if git.current_branch() == state.branch and (unmerged_paths(git) or git.is_dirty()):
        _drop_conflict(git)
    crash_point("conflict dropped")
    moving = engine(ws, git, store, state, None)
    if stop.skipping is Skipping.DROP:
        result = moving.person_result(stop.stop(), Person.DROPPED, None,
                                      "a person dropped it (`patchq rebase --drop`)")
    else:
        aside = moving.conflict_result(stop.stop())
        result = replace(aside, detail="set aside by --skip" + (
            f": {aside.detail}" if aside.detail else ""))
    return save(git, replace(state, phase=Phase.RUNNING, results=state.results + (result,),
                             next=stop.index + 1, tip=stop.parent, stop=None))


def abort(ws: Workspace) -> AbortResult:
    """Put the queue branch, HEAD, the series files, the map and the manifest back exactly as
    they were before the rebase. Works from any point, also after a crash."""
    git, state = load(ws)
    with pqstore.locked(git):
        state = reload(git, state)
        branch = state.branch
        # a git child killed with patchq leaves index.lock; one no process holds is removed
        git.clear_stale_index_lock()
        try:
            if git.current_branch() == branch and (unmerged_paths(git) or git.is_dirty()):
                _drop_conflict(git)
            crash_point("abort: conflict dropped")
            _restore_branch(git, state)
            crash_point("abort: branch restored")
            restored = restore(ws, git)
        except OSError as exc:
            raise StateError(f"cannot restore the series: {exc.strerror or exc}",
                             "free some space, then `patchq rebase --abort` again") from None
        crash_point("abort: files restored")
        pqstore.clear(git)
        remove_backup(git)
    return AbortResult(state.track, branch, git.current_branch() or (git.head() or ""),
                       tuple(restored))


def _restore_branch(git: Git, state: RebaseState) -> None:
    """The queue branch and HEAD as they were before the rebase."""
    branch, orig = state.branch, state.orig
    current = git.branch_tip(branch)
    head_branch = git.current_branch()
    if orig.head_branch == branch:
        if orig.tip and head_branch == branch:
            if current != orig.tip:
                reset(git, "keep", orig.tip)
        elif orig.tip:
            if current != orig.tip:
                git.update_ref(f"refs/heads/{branch}", orig.tip, current,
                               "patchq rebase --abort")
            git.switch(branch)
        return
    moved = head_branch != orig.head_branch or (
        orig.head_branch is None and git.head() != orig.head_commit)
    if moved and orig.head_commit is not None:
        detach_or_switch(git, orig.head_branch, orig.head_commit)
    current = git.branch_tip(branch)
    if orig.tip is None and current is not None:
        git.delete_ref(f"refs/heads/{branch}", current)
    elif orig.tip is not None and current != orig.tip:
        git.update_ref(f"refs/heads/{branch}", orig.tip, current, "patchq rebase --abort")


def _drop_conflict(git: Git) -> None:
    """Throw away the stopped patch's merge and any resolution of it, like ``git rebase
    --abort`` (``--merge`` first: it keeps changes to other files when it can)."""
    try:
        reset(git, "merge", "HEAD")
    except GitError:
        reset(git, "hard", "HEAD")


def status(ws: Workspace) -> RebaseResult | None:
    """The rebase in progress (None when there is none)."""
    pqstore.select_busy(ws)
    git = ws.git
    state = current(git)
    if state is None:
        return None
    phase = "stopped" if state.phase is Phase.STOPPED else "interrupted"
    result = result_of(state, phase)
    if result.stopped is not None and state.stop is not None:
        # killed after the stop was saved, before its conflict reached the work tree:
        # nothing is resolved yet (--continue checks the conflict out)
        checked_out = state.stop.materialized
        unresolved = unmerged_paths(git) if checked_out and \
            git.current_branch() == state.branch else []
        result = replace(result, checked_out=checked_out, unresolved=tuple(unresolved))
    return result
