"""`patchq applied`, `unapplied`, `top`, `push`, `pop`, `goto`: moving along a track's stack.

Like quilt: push applies the next patches of the series file on the queue branch, pop takes
them off (their files stay in the series). A push that meets a patch which does not apply
stops there, with the conflict in the work tree; `patchq push` again (after resolving and
`git add`) finishes it, `patchq pop` backs it out. A patch a rebase set aside is pushed at its
place (the patches above it popped first), merged 3-way from the base its file was written
for (:mod:`patchq.aside`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .. import stack_state, stack_tx
from .. import store as pqstore
from ..errors import StateError
from ..git import (
    Git,
    apply_in_work_tree,
    force_tree,
    index_tree,
    unmerged_paths,
    unstaged_paths,
)
from ..seriesdir import SERIES, file_digest
from ..stack import (
    Progress,
    Pushed,
    PushResult,
    Stack,
    exported_tip,
    load,
    load_names,
    push_files,
    queue_commit,
    render_file,
    resolve_track,
    select,
    series_after_render,
    unexported,
)
from ..stack_state import EditState, StoppedPush, stopped_hint
from ..workspace import Workspace

ALL = "-a"  # push -a / pop -a



@dataclass
class Stop:
    """A push that stopped at a patch which does not apply."""

    slug: str
    kind: str  # conflict, rejects, clean (applied only in the work tree), elsewhere
    files: list[str]
    details: str
    branch: str
    clone: Path


@dataclass
class MoveResult:
    track: str
    pushed: list[Pushed] = field(default_factory=list)
    popped: list[str] = field(default_factory=list)  # top first
    top: str | None = None
    nothing: str = ""  # quilt's words when there was nothing to do
    nothing_code: int = 2
    stop: Stop | None = None
    resolved: str = ""  # the stopped patch a push finished
    resolved_empty: bool = False
    aborted: str = ""  # the stopped patch a pop backed out
    wrote: list[Path] = field(default_factory=list)
    recovered: str | None = None

    def merge(self, later: MoveResult) -> MoveResult:
        later.pushed = self.pushed + later.pushed
        later.popped = self.popped + later.popped
        later.resolved = later.resolved or self.resolved
        later.resolved_empty = later.resolved_empty or self.resolved_empty
        later.aborted = later.aborted or self.aborted
        later.wrote = self.wrote + later.wrote
        later.recovered = later.recovered or self.recovered
        if self.resolved or self.aborted:  # something was done: "nothing to do" is not true
            later.nothing = ""
        return later


# -- operation states -------------------------------------------------------------------------


def refuse_busy(git: Git, allow_edit: bool = True) -> EditState | None:
    """Refuse when another operation is in progress; return an edit state to carry on."""
    state = stack_state.current(git)
    if allow_edit and isinstance(state, EditState):
        return state
    pqstore.refuse_if_busy(git)
    return None


@contextmanager
def session(ws: Workspace, write: bool = True) -> Iterator[str | None]:
    """Hold patchq's lock (when writing, or when an interrupted change must be finished) and
    finish an interrupted change first; yields what was finished."""
    git = ws.read_only().git
    if not write and not stack_tx.interrupted(git):
        yield None
        return
    with pqstore.locked(git):
        yield stack_tx.recover(git)


def refuse_dirty(git: Git, stack: Stack, doing: str) -> None:
    if stack.checked_out and git.is_dirty():
        files = git.dirty_files()
        shown = ", ".join(files[:3]) + (" ..." if len(files) > 3 else "")
        top = stack.top.slug if stack.top else None
        into = f"`patchq refresh` them into {top}" if top else "`patchq new NAME` and " \
            "`patchq refresh` them into a new patch"
        raise StateError(f"the upstream clone {git.path} has uncommitted changes ({shown})",
                         f"{into}, or stash them, before {doing}")


# -- listing -----------------------------------------------------------------------------------


@dataclass
class Listing:
    track: str
    slugs: list[str]
    message: str = ""  # quilt's words when the list is empty
    code: int = 0
    recovered: str | None = None
    aside: list[str] = field(default_factory=list)  # set aside by a rebase (listed as unapplied)


def applied(ws: Workspace, track: str | None = None, upto: str | None = None) -> Listing:
    """The applied patches, bottom first; with ``upto``, the stack up to and including it."""
    select(ws, track)
    with session(ws, write=False) as recovered:
        names = load_names(ws, resolve_track(ws, track))
    if upto:
        order = list(names.applied + names.unapplied)
        return Listing(names.track, order[:order.index(names.lookup(upto)) + 1],
                       recovered=recovered)
    if not names.applied:
        return Listing(names.track, [], "No patches applied", 1, recovered)
    return Listing(names.track, list(names.applied), recovered=recovered)


def unapplied(ws: Workspace, track: str | None = None, after: str | None = None) -> Listing:
    """The patches not applied; with ``after``, the stack after it."""
    select(ws, track)
    with session(ws, write=False) as recovered:
        names = load_names(ws, resolve_track(ws, track))
    if after:
        order = list(names.applied + names.unapplied)
        return Listing(names.track, order[order.index(names.lookup(after)) + 1:],
                       recovered=recovered)
    below = [s for s in names.aside if s not in names.unapplied]  # set aside under the top
    if not names.unapplied and not below:
        if not names.applied:
            return Listing(names.track, [], "No patches in series", 1, recovered)
        return Listing(names.track, [], f"File series fully applied, ends at patch "
                       f"{names.applied[-1]}", 1, recovered)
    return Listing(names.track, below + list(names.unapplied), recovered=recovered,
                   aside=list(names.aside))


def top(ws: Workspace, track: str | None = None) -> Listing:
    select(ws, track)
    with session(ws, write=False) as recovered:
        names = load_names(ws, resolve_track(ws, track))
    if not names.applied:
        return Listing(names.track, [], "No patches applied", 2, recovered)
    return Listing(names.track, [names.applied[-1]], recovered=recovered)


# -- push ----------------------------------------------------------------------------------------


def _push_count(stack: Stack, target) -> tuple[int, str]:
    """How many unapplied patches to push, or quilt's words when there is nothing to do."""
    if isinstance(target, str) and target != ALL:
        stack.lookup(target)  # an unknown name fails first, as in quilt
    if not stack.unapplied:
        top = stack.top
        if top is None:  # nothing applied and nothing to push: the series is empty
            return 0, "No patches in series"
        return 0, f"File series fully applied, ends at patch {top.slug}"
    if target is None:
        return 1, ""
    if target == ALL:
        return len(stack.unapplied), ""
    if isinstance(target, int):
        if target <= 0:
            return 0, "No patch applied"
        return min(target, len(stack.unapplied)), ""
    slug = stack.lookup(target)
    index = stack.unapplied_index(slug)
    if index is None:
        if stack.applied_index(slug) is not None:
            return 0, f"Patch {slug} is currently applied"
        raise StateError(f"Patch {slug} is not in the stack (it was taken off the branch with "
                         "git, and the next export removes it)",
                         f"`patchq checkout {stack.track} --force` rebuilds the whole series")
    return index + 1, ""


