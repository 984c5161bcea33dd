"""`patchq checkout`: build a track's queue branch in the upstream clone and switch to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .. import owner, validate
from ..errors import ApplyError, GitError, StateError
from ..git import Git
from ..queue import BuildResult, LoadedSeries, Progress, base_commit, load_series
from ..queuecache import Manifest, build_cached, record_build
from ..workspace import Workspace


@dataclass(frozen=True)
class CheckoutResult:
    track: str
    branch: str
    base: str
    base_commit: str
    tip: str
    patches: int
    three_way: tuple[str, ...]
    previous: str | None  # the branch HEAD was on before
    unchanged: bool  # the branch already was exactly this
    set_aside: tuple[str, ...] = ()  # set aside by a rebase and still not applying: left out
    newly_aside: tuple[str, ...] = ()  # --partial: did not apply, set aside now
    fuzzy: tuple[tuple[str, tuple[str, ...]], ...] = ()  # applied as GNU patch would: notes


def refuse_dirty(git: Git, doing: str) -> None:
    if git.is_dirty():
        files = git.dirty_files()
        shown = ", ".join(files[:3]) + (" ..." if len(files) > 3 else "")
        raise StateError(f"the upstream clone {git.path} has uncommitted changes ({shown})",
                         f"commit or stash them before {doing}")


def refuse_unexported(git: Git, track: str, branch: str, tip: str | None, new_tip: str,
                      force: bool) -> None:
    """A queue branch holding commits nobody exported must not be thrown away silently."""
    if tip is None or tip == new_tip or force:
        return
    if Manifest(git, track).tip == tip:
        return
    raise StateError(f"branch {branch} has commits that were never exported (tip {tip[:12]})",
                     f"run `patchq export {track}` first, or pass --force to rebuild it")


def move_branch(git: Git, branch: str, old: str | None, new: str, switch: bool = True,
                reason: str = "patchq") -> str | None:
    """Point ``branch`` at ``new`` (compare-and-swap against ``old``) and check it out."""
    previous = git.current_branch()
    ref = f"refs/heads/{branch}"
    if previous == branch:
        if old != new:
            git.reset_keep(new)
        return previous
    git.update_ref(ref, new, old, reason)
    if switch:
        try:
            git.switch(branch)
        except GitError:
            if old is None:
                git.delete_ref(ref, new)
            else:
                git.update_ref(ref, old, new, "patchq: undo")
            raise
    return previous


def checkout(ws: Workspace, track_name: str, branch: str | None = None, force: bool = False,
             progress: Progress | None = None, partial: bool = False) -> CheckoutResult:
    """Build the track's queue branch from its series and check it out, under patchq's lock
    (refused while an operation is in progress). A patch that does not apply stops it, unless
    a rebase set it aside or ``partial``: then the rest is built around it and it is set aside
    (``needs_person`` in the map) for `patchq push` to merge with conflict markers."""
    from .. import store as pqstore

    ws.use_track(track_name)
    with pqstore.writing(ws):
        return _checkout(ws, track_name, branch, force, progress, partial)


def _checkout(ws: Workspace, track_name: str, branch: str | None, force: bool,
              progress: Progress | None, partial: bool) -> CheckoutResult:
    ws.read_only()  # tomllib: fast; tomlkit only if --partial writes the map
    track = ws.track(track_name)
    branch = validate.branch_name(branch, "--branch") if branch else ws.queue_branch(track_name)
    git = ws.git
    owner.check(git, ws.root, branch, track_name, building=True)
    refuse_dirty(git, "checkout")
    base = base_commit(git, track)
    loaded: LoadedSeries = load_series(ws.series_dir(track_name), track_name)
    aside = set(ws.map.set_aside(track_name))
    try:
        result: BuildResult = build_cached(git, base, loaded.patches, progress=progress,
                                           keep_going=bool(aside) or partial)
        failed = [f for f in result.failed if f.slug not in aside]
        if failed and not partial:
            raise failed[0]
    except ApplyError as exc:
        raise ApplyError(f"patch {exc.slug} does not apply on {track.base}: {exc.details}",
                         f"fix series/{track_name}/{exc.slug}, or `patchq checkout {track_name} "
                         "--partial` to build the rest and set it aside",
                         slug=exc.slug, details=exc.details) from None
    old_tip = git.branch_tip(branch)
    refuse_unexported(git, track_name, branch, old_tip, result.tip, force)
    previous = move_branch(git, branch, old_tip, result.tip, reason=f"patchq checkout {track_name}")
    record_build(git, track_name, branch, loaded, result)
    if failed:  # --partial: the map says which are set aside, once the branch is there
        umap = ws.reload_map(editable=True)  # people's comments and order stay
        for failure in failed:
            umap.patch_track(failure.slug, track_name)["needs_person"] = True
        umap.save()
    owner.claim(git, ws.root, branch, track_name)
    return CheckoutResult(track=track_name, branch=branch, base=track.base, base_commit=base,
                          tip=result.tip, patches=len(result.applied),
                          three_way=tuple(a.slug for a in result.applied if a.how == "3way"),
                          previous=previous, unchanged=old_tip == result.tip,
                          set_aside=tuple(f.slug for f in result.failed if f.slug in aside),
                          newly_aside=tuple(f.slug for f in failed),
                          fuzzy=tuple((a.slug, a.notes) for a in result.applied
                                      if a.how == "fuzzy"))


def render(result: CheckoutResult) -> Iterator[str]:
    """What `patchq checkout` prints."""
    from ..ui import fuzzy_lines, some

    state = "already up to date" if result.unchanged else "built"
    yield (f"{result.branch}: {state}, {result.patches} patches on {result.base} "
           f"({result.base_commit[:12]}), tip {result.tip[:12]}")
    if result.three_way:
        yield f"applied with 3-way merge: {', '.join(result.three_way)}"
    yield from fuzzy_lines(result.fuzzy, result.track)
    if result.newly_aside:
        yield (f"set aside {len(result.newly_aside)}, they do not apply on {result.base}: "
               f"{some(result.newly_aside)} (`patchq lint {result.track}` lists them all); "
               f"`patchq push {result.newly_aside[0]}` applies one with conflict markers "
               "(or .rej files) for you to resolve")
    if result.set_aside:
        yield (f"left out, set aside by a rebase: {', '.join(result.set_aside)} "
               f"(`patchq push PATCH` merges one 3-way at its place)")
    if result.previous and result.previous != result.branch:
        yield f"switched from {result.previous}"
