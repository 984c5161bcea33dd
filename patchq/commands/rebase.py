"""`patchq rebase`: move a track's series onto a new upstream base, one outcome per patch.

The moving itself is ``patchq.rebasing``; this module keeps the operation safe:

- before anything changes, the series directory, the map and the queue manifest are copied into
  the upstream clone's git dir (``patchq/rebase-backup``), and the operation's state is saved
  there (``patchq/operation.json``, atomically, under patchq's lock);
- the state is saved again before every step that touches something (the queue branch, HEAD,
  the work tree, the series), with what the step intends to do, so a crash at any moment
  leaves a state that ``--abort`` undoes byte for byte and ``--continue`` carries on from;
- at the end the series is written through ``queue.plan_export``/``apply_export`` from the
  backed-up originals (so a re-run after a crash writes the very same bytes), then the branch
  moves, then the state goes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import owner, rebase_history
from .. import store as pqstore
from ..aside import in_series_order, still_aside
from ..clock import stamp, today
from ..errors import ApplyError, GitError, StateError
from ..files import atomic_write
from ..git import (
    Git,
    ObjectStore,
    cherry_pick_into_work_tree,
    detach_or_switch,
    exact_tag,
    index_tree,
    quarantine,
    range_diff,
    reset,
    unmerged_paths,
    unstaged_paths,
)
from ..identity import Declared, declared_identity
from ..model import Outcome, Track
from ..outcome import Person
from ..queue import (
    LoadedSeries,
    Manifest,
    Progress,
    apply_export,
    base_commit,
    load_series,
    plan_export,
)
from ..rebasing import Engine, OldPatch, PatchResult, Stop, crash_point, file_has_index
from ..seriesdir import SERIES, render_series
from ..workspace import Workspace
from .checkout import refuse_dirty, refuse_unexported

VERB = "rebase"
_PAIR = re.compile(r"^\s*(?:\d+|-):\s+(?:[0-9a-f]+|-+) ([<>=!]) \s*(?:\d+|-):")
BACKUP = pqstore.BACKUP
STATE_VERSION = 1
REFRESH = (Outcome.OFFSET, Outcome.REFRESHED, Outcome.PARTIAL, Outcome.MODIFIED)
ORDER = [o.value for o in Outcome]


@dataclass
class Stopped:
    number: int  # 1-based position in the series
    slug: str
    files: list[str]
    messages: list[str]


@dataclass
class RebaseResult:
    track: str
    branch: str
    from_ref: str
    from_commit: str
    to_ref: str
    to_commit: str
    state: str  # done, stopped, dry-run, up-to-date
    total: int
    patches: list[PatchResult] = field(default_factory=list)
    tip: str = ""
    range_diff: str = ""
    written: list[Path] = field(default_factory=list)
    stopped: Stopped | None = None
    unresolved: list[str] = field(default_factory=list)  # --status: files still conflicted
    checked_out: bool = True  # --status: the stopped patch's conflict is in the work tree

    def counts(self) -> dict[str, int]:
        out = {o: 0 for o in ORDER}
        for result in self.patches:
            out[result.outcome.value] += 1
        if self.stopped is not None:
            out[Outcome.CONFLICT.value] += 1
        return {k: v for k, v in out.items() if v}

    def as_json(self) -> dict:
        return {
            "track": self.track, "branch": self.branch, "state": self.state,
            "from": {"ref": self.from_ref, "commit": self.from_commit},
            "to": {"ref": self.to_ref, "commit": self.to_commit},
            "tip": self.tip, "total": self.total, "counts": self.counts(),
            "patches": [{k: v for k, v in r.as_json().items()} for r in self.patches],
            "stopped": None if self.stopped is None else {
                "number": self.stopped.number, "slug": self.stopped.slug,
                "files": self.stopped.files, "messages": self.stopped.messages},
            "range_diff": self.range_diff,
            "written": [str(p) for p in self.written],
        }


@dataclass
class AbortResult:
    track: str
    branch: str
    head: str  # where HEAD is now (a branch name or a commit)
    restored: list[str]


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
        sha = git.rev_parse(follows)
        name = follows
        if sha is None:
            raise GitError(f"{follows!r}, the branch track {track.name} follows, is not in "
                           f"{git.path}", "fetch it, or pass --onto REF")
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


def _records(ws: Workspace) -> dict:
    return {slug: dict(ws.map.patch(slug)) for slug in ws.map.slugs()}


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
        owner.check(git, ws.root, branch, track_name, building=True)
        if not dry_run:  # a dry run touches no work tree: it may look at a dirty clone
            refuse_dirty(git, "rebasing")
        old_base = base_commit(git, track)
        to_ref, to_commit = _resolve_onto(git, track, onto)
        loaded = load_series(ws.series_dir(track_name), track_name)
        result = RebaseResult(track_name, branch, track.base, old_base, to_ref, to_commit,
                              state="up-to-date", total=len(loaded.patches))
        if to_commit == old_base:
            result.tip = git.branch_tip(branch) or ""
            return result
        if dry_run:
            return _dry_run(ws, git, track, branch, loaded, result, progress)
        _remove_backup(git)
        store = ObjectStore(git)
        try:
            still: list[str] = []
            old = _old_queue(git, store, track, branch, old_base, loaded, _declared(ws, loaded),
                             ws.map.set_aside(track_name), still)
            _backup(ws, git, track_name)
            crash_point("backup written")
            state = {
                "verb": VERB, "version": STATE_VERSION, "track": track_name,
                "patch_repo": os.path.relpath(ws.root, git.path), "phase": "running",
                "branch": branch,
                "orig": {"tip": git.branch_tip(branch), "head_branch": git.current_branch(),
                         "head_commit": git.head()},
                "from": {"ref": track.base, "commit": old_base},
                "to": {"ref": to_ref, "commit": to_commit},
                "on_conflict": on_conflict, "patches": [p.as_json() for p in old],
                "results": [], "next": 0, "tip": to_commit, "stop": None,
                "started_at": stamp(),
                "aside": [r.as_json() for r in still_aside(still, track.base)],
                "order": [p.slug for p in loaded.patches],
            }
            state["branch_values"] = [state["orig"]["tip"]]
            _save(git, state)
            owner.claim(git, ws.root, branch, track_name)
            crash_point("state saved")
            return _drive(ws, git, store, state, progress, loaded)
        finally:
            store.close()


def _dry_run(ws: Workspace, git: Git, track: Track, branch: str, loaded: LoadedSeries,
             result: RebaseResult, progress: Progress | None) -> RebaseResult:
    with quarantine(git):
        store = ObjectStore(git)
        try:
            still: list[str] = []
            old = _old_queue(git, store, track, branch, result.from_commit, loaded,
                             _declared(ws, loaded), ws.map.set_aside(track.name), still)
            engine = Engine(git, store, result.from_commit, result.to_commit, result.to_ref,
                            old, on_conflict="skip", records=_records(ws),
                            old_ref=result.from_ref, progress=progress)
            results: list[PatchResult] = []
            engine.run(0, result.to_commit, results)
            engine.finish(results)
            tip = _tip(results, result.to_commit)
            old_tip = old[-1].commit if old else result.from_commit
            result.range_diff = "" if _all_unchanged(results) else _changed_range_diff(
                range_diff(git, result.from_commit, old_tip, result.to_commit, tip))
        finally:
            store.close()
    result.patches = in_series_order(results + still_aside(still, result.from_ref),
                                     [p.slug for p in loaded.patches])
    result.state, result.tip = "dry-run", tip
    return result


# -- the state --------------------------------------------------------------------------------------


def _save(git: Git, state: dict) -> None:
    try:
        pqstore.save(git, state)
    except OSError as exc:
        raise StateError(f"cannot save the rebase state in {git.git_path('patchq')}: "
                         f"{exc.strerror or exc}",
                         "free some space, then `patchq rebase --continue` or `--abort`") \
            from None


def _load(ws: Workspace) -> tuple[Git, dict]:
    pqstore.select_busy(ws)
    git = ws.git
    state = pqstore.current(git)
    if state is None:
        raise StateError(f"no rebase is in progress in {git.path}",
                         "start one with `patchq rebase TRACK`")
    if state.get("verb") != VERB:
        raise StateError(f"a {pqstore.describe(state)} is in progress, not a rebase",
                         f"finish it with `patchq {state.get('verb')} --continue` or `--abort`")
    if state.get("version") != STATE_VERSION:
        raise StateError("the rebase in progress was started by another version of patchq",
                         "finish it with that version")
    owner = (git.path / state["patch_repo"]).resolve()  # relative: the two may move together
    if owner != ws.root.resolve():
        raise StateError(f"the rebase in progress belongs to the patch repo {owner}",
                         f"run patchq -C {owner}")
    return git, state


def _results(state: dict) -> list[PatchResult]:
    return [PatchResult.from_json(r) for r in state["results"]]


def _tip(results: list[PatchResult], base: str) -> str:
    return next((r.new_commit for r in reversed(results) if r.new_commit), base)


def _engine(ws: Workspace, git: Git, store: ObjectStore, state: dict,
            progress: Progress | None) -> Engine:
    return Engine(git, store, state["from"]["commit"], state["to"]["commit"],
                  state["to"]["ref"], [OldPatch.from_json(p) for p in state["patches"]],
                  on_conflict=state["on_conflict"], records=_records(ws),
                  old_ref=state["from"]["ref"], progress=progress)


# -- the backup of the user's files ------------------------------------------------------------------


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _user_files(ws: Workspace, git: Git, track: str) -> dict[str, Path]:
    """Everything a rebase may change outside git: key -> path."""
    series = ws.series_dir(track)
    files = {"map": ws.map_path, "manifest": Manifest(git, track).path}
    if series.is_dir():
        for path in sorted(series.rglob("*")):
            if path.is_file():
                files["series/" + path.relative_to(series).as_posix()] = path
    return files


def _backup(ws: Workspace, git: Git, track: str) -> Path:
    """Copy the series directory, the map and the manifest into the git dir (all written, then
    renamed into place: a crash leaves no half backup)."""
    target = git.git_path(BACKUP)
    temp = target.with_name(target.name + ".new")
    shutil.rmtree(temp, ignore_errors=True)
    try:
        (temp / "blobs").mkdir(parents=True)
        index: dict[str, str | None] = {}
        for key, path in _user_files(ws, git, track).items():
            if not path.is_file():
                index[key] = None
                continue
            data = path.read_bytes()
            digest = _digest(data)
            (temp / "blobs" / digest).write_bytes(data)
            index[key] = digest
        series = ws.series_dir(track)
        dirs = sorted(p.relative_to(series).as_posix() for p in series.rglob("*") if p.is_dir()) \
            if series.is_dir() else []
        meta = {"track": track, "files": index, "dirs": dirs, "series_exists": series.is_dir()}
        atomic_write(temp / "index.json", json.dumps(meta, indent=1, sort_keys=True).encode())
        os.replace(temp, target)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise StateError(f"cannot back up the series into {target}: {exc.strerror or exc}",
                         "free some space and try again; nothing was changed") from None
    return target


def carry_map(ws: Workspace) -> bool:
    """After a command changed people-owned fields of the map while this patch repo's rebase
    is stopped (under patchq's lock, :func:`patchq.store.writing` with ``map_fields``): the
    backed-up map becomes the map as it is now, so that --abort puts back the edit with the
    rest and the end of the rebase records its outcomes on top of it. Until the rebase writes
    the series, the map on disk is the backed-up one plus such edits only."""
    pqstore.select_busy(ws)
    git = ws.git
    if not pqstore.carries_map_edits(pqstore.current(git), ws, git):
        return False
    backup = git.git_path(BACKUP)
    try:
        meta = json.loads((backup / "index.json").read_text())
        data = ws.map_path.read_bytes()
        digest = _digest(data)
        if meta["files"].get("map") == digest:
            return False
        atomic_write(backup / "blobs" / digest, data)
        meta["files"]["map"] = digest
        atomic_write(backup / "index.json", json.dumps(meta, indent=1, sort_keys=True).encode())
    except (OSError, ValueError, KeyError) as exc:
        raise StateError(f"cannot keep the edit in the rebase backup {backup} ({exc})",
                         "`patchq rebase --abort` would undo it: record it again after the "
                         "rebase") from None
    return True


def _remove_backup(git: Git) -> None:
    target = git.git_path(BACKUP)
    shutil.rmtree(target.with_name(target.name + ".new"), ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)


def _restore(ws: Workspace, git: Git, state: dict) -> list[str]:
    """Put the series directory, the map and the manifest back exactly as they were.
    Idempotent; returns what it had to change."""
    backup = git.git_path(BACKUP)
    try:
        meta = json.loads((backup / "index.json").read_text())
    except (OSError, ValueError) as exc:
        raise StateError(f"the rebase backup {backup} is unreadable ({exc})",
                         "restore series/ and upstream_map.toml from the patch repo's git "
                         "history, then remove " + str(git.git_path(pqstore.STATE))) from None
    track = meta["track"]
    series = ws.series_dir(track)
    now = _user_files(ws, git, track)
    changed: list[str] = []
    for key, digest in meta["files"].items():
        path = now.get(key) or (series / key[len("series/"):] if key.startswith("series/")
                                else None)
        if path is None:
            continue
        if digest is None:
            if path.is_file():
                path.unlink()
                changed.append(key)
            continue
        data = (backup / "blobs" / digest).read_bytes()
        if not path.is_file() or path.read_bytes() != data:
            atomic_write(path, data)
            changed.append(key)
    for key, path in now.items():
        if key not in meta["files"] and key.startswith("series/"):
            path.unlink()
            changed.append(key)
    if series.is_dir():
        keep = set(meta["dirs"])
        for directory in sorted((p for p in series.rglob("*") if p.is_dir()), reverse=True):
            if directory.relative_to(series).as_posix() not in keep and \
                    not any(directory.iterdir()):
                directory.rmdir()
        if not meta["series_exists"] and not any(series.iterdir()):
            series.rmdir()
    return changed


# -- the queue branch and HEAD ---------------------------------------------------------------------


def _move_branch(git: Git, state: dict, target: str, switch: bool) -> None:
    """Point the queue branch at ``target`` (compare-and-swap: it must hold a value this rebase
    gave it); ``switch`` also checks it out. The intent is saved first."""
    branch = state["branch"]
    current = git.branch_tip(branch)
    if current != target and current not in state["branch_values"]:
        raise StateError(f"branch {branch} moved while the rebase was in progress "
                         f"(now {current[:12] if current else 'deleted'})",
                         "put it back, or `patchq rebase --abort`")
    if target not in state["branch_values"]:
        state["branch_values"].append(target)
        _save(git, state)
    if git.current_branch() == branch:
        if current != target:
            reset(git, "keep", target)
        return
    if current != target:
        git.update_ref(f"refs/heads/{branch}", target, current, f"patchq rebase {state['track']}")
    if switch:
        git.switch(branch)


def _materialize(git: Git, state: dict) -> None:
    """Leave the conflict in the work tree: the queue branch at the last good commit, checked
    out, and the patch cherry-picked onto it without committing (markers and stages)."""
    stop = state["stop"]
    branch = state["branch"]
    if git.current_branch() == branch and (unmerged_paths(git) or git.is_dirty()):
        reset(git, "merge", "HEAD")  # a half-made stop of a killed run: ours to redo
    crash_point("before branch move")
    _move_branch(git, state, stop["parent"], switch=True)
    crash_point("branch moved")
    old = stop.get("pick") or state["patches"][stop["index"]]["commit"]
    files = cherry_pick_into_work_tree(git, old)
    crash_point("conflict checked out")
    stop["files"] = files or stop["files"]
    stop["materialized"] = True
    _save(git, state)


# -- driving ------------------------------------------------------------------------------------------


def _drive(ws: Workspace, git: Git, store: ObjectStore, state: dict,
           progress: Progress | None, loaded: LoadedSeries | None = None) -> RebaseResult:
    if state["phase"] == "running":
        engine = _engine(ws, git, store, state, progress)
        results = _results(state)
        stop = engine.run(state["next"], state["tip"], results)
        if stop is not None:
            engine.finish(results)  # evidence of the patches dropped so far, for the summary
            state.update(phase="stopped", results=[r.as_json() for r in results],
                         next=stop.index, tip=stop.parent,
                         stop={"index": stop.index, "slug": stop.slug, "parent": stop.parent,
                               "files": list(stop.files), "messages": list(stop.messages),
                               "pick": stop.pick, "materialized": False})
            _save(git, state)
            crash_point("stop saved")
            _materialize(git, state)
            return _result(state, "stopped", results)
        engine.finish(results)
        tip = _tip(results, state["to"]["commit"])
        if tip not in state["branch_values"]:
            state["branch_values"].append(tip)  # where the branch goes at the end
        state.update(phase="finishing", results=[r.as_json() for r in results],
                     next=len(engine.patches), tip=tip, stop=None)
        _save(git, state)
        crash_point("outcomes saved")
    if state["phase"] == "stopped":
        if not state["stop"].get("materialized"):
            _materialize(git, state)
        return _result(state, "stopped", _results(state))
    return _finish(ws, git, state, loaded)


def _with_aside(state: dict, results: list[PatchResult]) -> list[PatchResult]:
    """``results`` and the patches still set aside from an earlier rebase, in series order."""
    have = {r.slug for r in results}
    aside = [PatchResult.from_json(r) for r in state.get("aside", []) if r["slug"] not in have]
    if not aside:
        return results
    return in_series_order(results + aside, state.get("order", []))


def _result(state: dict, status: str, results: list[PatchResult]) -> RebaseResult:
    result = RebaseResult(state["track"], state["branch"], state["from"]["ref"],
                          state["from"]["commit"], state["to"]["ref"], state["to"]["commit"],
                          state=status, total=len(state["patches"]) + len(state.get("aside", [])),
                          patches=_with_aside(state, results), tip=state["tip"])
    stop = state.get("stop")
    if status == "stopped" and stop:
        result.stopped = Stopped(stop["index"] + 1, stop["slug"], list(stop["files"]),
                                 list(stop["messages"]))
    return result


def _finish(ws: Workspace, git: Git, state: dict,
            loaded: LoadedSeries | None = None) -> RebaseResult:
    """Write the series and the map from the backed-up originals, move the branch, done.
    ``loaded``: the series as read at the start, if this process read it."""
    track = state["track"]
    crash_point("finishing")
    try:
        restored = _restore(ws, git, state)
        if restored or getattr(ws.map, "readonly", False):
            ws.reload_map()  # with tomlkit, to keep people's comments and order
    except OSError as exc:
        raise _disk_error(exc) from None
    crash_point("originals restored")
    if restored or loaded is None:
        loaded = load_series(ws.series_dir(track), track)
    results = _with_aside(state, _results(state))
    tip, to_commit = state["tip"], state["to"]["commit"]
    digests = {p.slug: p.digest for p in loaded.patches}
    manifest = Manifest(git, track)
    for result in results:
        if result.outcome is Outcome.UNCHANGED and result.new_commit:
            manifest.record(result.new_commit, digests[result.slug])
    try:
        manifest.save()
        refresh = [r.slug for r in results if r.outcome in REFRESH]
        plan = plan_export(git, ws.map, loaded, to_commit, tip, refresh)
        for i, result in enumerate(results):  # a file export had to rewrite after all moved
            if result.outcome is Outcome.UNCHANGED and result.slug in plan.changed:
                results[i] = replace(result, outcome=Outcome.OFFSET, detail="file regenerated")
        _keep_set_aside(plan, loaded, results)
        _record_map(ws, state, results)
        plan.files.write(ws.map_path, ws.map.text().encode("utf-8"))
        written = apply_export(git, plan, state["branch"], tip)
    except OSError as exc:
        raise _disk_error(exc) from None
    crash_point("series written")
    _move_branch(git, state, tip, switch=False)
    crash_point("branch moved to the new tip")
    patches = [OldPatch.from_json(p) for p in state["patches"]]
    old_tip = patches[-1].commit if patches else state["from"]["commit"]
    try:
        diff = "" if _all_unchanged(results) else \
            range_diff(git, state["from"]["commit"], old_tip, to_commit, tip)
    except GitError as exc:
        diff = f"(range-diff failed: {exc})"
    rebase_history.keep(ws, git, state, results, loaded, _changed_range_diff(diff))
    pqstore.clear(git)
    _remove_backup(git)
    result = _result(state, "done", results)
    result.range_diff = _changed_range_diff(diff)
    result.written = written
    return result


def _disk_error(exc: OSError) -> StateError:
    return StateError(f"cannot write the series: {exc.strerror or exc}",
                      "free some space, then `patchq rebase --continue` (or `--abort`)")


def _keep_set_aside(plan, loaded: LoadedSeries, results: list[PatchResult]) -> None:
    """Patches set aside at a conflict stay in the series, unchanged, at their place."""
    aside = {r.slug for r in results if r.outcome is Outcome.CONFLICT}
    if not aside:
        return
    by_slug = loaded.by_slug()
    planned = {e.slug: e for e in plan.entries}
    entries = []
    for entry in loaded.series.entries:
        if entry.slug in aside:
            entries.append(entry)
            plan.files.write(by_slug[entry.slug].path, by_slug[entry.slug].file.raw)
        elif entry.slug in planned:
            entries.append(planned.pop(entry.slug))
    entries.extend(planned.values())
    plan.entries = entries
    plan.removed = [s for s in plan.removed if s not in aside]
    plan.files.write(loaded.directory / SERIES,
                     render_series(loaded.series, entries).encode("utf-8", "surrogateescape"))


def _record_map(ws: Workspace, state: dict, results: list[PatchResult]) -> None:
    """The track's new base and last rebase, each patch's outcome and upstream state."""
    import tomlkit

    umap = ws.map
    track = state["track"]
    old = umap.track(track)
    umap.set_track(Track(track, old.follows, state["to"]["ref"], state["to"]["commit"]))
    table = umap.track_table(track)
    last = tomlkit.table()
    last["from"] = state["from"]["ref"]
    last["from_commit"] = state["from"]["commit"]
    last["to"] = state["to"]["ref"]
    last["to_commit"] = state["to"]["commit"]
    last["at"] = stamp()
    counts = tomlkit.inline_table()
    for outcome in ORDER:
        n = sum(1 for r in results if r.outcome == outcome)
        if n:
            counts[outcome] = n
    last["counts"] = counts
    last.add(tomlkit.nl())
    table["last_rebase"] = last
    checked = stamp()
    ref = state["to"]["ref"]
    for result in results:
        record = umap.patch_track(result.slug, track)
        record["outcome"] = result.outcome.value
        _set(record, "evidence", _evidence_array(result.evidence) if result.evidence else None)
        _set(record, "confidence", result.confidence.value if result.confidence and
             result.outcome in (Outcome.UPSTREAM, Outcome.OBSOLETE) else None)
        _set(record, "needs_person", True if result.needs_person else None)
        _set(record, "set_aside_on", _aside_base(record, state, result))
        if result.dropped:
            record["carried"] = False
            record["dropped"] = today()
        else:
            record["carried"] = True
            _set(record, "dropped", None)
        state_here = result.upstream.state.value
        if result.outcome is Outcome.DROPPED or (state_here == "absent" and not (
                result.evidence and result.outcome is Outcome.CONFLICT)):
            # nothing of it upstream (or a person dropped it: that says nothing of upstream):
            # no table (the outcome says it); an older one goes
            if ref in record.get("upstream", {}):
                del record["upstream"][ref]
            continue
        if "upstream" not in record:
            record["upstream"] = tomlkit.table(is_super_table=True)
        entry = tomlkit.table()
        entry["state"] = state_here
        if result.evidence and result.outcome in (Outcome.UPSTREAM, Outcome.PARTIAL,
                                                  Outcome.CONFLICT):
            entry["evidence"] = _evidence_array(result.evidence)
        for key in ("hunks_total", "hunks_present"):
            if getattr(result.upstream, key):
                entry[key] = getattr(result.upstream, key)
        entry["checked_at"] = checked
        entry["ref_commit"] = state["to"]["commit"]
        entry.add(tomlkit.nl())
        record["upstream"][ref] = entry


def _aside_base(record, state: dict, result: PatchResult) -> str | None:
    """The base a set-aside patch's file applies to (kept while it stays set aside), so
    that pushing it later can merge it 3-way from there."""
    if result.outcome is not Outcome.CONFLICT:
        return None
    return str(record.get("set_aside_on") or state["from"]["commit"])


def _set(table, key: str, value) -> None:
    if value is None:
        if key in table:
            del table[key]
    else:
        table[key] = value


def _evidence_array(items):
    import tomlkit

    array = tomlkit.array()
    for item in items:
        inline = tomlkit.inline_table()
        inline["method"] = item.method.value
        inline["commits"] = list(item.commits)
        if item.detail:
            inline["detail"] = item.detail
        if item.confidence is not None:
            inline["confidence"] = item.confidence.value
        array.append(inline)
    return array


def _all_unchanged(results) -> bool:
    """Every patch kept byte for byte: range-diff would pair each with itself (``=``), and
    show nothing once those pairs are left out, so it is not run."""
    return all(r.outcome is Outcome.UNCHANGED for r in results)


def _changed_range_diff(text: str) -> str:
    """``git range-diff`` without the pairs that are the same (``=``): what changed."""
    out, keep = [], False
    for line in text.splitlines():
        match = _PAIR.match(line)
        if match:
            keep = match.group(1) != "="
        if keep:
            out.append(line)
    return "\n".join(out) + ("\n" if out else "")


# -- continue, skip, abort, status -------------------------------------------------------------------


def continue_rebase(ws: Workspace, progress: Progress | None = None) -> RebaseResult:
    """Record the person's resolution of the stopped patch (``modified``) and go on; after a
    crash or Ctrl-C, go on from the last saved step."""
    ws.read_only()
    git, state = _load(ws)
    with pqstore.locked(git):
        state = pqstore.current(git) or state
        store = ObjectStore(git)
        try:
            stop = state.get("stop") or {}
            if state["phase"] == "stopped" and stop.get("skipping"):
                _set_aside(ws, git, store, state)
            elif state["phase"] == "stopped" and stop.get("materialized"):
                _take_resolution(ws, git, store, state)
            return _drive(ws, git, store, state, progress)
        finally:
            store.close()


def _stop_of(state: dict) -> Stop:
    stop = state["stop"]
    return Stop(stop["index"], stop["slug"], stop["parent"], tuple(stop["files"]),
                tuple(stop["messages"]), stop.get("pick", ""))


def _take_resolution(ws: Workspace, git: Git, store: ObjectStore, state: dict) -> None:
    """The stopped patch as the person resolved it (staged, or committed by hand). Saved
    before HEAD moves, so a crash in between is finished by the next --continue."""
    from ..rebasing import rewrite_commit

    stop = state["stop"]
    branch = state["branch"]
    parent = stop["parent"]
    if "resolution" not in stop:
        if git.current_branch() != branch:
            raise StateError(f"HEAD is not on {branch}, where the conflict of {stop['slug']} "
                             "is", f"`git checkout {branch}`, resolve, `git add`, then "
                             "`patchq rebase --continue`")
        conflicted = unmerged_paths(git)
        if conflicted:
            shown = ", ".join(conflicted[:5]) + (" ..." if len(conflicted) > 5 else "")
            raise StateError(f"unresolved conflicts remain in {shown}",
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
            tree = git.tree_of(head)
        else:
            unstaged = unstaged_paths(git)
            if unstaged:
                shown = ", ".join(unstaged[:5]) + (" ..." if len(unstaged) > 5 else "")
                raise StateError(f"changes not staged in {shown}",
                                 "`git add` what belongs to the resolution, then "
                                 "`patchq rebase --continue`")
            tree = index_tree(git)
        old = state["patches"][stop["index"]]["commit"]
        engine = _engine(ws, git, store, state, None)
        if tree == git.tree_of(parent):
            result = engine.person_result(_stop_of(state), Person.RESOLVED_EMPTY, None,
                                          "a person resolved the conflict to no change")
        else:
            result = engine.person_result(_stop_of(state), Person.RESOLVED,
                                          rewrite_commit(store, old, tree, parent),
                                          "resolved by a person: "
                                          + ", ".join(stop["files"][:5]))
        stop["resolution"] = result.as_json()
        if result.new_commit:
            state["branch_values"].append(result.new_commit)
        _save(git, state)
        crash_point("resolution saved")
    result = PatchResult.from_json(stop["resolution"])
    new_tip = result.new_commit or parent
    if git.current_branch() == branch and git.head() != new_tip:
        reset(git, "soft", new_tip)
    crash_point("resolution committed")
    results = _results(state)
    results.append(result)
    state.update(phase="running", results=[r.as_json() for r in results],
                 next=stop["index"] + 1, tip=new_tip, stop=None)
    _save(git, state)


def skip(ws: Workspace, progress: Progress | None = None, drop: bool = False) -> RebaseResult:
    """Set the stopped patch aside (kept in the series unchanged, marked as needing a
    person) and go on; with ``drop``, take it out of the series instead (``dropped``)."""
    ws.read_only()
    git, state = _load(ws)
    with pqstore.locked(git):
        state = pqstore.current(git) or state
        stop = state.get("stop")
        if state["phase"] != "stopped" or not stop:
            raise StateError("the rebase is not stopped at a conflict, nothing to skip",
                             "`patchq rebase --continue` or `--abort`")
        if "resolution" in stop:
            raise StateError("the resolution of the stopped patch is already recorded",
                             "`patchq rebase --continue`")
        if stop.get("materialized") and git.current_branch() == state["branch"] and \
                git.head() != stop["parent"]:
            raise StateError(f"{state['branch']} moved beyond the stopped patch",
                             "`patchq rebase --continue` to keep the commit, or `--abort`")
        stop["skipping"] = "drop" if drop else True
        _save(git, state)
        crash_point("skip saved")
        store = ObjectStore(git)
        try:
            _set_aside(ws, git, store, state)
            return _drive(ws, git, store, state, progress)
        finally:
            store.close()


def _set_aside(ws: Workspace, git: Git, store: ObjectStore, state: dict) -> None:
    stop = state["stop"]
    if git.current_branch() == state["branch"] and (unmerged_paths(git) or git.is_dirty()):
        _drop_conflict(git)
    crash_point("conflict dropped")
    results = _results(state)
    engine = _engine(ws, git, store, state, None)
    if stop.get("skipping") == "drop":
        results.append(engine.person_result(_stop_of(state), Person.DROPPED, None,
                                            "a person dropped it (`patchq rebase --drop`)"))
    else:
        aside = engine.conflict_result(_stop_of(state))
        results.append(replace(aside, detail="set aside by --skip" + (
            f": {aside.detail}" if aside.detail else "")))
    state.update(phase="running", results=[r.as_json() for r in results],
                 next=stop["index"] + 1, tip=stop["parent"], stop=None)
    _save(git, state)


def abort(ws: Workspace) -> AbortResult:
    """Put the queue branch, HEAD, the series files, the map and the manifest back exactly as
    they were before the rebase. Works from any point, also after a crash."""
    git, state = _load(ws)
    with pqstore.locked(git):
        state = pqstore.current(git) or state
        branch = state["branch"]
        orig = state["orig"]
        # a git child killed with patchq leaves index.lock; one no process holds is removed
        git.clear_stale_index_lock()
        try:
            if git.current_branch() == branch and (unmerged_paths(git) or git.is_dirty()):
                _drop_conflict(git)
            crash_point("abort: conflict dropped")
            current = git.branch_tip(branch)
            head_branch = git.current_branch()
            if orig["head_branch"] == branch:
                if orig["tip"] and head_branch == branch:
                    if current != orig["tip"]:
                        reset(git, "keep", orig["tip"])
                elif orig["tip"]:
                    if current != orig["tip"]:
                        git.update_ref(f"refs/heads/{branch}", orig["tip"], current,
                                       "patchq rebase --abort")
                    git.switch(branch)
            else:
                moved = head_branch != orig["head_branch"] or (
                    orig["head_branch"] is None and git.head() != orig["head_commit"])
                if moved and orig["head_commit"] is not None:
                    detach_or_switch(git, orig["head_branch"], orig["head_commit"])
                current = git.branch_tip(branch)
                if orig["tip"] is None and current is not None:
                    git.delete_ref(f"refs/heads/{branch}", current)
                elif orig["tip"] is not None and current != orig["tip"]:
                    git.update_ref(f"refs/heads/{branch}", orig["tip"], current,
                                   "patchq rebase --abort")
            crash_point("abort: branch restored")
            restored = _restore(ws, git, state)
        except OSError as exc:
            raise StateError(f"cannot restore the series: {exc.strerror or exc}",
                             "free some space, then `patchq rebase --abort` again") from None
        crash_point("abort: files restored")
        pqstore.clear(git)
        _remove_backup(git)
    return AbortResult(state["track"], branch, git.current_branch() or (git.head() or ""),
                       restored)


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
    state = pqstore.current(git)
    if state is None or state.get("verb") != VERB:
        return None
    phase = {"running": "interrupted", "finishing": "interrupted"}.get(state["phase"],
                                                                       state["phase"])
    result = _result(state, phase, _results(state))
    if result.stopped is not None:
        # killed after the stop was saved, before its conflict reached the work tree:
        # nothing is resolved yet (--continue checks the conflict out)
        result.checked_out = bool(state["stop"].get("materialized"))
        if result.checked_out and git.current_branch() == state["branch"]:
            result.unresolved = unmerged_paths(git)
    return result


