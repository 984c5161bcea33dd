"""`patchq rebase`: move a track's series onto a new upstream base, one outcome per patch.

The moving itself is ``patchq.rebasing``; this module starts the operation, the modules beside
it keep it safe and finish it (``rebase_state``: the typed operation state; ``rebase_backup``:
the user's files; ``rebase_drive``: the steps; ``rebase_resume``: continue, skip, abort,
status; ``rebase_record``: the result and the map):

- before anything changes, the series directory, the map and the queue manifest are copied into
  the upstream clone's git dir (``patchq/rebase-backup``), and the operation's state is saved
  there (``patchq/operation.json``, atomically, under patchq's lock);
- the state is saved again before every step that touches something (the queue branch, HEAD,
  the work tree, the series), with what the step intends to do, so a crash at any moment
  leaves a state that ``--abort`` undoes byte for byte and ``--continue`` carries on from;
- at the end the series is written through ``queueexport.plan_export``/``apply_export`` from the
  backed-up originals (so a re-run after a crash writes the very same bytes), then the branch
  moves, then the state goes.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import replace

from .. import owner
from .. import store as pqstore
from ..aside import in_series_order, still_aside
from ..clock import stamp
from ..crash import point as crash_point
from ..errors import ApplyError, GitError
from ..git import Git, ObjectStore, exact_tag, quarantine, range_diff
from ..identity import Declared, declared_identity
from ..model import Track
from ..queue import LoadedSeries, Progress, base_commit, load_series
from ..queuecache import Manifest
from ..rebasing import Engine, OldPatch, PatchResult, file_has_index
from ..workspace import Workspace
from .checkout import refuse_dirty, refuse_unexported
from .rebase_backup import backup, carry_map, remove_backup
from .rebase_drive import drive, records, tip_of
from .rebase_record import AbortResult, RebaseResult, Stopped, all_unchanged, changed_range_diff
from .rebase_resume import abort, continue_rebase, skip, status
from .rebase_state import Base, Head, RebaseState, save

__all__ = ["AbortResult", "RebaseResult", "Stopped", "abort", "carry_map", "continue_rebase",
           "rebase", "skip", "status"]

# -- starting -------------------------------------------------------------------------------------


def _resolve_onto(git: Git, track: Track, onto: str | None) -> tuple[str, str]:
    """(name to record, commit) of the new base: --onto, or the tip of the followed branch."""
    if onto:
        return onto, git.resolve(onto, "--onto")
    follows = track.follows
    local = git.rev_parse(f"refs/heads/{follows}")
    remote = git.rev_parse(f"refs/remotes/origin/{follows}")
    if remote and (not local or git.is_ancestor(local, remote)):
        sha, name = remote, f"origin/{follows}"
    elif local:
        sha, name = local, follows
    else:
        found = git.rev_parse(follows)
        if found is None:
            raise GitError(f"{follows!r}, the branch track {track.name} follows, is not in "
                           f"{git.path}", "fetch it, or pass --onto REF")
        sha, name = found, follows
    return exact_tag(git, sha) or name, sha


def _declared(ws: Workspace, loaded: LoadedSeries) -> dict[str, Declared]:
    """Each patch's declared upstream identity (its file's header and its map record)."""
    repo = ws.upstream_get("github") if hasattr(ws.map, "upstream_get") else ""
    return {p.slug: declared_identity(p.file.description.subject,
                                      p.file.header.decode("utf-8", "replace"),
                                      ws.map.patch(p.slug), repo) for p in loaded.patches}


def _old_queue(git: Git, store: ObjectStore, track: Track, branch: str, base: str,
               loaded: LoadedSeries, declared: dict[str, Declared] | None = None,
               aside: Collection[str] = (), still: list[str] | None = None) -> list[OldPatch]:
    """The series as commits on the old base: the queue branch when it is exactly the series
    (the manifest says so), otherwise built from the files, in memory. A patch an earlier
    rebase set aside (``aside``) that still does not apply is left out and named in
    ``still``."""
    has_index = {p.slug: file_has_index(p.file.raw) for p in loaded.patches}
    declared = declared or {}
    still = [] if still is None else still
    tip = git.branch_tip(branch)
    if tip is not None:
        refuse_unexported(git, track.name, branch, tip, "", force=False)
        try:
            commits = git.queue_commits(base, tip)
        except GitError:  # not a straight line on the base: build from the files
            commits = []
        if commits and commits[0].parent == base:  # the branch sits on the base
            manifest = Manifest(git, track.name)
            if len(commits) == len(loaded.patches) and all(
                    c.slug == p.slug and manifest.digest_for(c.sha) == p.digest
                    for c, p in zip(commits, loaded.patches)):
                return [OldPatch(p.slug, c.sha, c.parent, has_index[p.slug],
                                 declared.get(p.slug, Declared()))
                        for c, p in zip(commits, loaded.patches)]
    out: list[OldPatch] = []
    fallback = git.commit_date(base)
    parent = base
    with git.scratch_index(git.tree_of(base)) as index:
        for patch in loaded.patches:
            if not patch.file.is_empty:
                try:
                    index.apply(patch.path, patch.entry.strip, slug=patch.slug)
                except ApplyError as exc:
                    if patch.slug in aside:
                        still.append(patch.slug)
                        continue
                    raise ApplyError(
                        f"patch {patch.slug} does not apply on the track's current base "
                        f"{track.base}: {exc.details}",
                        f"fix series/{track.name}/{patch.entry.name} first (`patchq checkout "
                        f"{track.name}` shows the same)", slug=patch.slug,
                        details=exc.details) from None
            tree = index.write_tree()
            commit = store.commit(tree, [parent], patch.message(), patch.identity(fallback))
            out.append(OldPatch(patch.slug, commit, parent, has_index[patch.slug],
                                declared.get(patch.slug, Declared())))
            parent = commit
    return out


def rebase(ws: Workspace, track_name: str, onto: str | None = None, on_conflict: str = "stop",
           dry_run: bool = False, progress: Progress | None = None) -> RebaseResult:
    """Rebase a track; stops at the first conflict (``on_conflict="stop"``) or sets
    conflicting patches aside (``"skip"``). ``dry_run`` computes everything and writes
    nothing: not a branch, not a file, not an object."""
    if on_conflict not in ("stop", "skip"):
        raise ValueError(on_conflict)
    ws.read_only().use_track(track_name)  # tomllib: fast; the map is written at the end only
    track = ws.track(track_name)
    branch = ws.queue_branch(track_name)
    git = ws.git
    with pqstore.locked(git):
        pqstore.refuse_if_busy(git)
        pqstore.refuse_if_others_busy(ws)  # several upstreams: the map is one
        seen = owner.check(git, ws.root, branch, track_name, building=True)
        if not dry_run:  # a dry run touches no work tree: it may look at a dirty clone
            refuse_dirty(git, "rebasing")
        old_base = base_commit(git, track)
        to_ref, to_commit = _resolve_onto(git, track, onto)
        loaded = load_series(ws.series_dir(track_name), track_name)
        result = RebaseResult(track_name, branch, track.base, old_base, to_ref, to_commit,
                              state="up-to-date", total=len(loaded.patches))
        if to_commit == old_base:
            return replace(result, tip=git.branch_tip(branch) or "")
        if dry_run:
            return _dry_run(ws, git, track, branch, loaded, result, progress)
        remove_backup(git)
        store = git.objects  # the one store: queue_commits reads back what it wrote
        try:
            still: list[str] = []
            old = _old_queue(git, store, track, branch, old_base, loaded, _declared(ws, loaded),
                             ws.map.set_aside(track_name), still)
            backup(ws, git, track_name)
            crash_point("backup written")
            tip = git.branch_tip(branch)
            state = save(git, RebaseState(
                track=track_name, patch_repo=os.path.relpath(ws.root, git.path),
                branch=branch, orig=Head(tip, git.current_branch(), git.head()),
                from_=Base(track.base, old_base), to=Base(to_ref, to_commit),
                on_conflict=on_conflict, patches=tuple(old), tip=to_commit,
                started_at=stamp(), aside=tuple(still_aside(still, track.base)),
                order=tuple(p.slug for p in loaded.patches), branch_values=(tip,)))
            owner.claim(git, ws.root, branch, track_name, seen)
            crash_point("state saved")
            return drive(ws, git, store, state, progress, loaded)
        finally:
            store.close()


def _dry_run(ws: Workspace, git: Git, track: Track, branch: str, loaded: LoadedSeries,
             result: RebaseResult, progress: Progress | None) -> RebaseResult:
    with quarantine(git):
        store = git.objects  # the one store: queue_commits reads back what it wrote
        try:
            still: list[str] = []
            old = _old_queue(git, store, track, branch, result.from_commit, loaded,
                             _declared(ws, loaded), ws.map.set_aside(track.name), still)
            engine = Engine(git, store, result.from_commit, result.to_commit, result.to_ref,
                            old, on_conflict="skip", records=records(ws),
                            old_ref=result.from_ref, progress=progress)
            results: list[PatchResult] = []
            engine.run(0, result.to_commit, results)
            engine.finish(results)
            tip = tip_of(results, result.to_commit)
            old_tip = old[-1].commit if old else result.from_commit
            diff = "" if all_unchanged(results) else changed_range_diff(
                range_diff(git, result.from_commit, old_tip, result.to_commit, tip))
        finally:
            store.close()
    patches = in_series_order(results + still_aside(still, result.from_ref),
                              [p.slug for p in loaded.patches])
    return replace(result, state="dry-run", tip=tip, patches=tuple(patches), range_diff=diff)
