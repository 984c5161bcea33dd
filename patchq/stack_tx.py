"""Changing a stack safely: plan it all, write a journal, apply; redo after a crash or Ctrl-C.

A stack command first makes every object it needs (commits, and the bytes of the files it will
write, stored as blobs in the upstream clone) without touching anything a person sees. Then
:func:`commit` saves the whole change as the operation state in the upstream clone's git dir
(:mod:`patchq.store`: atomic, under the lock) and applies it, step by step: the queue branch
(and the work tree when the branch is checked out), the patch repo's files, the manifest and
the stack record, then the next operation state (a stopped push, an edit) or none.

Every step can be done twice, so a crash at any moment leaves either nothing done (no journal
yet) or a journal that the next stack command finishes first (:func:`recover`).

Tests stop a real process at a named step with ``PATCHQ_TEST_CRASH_AT=STEP`` (SIGKILL) or
``PATCHQ_TEST_INTERRUPT_AT=STEP`` (Ctrl-C): see :mod:`patchq.crash`.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from pathlib import Path

from . import crash, stack_state
from . import store as pqstore
from .errors import GitError, StateError
from .files import atomic_write, remove_stray_temps
from .git import Git, blob_data, changed_paths, force_tree, reset_index, write_blob
from .queue import write_stack_record
from .queuecache import Manifest


class WorkTree(str, Enum):
    """What a branch move does to the work tree when the branch is checked out (saved in the
    journal by its value)."""

    KEEP = "keep"  # the work tree follows, local changes are refused (git reset --keep)
    FORCE = "force"  # the work tree and index become the new tree, local changes are discarded
    INDEX = "index"  # the index follows, the work tree stays (refresh: it already is the new tree)
    NONE = "none"  # only the ref moves (the new tip has the same tree)
    FILES = "files"  # no ref moves at all: only the files and the records (an export)


KEEP, FORCE, INDEX, NONE, FILES = (WorkTree.KEEP, WorkTree.FORCE, WorkTree.INDEX, WorkTree.NONE,
                                   WorkTree.FILES)


def crashpoint(step: str) -> None:
    """A named step of a stack command, where tests kill or interrupt the process
    (:mod:`patchq.crash`)."""
    crash.point(step)


@dataclass
class Change:
    """Everything one stack command changes, in a form that can be saved and redone."""

    verb: str
    track: str
    branch: str
    old_tip: str
    new_tip: str
    work_tree: WorkTree = WorkTree.KEEP
    files: dict[str, str | None] = field(default_factory=dict)  # path -> blob id, None: delete
    manifest: dict[str, str] = field(default_factory=dict)  # commit -> digest of its file
    manifest_keep: list[str] = field(default_factory=list)  # the applied commits afterwards
    manifest_tip: bool = False  # the new tip is fully exported
    stack_base: str = ""  # write the stack record for this base
    then: stack_state.StackState | None = None  # the operation state afterwards

    def write(self, git: Git, path: Path, data: bytes) -> None:
        self.files[str(path)] = write_blob(git, data)

    def delete(self, path: Path) -> None:
        self.files[str(path)] = None


def interrupted_hint(track: str) -> str:
    return ("it was interrupted: the next patchq command that writes finishes it first "
            f"(`patchq top --track {track}`)")


def check_untracked(git: Git, change: Change) -> None:
    """Refuse before anything changes when the move would overwrite untracked files."""
    if change.work_tree not in (KEEP, FORCE) or git.current_branch() != change.branch:
        return
    _, added = changed_paths(git, change.old_tip, change.new_tip)
    in_the_way = [p for p in added if os.path.lexists(git.path / p)]
    if in_the_way:
        shown = ", ".join(in_the_way[:3]) + (" ..." if len(in_the_way) > 3 else "")
        raise StateError(f"untracked files in {git.path} would be overwritten ({shown})",
                         "move them away, then run the command again")


def commit(git: Git, change: Change) -> None:
    """Journal ``change`` and apply it. If the branch move fails (the first step), nothing
    has changed and the journal goes; a later failure or a crash leaves the journal for
    :func:`recover`."""
    check_untracked(git, change)
    crashpoint("planned")
    pqstore.save(git, {"verb": change.verb, "track": change.track, "phase": "commit",
                       "change": _journal(change), "hint": interrupted_hint(change.track)})
    crashpoint("journaled")
    try:
        _move_branch(git, change, recovering=False)
    except GitError:
        pqstore.clear(git)
        raise
    _finish(git, change)


def interrupted(git: Git) -> bool:
    """Is a change journaled in ``git``'s clone, waiting to be finished (:func:`recover`)?"""
    state = pqstore.current(git)
    return state is not None and state.get("phase") == "commit"


