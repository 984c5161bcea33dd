"""Driving a rebase from its saved state: move patches (``patchq.rebasing.Engine``) until the
end or a stop, leave a stop's conflict in the work tree, and at the end write the series and
the map from the backed-up originals, then move the queue branch. Each step saves the state
it leads to before it touches anything (design.md §7), so a crash anywhere is finished by
``--continue`` and undone by ``--abort``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .. import rebase_history
from .. import store as pqstore
from ..crash import point as crash_point
from ..errors import GitError, StateError
from ..git import (
    Git,
    ObjectStore,
    Pending,
    cherry_pick_into_work_tree,
    range_diff,
    range_diff_text,
    reset,
    start_range_diff,
    unmerged_paths,
)
from ..model import Outcome
from ..queue import LoadedSeries, Progress, load_series
from ..queuecache import Manifest
from ..queueexport import apply_export, plan_export
from ..rebase_result import PatchResult
from ..rebasing import Engine, regenerated
from ..workspace import Workspace
from .rebase_backup import remove_backup, restore
from .rebase_record import (
    REFRESH,
    RebaseResult,
    all_unchanged,
    changed_range_diff,
    keep_set_aside,
    record_map,
    result_of,
    with_aside,
)
from .rebase_state import Phase, RebaseState, StopState, save


def records(ws: Workspace) -> dict:
    return {slug: dict(ws.map.patch(slug)) for slug in ws.map.slugs()}


def tip_of(results, base: str) -> str:
    return next((r.new_commit for r in reversed(results) if r.new_commit), base)


def engine(ws: Workspace, git: Git, store: ObjectStore, state: RebaseState,
           progress: Progress | None) -> Engine:
    return Engine(git, store, state.from_.commit, state.to.commit, state.to.ref,
                  state.patches, on_conflict=state.on_conflict, records=records(ws),
                  old_ref=state.from_.ref, progress=progress)


# -- the queue branch and HEAD ---------------------------------------------------------------------


def move_branch(git: Git, state: RebaseState, target: str, switch: bool) -> RebaseState:
    """Point the queue branch at ``target`` (compare-and-swap: it must hold a value this rebase
    gave it); ``switch`` also checks it out. The intent is saved first."""
    branch = state.branch
    current = git.branch_tip(branch)
    if current != target and current not in state.branch_values:
        raise StateError(f"branch {branch} moved while the rebase was in progress "
                         f"(now {current[:12] if current else 'deleted'})",
                         "put it back, or `patchq rebase --abort`")
    if target not in state.branch_values:
        state = save(git, state.with_branch_value(target))
    if git.current_branch() == branch:
        if current != target:
            reset(git, "keep", target)
        return state
    if current != target:
        git.update_ref(f"refs/heads/{branch}", target, current, f"patchq rebase {state.track}")
    if switch:
        git.switch(branch)
    return state


def materialize(git: Git, state: RebaseState) -> RebaseState:
    """Leave the conflict in the work tree: the queue branch at the last good commit, checked
    out, and the patch cherry-picked onto it without committing (markers and stages)."""
    stop = state.stop
    assert stop is not None
    if git.current_branch() == state.branch and (unmerged_paths(git) or git.is_dirty()):
        reset(git, "merge", "HEAD")  # a half-made stop of a killed run: ours to redo
    crash_point("before branch move")
    state = move_branch(git, state, stop.parent, switch=True)
    crash_point("branch moved")
    files = cherry_pick_into_work_tree(git, stop.pick or state.patches[stop.index].commit)
    crash_point("conflict checked out")
    stop = replace(stop, files=tuple(files) or stop.files, materialized=True)
    return save(git, replace(state, stop=stop))


# -- driving -------------------------------------------------------------------------------------


def drive(ws: Workspace, git: Git, store: ObjectStore, state: RebaseState,
          progress: Progress | None, loaded: LoadedSeries | None = None) -> RebaseResult:
    if state.phase is Phase.RUNNING:
        moving = engine(ws, git, store, state, progress)
        results = list(state.results)
        stop = moving.run(state.next, state.tip, results)
        if stop is not None:
            moving.finish(results)  # evidence of the patches dropped so far, for the summary
            state = save(git, replace(state, phase=Phase.STOPPED, results=tuple(results),
                                      next=stop.index, tip=stop.parent,
                                      stop=StopState.of(stop)))
            crash_point("stop saved")
            return result_of(materialize(git, state), "stopped")
        moving.finish(results)
        tip = tip_of(results, state.to.commit)
        state = state.with_branch_value(tip)  # where the branch goes at the end
        state = save(git, replace(state, phase=Phase.FINISHING, results=tuple(results),
                                  next=len(state.patches), tip=tip, stop=None))
        crash_point("outcomes saved")
    if state.phase is Phase.STOPPED:
        if state.stop is None or not state.stop.materialized:
            state = materialize(git, state)
        return result_of(state, "stopped")
    return finish(ws, git, state, loaded)


def finish(ws: Workspace, git: Git, state: RebaseState,
           loaded: LoadedSeries | None = None) -> RebaseResult:
    """Write the series and the map from the backed-up originals, move the branch, done.
    ``loaded``: the series as read at the start, if this process read it."""
    track = state.track
    crash_point("finishing")
    try:
        restored = restore(ws, git)
        if restored or getattr(ws.map, "readonly", False):
            ws.reload_map(editable=True)  # people's comments and order stay
    except OSError as exc:
        raise _disk_error(exc) from None
    crash_point("originals restored")
    if restored or loaded is None:
        loaded = load_series(ws.series_dir(track), track)
    results: list[PatchResult] = with_aside(state, state.results)
    tip, to_commit = state.tip, state.to.commit
    # the range-diff reads commits only: git computes it on the other core while the series
    # is written (a failure on the way stops it)
    pending: Pending | None = None
    if not all_unchanged(results):
        try:
            pending = start_range_diff(git, state.from_.commit, state.old_tip(), to_commit, tip)
        except GitError:
            pending = None
    try:
        written = _write_series(ws, git, state, loaded, results, tip)
        crash_point("series written")
        move_branch(git, state, tip, switch=False)
        crash_point("branch moved to the new tip")
    except BaseException:
        if pending is not None:
            pending.cancel()
        raise
    try:
        if all_unchanged(results):
            diff = ""
        elif pending is not None:
            diff = range_diff_text(pending)
        else:
            diff = range_diff(git, state.from_.commit, state.old_tip(), to_commit, tip)
    except GitError as exc:
        diff = f"(range-diff failed: {exc})"
    rebase_history.keep(ws, git, state.to_json(), results, loaded, changed_range_diff(diff))
    pqstore.clear(git)
    remove_backup(git)
    return result_of(state, "done", results, range_diff=changed_range_diff(diff),
                     written=tuple(written))


def _write_series(ws: Workspace, git: Git, state: RebaseState, loaded: LoadedSeries,
                  results: list[PatchResult], tip: str) -> list[Path]:
    """The manifest, the map and the series files of the new queue (``results`` updated for
    the patches the export had to regenerate); returns the paths written."""
    digests = {p.slug: p.digest for p in loaded.patches}
    manifest = Manifest(git, state.track)
    for result in results:
        if result.outcome is Outcome.UNCHANGED and result.new_commit:
            manifest.record(result.new_commit, digests[result.slug])
    try:
        manifest.save()
        refresh = [r.slug for r in results if r.outcome in REFRESH]
        plan = plan_export(git, ws.map, loaded, state.to.commit, tip, refresh)
        for i, result in enumerate(results):  # a file export had to rewrite after all moved
            if result.slug in plan.changed:
                results[i] = regenerated(result)
        keep_set_aside(plan, loaded, results)
        record_map(ws, state, results)
        plan.files.write(ws.map_path, ws.map.text().encode("utf-8"))
        return apply_export(git, plan, state.branch, tip)
    except OSError as exc:
        raise _disk_error(exc) from None


def _disk_error(exc: OSError) -> StateError:
    return StateError(f"cannot write the series: {exc.strerror or exc}",
                      "free some space, then `patchq rebase --continue` (or `--abort`)")