def push(ws: Workspace, track: str | None = None, target=None,
         progress: Progress | None = None) -> MoveResult:
    """Push the next patch (or ``target``: a count, a patch to end at, or ALL)."""
    select(ws, track)
    git = ws.git
    with session(ws) as recovered:
        state = stack_state.current(git)
        if isinstance(state, StoppedPush):
            if track and track != state.track:
                raise StateError(f"a push of track {state.track} is stopped at "
                                 f"{state.slug}", stopped_hint(state.slug))
            result = continue_stopped(ws, state, target, progress)
        else:
            resume = refuse_busy(git)
            result = push_stack(ws, resolve_track(ws, track), target, progress, resume)
        result.recovered = recovered
        return result


def push_stack(ws: Workspace, track: str, target, progress: Progress | None,
               resume: EditState | None, verb: str = "push") -> MoveResult:
    """Push on ``track`` (the lock is held). ``resume`` is the operation state to keep
    afterwards (an edit in progress)."""
    git = ws.git
    stack = load(ws, track)
    if isinstance(target, str) and target != ALL and stack.is_aside(stack.lookup(target)):
        return _push_aside(ws, stack, stack.lookup(target), progress, resume, verb)
    count, nothing = _push_count(stack, target)
    if not count:
        top_slug = stack.top.slug if stack.top else None
        return MoveResult(track, top=top_slug, nothing=nothing)
    refuse_dirty(git, stack, "pushing")
    todo = stack.unapplied[:count]
    pushed = _push_past_aside(ws, stack, todo, target, progress)
    new_tip = pushed.tip(stack.tip)
    change = stack_tx.Change(
        verb, track, stack.branch, stack.tip, new_tip, stack_tx.KEEP,
        manifest={p.commit: p.digest for p in pushed.pushed},
        manifest_keep=[a.commit.sha for a in stack.applied],
        manifest_tip=exported_tip(git, stack), stack_base=stack.base, then=resume)
    failed = pushed.failed
    stopped: StoppedPush | None = None  # the state of a push that stops in the work tree
    if failed is not None and stack.checked_out:
        change.then = stopped = StoppedPush.of(track, stack.branch, failed.slug,
                                               todo[-1].slug, new_tip, resume,
                                               may_create(git, failed))
    stack_tx.commit(git, change)
    result = MoveResult(track, pushed=pushed.pushed,
                        top=pushed.pushed[-1].slug if pushed.pushed else
                        (stack.top.slug if stack.top else None))
    if failed is not None:
        if stopped is not None:
            result.stop = stop_in_work_tree(ws, stopped)
        else:
            result.stop = Stop(failed.slug, "elsewhere", [], pushed.details, stack.branch,
                               git.path)
    return result