def recover(git: Git) -> str | None:
    """Finish a change a crash or Ctrl-C interrupted; returns what was finished, or None."""
    state = pqstore.current(git)
    if not state or state.get("phase") != "commit" or "change" not in state:
        return None
    saved = dict(state["change"])
    change = Change(**{**saved, "work_tree": WorkTree(saved.get("work_tree", "keep")),
                       "then": stack_state.typed(saved.get("then"))})
    _move_branch(git, change, recovering=True)
    _finish(git, change)
    return f"patchq {change.verb} of track {change.track}"


def commit_files(git: Git, verb: str, track: str, branch: str, tip: str,
                 files: dict[Path, bytes | None], digests: dict[str, str]) -> list[Path]:
    """Journal and write ``files`` (None: delete) and the manifest of ``branch`` at ``tip``
    (commit -> digest of its file), all or nothing across a crash: an export. Returns the
    paths written."""
    change = Change(verb=verb, track=track, branch=branch, old_tip=tip, new_tip=tip,
                    work_tree=FILES, manifest=dict(digests), manifest_tip=True)
    for path, data in files.items():
        if data is None:
            change.delete(path)
        else:
            change.write(git, path, data)
    commit(git, change)
    return sorted(files)


def _finish(git: Git, change: Change) -> None:
    crashpoint("branch-moved")
    for directory, names in _by_directory(change.files).items():
        remove_stray_temps(directory, names)  # of a write the crash cut short
    for name, blob in change.files.items():
        path = Path(name)
        if blob is None:
            path.unlink(missing_ok=True)
            _remove_empty_directories(path.parent)
            continue
        data = blob_data(git, blob)
        if not path.is_file() or path.read_bytes() != data:
            atomic_write(path, data)
        crashpoint("file-written")
    crashpoint("files-written")
    manifest = Manifest(git, change.track)
    for sha, file_digest in change.manifest.items():
        manifest.record(sha, file_digest)
    if change.manifest_tip:
        manifest.set_tip(change.branch, change.new_tip)
    manifest.save(keep=[*change.manifest_keep, *change.manifest])
    if change.stack_base:
        write_stack_record(git, change.track, change.stack_base)
    crashpoint("recorded")
    stack_state.save(git, change.then)


def _journal(change: Change) -> dict:
    """``change`` as the journal saves it (the state afterwards in its own JSON)."""
    return {**asdict(replace(change, then=None)), "then": stack_state.to_json(change.then)}


def _remove_empty_directories(directory: Path) -> None:
    """A directory a deleted patch file leaves empty goes too (``series/T/sub/`` after the
    patch in it is renamed out), and so on up; the track's own directory keeps its series
    file, so it stops there at the latest."""
    while True:
        try:
            directory.rmdir()  # only when empty
        except OSError:
            return
        directory = directory.parent


def _by_directory(files: dict[str, str | None]) -> dict[Path, set[str]]:
    out: dict[Path, set[str]] = {}
    for name in files:
        out.setdefault(Path(name).parent, set()).add(Path(name).name)
    return out


def _move_branch(git: Git, change: Change, recovering: bool) -> None:
    if change.work_tree == FILES:
        return
    ref = f"refs/heads/{change.branch}"
    current = git.branch_tip(change.branch)
    checked_out = git.current_branch() == change.branch
    old, new = change.old_tip, change.new_tip
    reason = f"patchq {change.verb}"
    if current == new:
        if checked_out and change.work_tree == INDEX:
            reset_index(git, new)  # the ref moved first; the index may not have followed
        elif checked_out and change.work_tree == FORCE and old == new:
            force_tree(git, new)  # back out changes in place (a stopped push)
        return
    if current != old:
        raise StateError(f"{change.branch} is at {str(current)[:12]}, not where the "
                         f"interrupted {reason} left it ({old[:12]} or {new[:12]})",
                         f"look at `git -C {git.path} reflog {change.branch}`; remove "
                         f"{pqstore.state_path(git)} once the branch is where you want it")
    if not checked_out or change.work_tree == NONE:
        git.update_ref(ref, new, old, reason)
    elif change.work_tree == KEEP:
        try:
            git.reset_keep(new)
        except GitError:
            if not recovering:
                raise
            _force_after_crash(git, change)
    elif change.work_tree == FORCE:
        force_tree(git, new)
        git.update_ref(ref, new, old, reason)
    else:  # INDEX
        git.update_ref(ref, new, old, reason)
        crashpoint("ref-moved")
        reset_index(git, new)


def _force_after_crash(git: Git, change: Change) -> None:
    """A move killed half way leaves some files of the new tree in place: finish it, unless the
    work tree holds changes to other files (someone edited after the crash)."""
    paths, _ = changed_paths(git, change.old_tip, change.new_tip)
    others = [p for p in git.dirty_files() if p not in set(paths)]
    if others:
        raise StateError(f"the interrupted patchq {change.verb} left the work tree half "
                         f"updated, and other files changed since ({', '.join(others[:3])})",
                         "commit or stash those, then run the command again")
    force_tree(git, change.new_tip)
    git.update_ref(f"refs/heads/{change.branch}", change.new_tip, change.old_tip,
                   f"patchq {change.verb} (finished)")