def _push_past_aside(ws: Workspace, stack: Stack, todo: list, target,
                     progress: Progress | None) -> PushResult:
    """Push ``todo``; a patch a rebase set aside that still does not apply is gone past (it
    stays set aside, as checkout leaves it out), unless it is the one asked for: by name, or
    the next one of a plain push."""
    marked = ws.map.set_aside(stack.track)
    named = stack.lookup(target) if isinstance(target, str) and target != ALL else None
    single = target is None and len(todo) == 1
    result = PushResult()
    tip = stack.tip
    while True:
        pushed = push_files(ws.git, tip, todo, stack.fallback_date, progress)
        result.pushed += pushed.pushed
        failed = pushed.failed
        if failed is None or failed.slug not in marked or failed.slug == named or single:
            result.failed, result.error = failed, pushed.error
            return result
        tip = pushed.tip(tip)
        todo = todo[[p.slug for p in todo].index(failed.slug) + 1:]


def _push_aside(ws: Workspace, stack: Stack, slug: str, progress: Progress | None,
                resume: EditState | None, verb: str) -> MoveResult:
    """Push a patch a rebase set aside, at its place: pop the patches above its place in the
    series, then push up to it (it stops with its conflicts in the work tree)."""
    if not stack.checked_out:
        raise StateError(f"{slug} was set aside by a rebase: pushing it leaves its conflicts in "
                         f"the work tree of {stack.branch}, which is not checked out",
                         f"`patchq checkout {stack.track}` first")
    order = stack.series_slugs()
    place = order.index(slug)
    below = [a for a in stack.applied if a.slug in order and order.index(a.slug) < place]
    moved = MoveResult(stack.track)
    if len(below) < len(stack.applied):
        moved = pop_stack(ws, stack.track, below[-1].slug if below else ALL, False, resume,
                          verb=verb)
    return moved.merge(push_stack(ws, stack.track, slug, progress, resume, verb))


def may_create(git: Git, patch) -> list[str]:
    """The files ``patch`` names that do not exist in the work tree now: a stopped apply may
    leave them behind, untracked, and backing it out removes them."""
    from ..interdiff import files

    return [p for p in files(patch.file.diff, patch.entry.strip)
            if not os.path.lexists(git.path / p)]


def remove_created(git: Git, state: StoppedPush) -> None:
    """Remove what a stopped apply left that the branch does not have: new files, .rej files."""
    for name in state.leftovers():
        path = git.path / name
        if not os.path.lexists(path) or git.path_exists(state.tip, name):
            continue
        path.unlink()
        parent = path.parent
        while parent != git.path and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def stop_in_work_tree(ws: Workspace, state: StoppedPush) -> Stop:
    """Apply the patch that failed to the work tree, leaving its conflicts for a person."""
    git = ws.git
    from ..queue import load_series

    patch = load_series(ws.series_dir(state.track), state.track).by_slug()[state.slug]
    stack_tx.crashpoint("stopping")
    kind, files, details = _apply_in_work_tree(ws, state, patch)
    if kind == "rejects" and not files:  # nothing a person can resolve: git cannot read it
        force_tree(git, state.tip)
        remove_created(git, state)
        stack_state.save(git, state.resume)
        return Stop(patch.slug, "failed", [], details, state.branch, git.path)
    stack_state.save(git, state.stopped(kind, files))
    stack_tx.crashpoint("stopped")
    return Stop(patch.slug, kind, files, details, state.branch, git.path)


def _apply_in_work_tree(ws: Workspace, state: StoppedPush, patch
                        ) -> tuple[str, list[str], str]:
    """Apply a patch that does not apply cleanly to the work tree, for a person: a patch a
    rebase set aside is merged 3-way from the base its file was written for (whatever its
    format: a DEP-3 file has no blob ids for git's own 3-way); any other goes to
    ``git apply --3way`` (rejects when that is impossible)."""
    from ..aside import aside_commit
    from ..git import cherry_pick_into_work_tree
    from ..queue import base_commit

    git = ws.git
    old_base = ws.map.set_aside(state.track).get(patch.slug)
    if old_base:
        base = base_commit(git, ws.track(state.track))
        commit = aside_commit(git, patch, old_base, base, state.tip)
        if commit is not None:
            files = cherry_pick_into_work_tree(git, commit)
            how = f"merged 3-way from {old_base[:12]}, the base it was set aside on"
            return ("conflict", files, how) if files else ("clean", [], how)
    return apply_in_work_tree(git, patch.path, patch.entry.strip)


def _check_stopped(ws: Workspace, state: StoppedPush) -> Stack:
    git = ws.git
    stack = load(ws, state.track)
    slug = state.slug
    if not stack.checked_out:
        raise StateError(f"the push of {slug} stopped on {state.branch}, which is not "
                         "checked out now",
                         f"switch back with `git -C {git.path} switch {state.branch}`")
    if stack.tip != state.tip:
        raise StateError(f"{stack.branch} moved since the push stopped at {slug}",
                         f"put it back at {state.tip[:12]}, or remove "
                         f"{pqstore.state_path(git)} to forget the stopped push")
    marked = ws.map.set_aside(stack.track)
    pending = [p for p in stack.unapplied if p.slug == slug or p.slug not in marked]
    if not pending or pending[0].slug != slug:
        raise StateError(f"{slug} is no longer the next patch of the series",
                         "`patchq pop` backs the stopped push out")
    return stack


def continue_stopped(ws: Workspace, state: StoppedPush, target, progress: Progress | None
                     ) -> MoveResult:
    """Finish a stopped push with what the person resolved, then push on."""
    git = ws.git
    slug = state.slug
    if state.phase is stack_state.Phase.APPLYING:  # interrupted while applying it for a person
        _check_stopped(ws, state)
        force_tree(git, state.tip)
        remove_created(git, state)
        stop = stop_in_work_tree(ws, state)
        return MoveResult(state.track, top=None, stop=stop)
    stack = _check_stopped(ws, state)
    conflicts = unmerged_paths(git)
    if conflicts:
        raise StateError(f"{slug} still has conflicts in {', '.join(conflicts[:5])}",
                         stopped_hint(slug))
    rejects = [r for r in state.rejects() if (git.path / r).exists()]
    if rejects:
        raise StateError(f"{', '.join(rejects[:5])} still exists",
                         f"apply its hunks by hand, delete it, `git add` the files, then "
                         f"`patchq push` (or `patchq pop` to back {slug} out)")
    not_added = unstaged_paths(git)
    if not_added:
        raise StateError(f"changes to {', '.join(not_added[:5])} are not added",
                         "`git add` them (or undo them with `git checkout -- FILE`), "
                         "then `patchq push`")
    patch = next(p for p in stack.unapplied if p.slug == slug)
    tree = index_tree(git)
    sha = git.commit_tree(tree, [stack.tip], patch.message(), patch.identity(stack.fallback_date))
    data = render_file(git, queue_commit(git, sha), patch)
    change = stack_tx.Change(
        "push", stack.track, stack.branch, stack.tip, sha, stack_tx.NONE,
        manifest={sha: file_digest(data)},
        manifest_keep=[a.commit.sha for a in stack.applied],
        manifest_tip=exported_tip(git, stack), stack_base=stack.base,
        then=state.resume)
    wrote = []
    if data != patch.file.raw:
        change.write(git, patch.path, data)
        wrote.append(patch.path)
        series = series_after_render(stack.loaded, [slug])
        if series is not None:  # a git diff (-p1) replaced a -pN patch
            change.write(git, stack.directory / SERIES, series)
    stack_tx.commit(git, change)
    done = MoveResult(stack.track, pushed=[Pushed(slug, sha, "resolved", file_digest(data))],
                      top=slug, resolved=slug, wrote=wrote,
                      resolved_empty=tree == git.tree_of(stack.tip) and not patch.file.is_empty)
    goal = target if target is not None else state.target
    if goal is None or goal == slug:
        return done
    later = push_stack(ws, stack.track, goal, progress, state.resume)
    if later.nothing and later.nothing.startswith("Patch "):
        later.nothing = ""
    return done.merge(later)


# -- pop -----------------------------------------------------------------------------------------


def _keep_count(stack: Stack, target) -> tuple[int, str]:
    """How many applied patches stay, or quilt's words when nothing is to be removed."""
    if isinstance(target, str) and target != ALL:
        stack.lookup(target)
    total = len(stack.applied)
    if not total:
        return 0, "No patch removed"
    if target is None:
        return total - 1, ""
    if target == ALL:
        return 0, ""
    if isinstance(target, int):
        if target <= 0:
            return total, "No patch removed"
        return max(total - target, 0), ""
    slug = stack.lookup(target)
    index = stack.applied_index(slug)
    if index is None:
        raise StateError(f"Patch {slug} is not applied",
                         f"the applied patches are listed by `patchq applied --track "
                         f"{stack.track}`")
    if index == total - 1:
        return total, "No patch removed"
    return index + 1, ""


def pop(ws: Workspace, track: str | None = None, target=None, force: bool = False) -> MoveResult:
    """Pop the top patch (or ``target``: a count, the patch to leave on top, or ALL)."""
    select(ws, track)
    git = ws.git
    with session(ws) as recovered:
        state = stack_state.current(git)
        if isinstance(state, StoppedPush):
            result = abort_stopped(ws, state)
            if target is not None:
                result = result.merge(pop_stack(ws, state.track, target, force, state.resume))
                result.nothing = ""
        else:
            resume = refuse_busy(git)
            result = pop_stack(ws, resolve_track(ws, track), target, force, resume)
        result.recovered = recovered
        return result


def pop_stack(ws: Workspace, track: str, target, force: bool, resume: EditState | None,
              verb: str = "pop") -> MoveResult:
    git = ws.git
    stack = load(ws, track)
    keep, nothing = _keep_count(stack, target)
    if nothing:
        return MoveResult(track, top=stack.top.slug if stack.top else None, nothing=nothing)
    popped = stack.applied[keep:]  # not empty: there is something to pop
    if stack.checked_out and git.is_dirty() and not force:
        files = git.dirty_files()
        top = popped[-1].slug
        raise StateError(f"Patch {top} does not remove cleanly: the work tree has "
                         f"changes ({', '.join(files[:3])})",
                         f"`patchq refresh` them into {top}, or pop with -f to "
                         "discard them")
    waiting = unexported(git, stack, popped)
    if waiting:
        raise StateError(f"{', '.join(waiting[:3])} {'has' if len(waiting) == 1 else 'have'} "
                         f"changes on {stack.branch} that are in no series file yet; popping "
                         "would lose them",
                         f"write them with `patchq export {track}` first")
    change = stack_tx.Change(
        verb, track, stack.branch, stack.tip, stack.commit_at(keep),
        stack_tx.FORCE if force else stack_tx.KEEP,
        manifest_keep=[a.commit.sha for a in stack.applied[:keep]],
        manifest_tip=exported_tip(git, stack), stack_base=stack.base, then=resume)
    stack_tx.commit(git, change)
    return MoveResult(track, popped=[a.slug for a in reversed(popped)],
                      top=stack.applied[keep - 1].slug if keep else None)


def abort_stopped(ws: Workspace, state: StoppedPush) -> MoveResult:
    """Back out a stopped push: the work tree and index return to the branch's tip."""
    git = ws.git
    branch, tip, slug = state.branch, state.tip, state.slug
    if git.current_branch() != branch:
        raise StateError(f"the push of {slug} stopped on {branch}, which is not checked out now",
                         f"switch back with `git -C {git.path} switch {branch}`, then "
                         "`patchq pop`")
    if git.branch_tip(branch) != tip:
        raise StateError(f"{branch} moved since the push stopped at {slug}",
                         f"put it back at {tip[:12]}, or remove {pqstore.state_path(git)} to "
                         "forget the stopped push")
    remove_created(git, state)
    change = stack_tx.Change("pop", state.track, branch, tip, tip, stack_tx.FORCE,
                             then=state.resume)
    stack_tx.commit(git, change)
    stack = load(ws, state.track)
    return MoveResult(state.track, top=stack.top.slug if stack.top else None, aborted=slug)


# -- goto ------------------------------------------------------------------------------------------


def goto(ws: Workspace, name: str, track: str | None = None,
         progress: Progress | None = None) -> MoveResult:
    """Push or pop until ``name`` is the top patch."""
    select(ws, track)
    git = ws.git
    with session(ws) as recovered:
        resume = refuse_busy(git)
        track_name = resolve_track(ws, track)
        stack = load(ws, track_name)
        slug = stack.lookup(name)
        index = stack.applied_index(slug)
        if index is None:
            result = push_stack(ws, track_name, slug, progress, resume, verb="goto")
        elif index == len(stack.applied) - 1:
            result = MoveResult(track_name, top=slug, nothing=f"Now at patch {slug}",
                                nothing_code=0)
        else:
            result = pop_stack(ws, track_name, slug, False, resume, verb="goto")
        result.recovered = recovered
        return result
