"""patchq's one store of state in an upstream clone: ``.git/patchq/``.

This module owns the directory: its layout and version, the lock, and the operation state
(which doubles as the journal of an interrupted change). Everything else asks it for paths.

Layout (version :data:`VERSION`, in ``.git/patchq/version``):

- ``lock``: the pid (and command) of the patchq command writing. It is written to a temp file
  first and then hard-linked into place, so it never exists empty. It is taken over only when
  that pid is dead; taking and breaking it happens under ``lock.guard`` (``flock``, released by
  the kernel when its holder dies), so two commands never both break one stale lock.
- ``operation.json``: the operation in progress (a rebase or push stopped at a conflict, an
  edit), or the journal of a change in its ``commit`` phase (:mod:`patchq.stack_tx`): a change
  wholly planned, which the next writer finishes before doing anything else.
- ``rebase-backup/``: the files a rebase in progress may change, as they were before it.
- ``history/T/``: the record (and range-diff) of every finished rebase of track T
  (:mod:`patchq.rebase_history`): history, the one part of the store that cannot be rebuilt.
- ``queue-T.json`` (which commit each patch file produced), ``stack-T.json`` (a stack's base),
  ``builds.json`` (builds remembered): caches.
- ``quarantine-*``: objects of a dry run, removed when it ends.

Every command that writes the map, a series or a ref runs inside :func:`writing`: it takes
the lock (waiting a while for another command to finish), finishes an interrupted change,
refuses with one line while an operation is in progress, and makes the workspace read the map
afresh, so read-modify-write of the map by two commands is serialised. Read-only commands never
take the lock.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import PatchqError, StateError
from .files import atomic_write

if TYPE_CHECKING:
    from .git import Git
    from .workspace import Workspace

DIR = "patchq"
VERSION = 1
STATE = f"{DIR}/operation.json"
LOCK = f"{DIR}/lock"
GUARD = f"{DIR}/lock.guard"
VERSION_FILE = f"{DIR}/version"
BACKUP = f"{DIR}/rebase-backup"
BUILDS = f"{DIR}/builds.json"
WAIT_ENV = "PATCHQ_LOCK_WAIT"
DEFAULT_WAIT = 10.0  # seconds a writer waits for another one to finish


def path(git: Git, name: str) -> Path:
    """A path of the store (``name`` relative to ``.git/patchq``)."""
    return git.git_path(f"{DIR}/{name}")


def manifest_path(git: Git, track: str) -> Path:
    return path(git, f"queue-{track}.json")


def stack_record_path(git: Git, track: str) -> Path:
    return path(git, f"stack-{track}.json")


# -- the operation state ---------------------------------------------------------------------


def state_path(git: Git) -> Path:
    return git.git_path(STATE)


def current(git: Git) -> dict | None:
    """The operation in progress (or the journal of an interrupted change), or None."""
    where = state_path(git)
    try:
        state = json.loads(where.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StateError(f"the operation state {where} is unreadable ({exc})",
                         "remove it by hand if no patchq command is running") from None
    if not isinstance(state, dict) or not isinstance(state.get("verb", ""), str):
        raise StateError(f"the operation state {where} is not one patchq wrote (a JSON "
                         f"{type(state).__name__}, not an object with a verb)",
                         "remove it by hand if no patchq command is running")
    return state


def describe(state: dict) -> str:
    return f"patchq {state.get('verb', 'operation')} of track {state.get('track', '?')}"


def refuse_if_busy(git: Git, also: str = "") -> None:
    """One line naming the operation in progress, and how to finish it (``also``: another
    way out, added to the hint)."""
    state = current(git)
    if state is not None:
        verb = state.get("verb", "rebase")
        hint = state.get("hint") or \
            f"finish it with `patchq {verb} --continue`, `--skip` or `--abort`"
        raise StateError(f"a {describe(state)} is in progress in {git.path}",
                         f"{hint}, {also}" if also else hint)


def check_idle(ws: Workspace, also: str = "") -> None:
    """Refuse, before a writer does slow work (asking GitHub, checking every patch), when an
    operation is in progress; :func:`writing` checks again under the lock."""
    primary = _clone(ws)
    for git in _all_clones(ws, primary) if primary is not None else []:
        state = current(git)
        if state is not None and state.get("phase") != "commit":  # an interrupted change
            refuse_if_busy(git, also)  # is finished by writing(), not refused


def refuse_if_others_busy(ws: Workspace) -> None:
    """Refuse while an operation is in progress in another upstream's clone than the selected
    one (the map is one: that operation's --abort would put back a map without this
    command's changes). Nothing to do with one upstream."""
    try:
        if len(ws.map.upstream_names()) < 2:
            return
        mine = ws.git.path
        others = [g for g in ws.clones() if g.path != mine]
    except PatchqError:
        return
    for git in others:
        state = current(git)
        if state is not None and state.get("phase") != "commit":
            refuse_if_busy(git)


def select_busy(ws: Workspace) -> None:
    """When the map names several upstreams, select the one whose clone has an operation in
    progress (``--continue``, ``--abort`` and a stopped rebase's map edits find it there); the
    selected upstream stays when none has one."""
    try:
        names = ws.map.upstream_names()
    except (PatchqError, AttributeError):
        return
    if len(names) < 2:
        return
    for name in sorted(names, key=lambda n: n != ws.selected):
        try:
            git = ws.git_of(name)
        except PatchqError:
            continue
        if current(git) is not None:
            ws.selected = name
            return


def save(git: Git, state: dict) -> None:
    atomic_write(state_path(git), json.dumps(state, indent=1, sort_keys=True).encode())


def clear(git: Git) -> None:
    state_path(git).unlink(missing_ok=True)


# -- the version of the layout -----------------------------------------------------------------


def check_version(git: Git) -> None:
    """Refuse a store a newer patchq laid out; mark a new store with this version."""
    where = git.git_path(VERSION_FILE)
    try:
        text = where.read_text().strip()
    except FileNotFoundError:
        where.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(where, f"{VERSION}\n".encode())
        return
    except OSError as exc:
        raise StateError(f"cannot read {where} ({exc.strerror or exc})",
                         "check the upstream clone's permissions") from None
    if not text.isdigit() or int(text) > VERSION:
        raise StateError(f"patchq's state in {where.parent} has layout version {text!r}; this "
                         f"patchq knows version {VERSION}", "use the patchq that made it")


# -- the lock ----------------------------------------------------------------------------------

_held: dict[Path, int] = {}  # lock path -> depth (the lock is reentrant within a process)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(lock: Path) -> tuple[int | None, str | None]:
    """(pid, the whole line) of the lock file; pid None when it holds none, line None when
    there is no lock file."""
    try:
        text = lock.read_text(errors="replace").strip()
    except FileNotFoundError:
        return None, None
    first = text.split(maxsplit=1)[0] if text else ""
    return (int(first) if first.isdigit() and int(first) > 0 else None), text


def _command_line() -> str:
    import sys

    words = [os.path.basename(sys.argv[0]) if sys.argv else "patchq", *sys.argv[1:3]]
    return " ".join(w.encode("utf-8", "replace").decode("utf-8") for w in words)[:120]


def _try_take(lock: Path) -> tuple[bool, int | None, str | None]:
    """Take the lock if it is free or stale: (taken, holder's pid, holder's line)."""
    import fcntl

    guard = lock.with_name(lock.name + ".guard")
    fd = os.open(guard, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        pid, line = _holder(lock)
        if line is not None and (pid is None or (pid != os.getpid() and _alive(pid))):
            return False, pid, line
        lock.unlink(missing_ok=True)  # free, or held by a dead process (or by this pid, reused)
        temp = lock.with_name(f"{lock.name}.{os.getpid()}.new")
        temp.write_text(f"{os.getpid()} {_command_line()}\n")
        try:
            os.link(temp, lock)  # appears whole, pid and all, or not at all
        finally:
            temp.unlink(missing_ok=True)
        return True, None, ""
    finally:
        os.close(fd)  # releases the flock


def _wait() -> float:
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV, DEFAULT_WAIT)))
    except ValueError:
        return DEFAULT_WAIT


@contextmanager
def locked(git: Git) -> Iterator[None]:
    """Hold patchq's lock on this clone, waiting up to ``PATCHQ_LOCK_WAIT`` seconds (10) for
    another patchq command to finish. A lock left by a dead process is taken over; one that
    holds no pid is never taken (patchq always writes its pid with the file)."""
    lock = git.git_path(LOCK)
    if _held.get(lock):
        _held[lock] += 1
        try:
            yield
        finally:
            _held[lock] -= 1
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + _wait()
    delay = 0.01
    while True:
        taken, pid, line = _try_take(lock)
        if taken:
            break
        if time.monotonic() >= deadline:
            line = line or ""
            if pid is None:
                raise StateError(f"the lock file {lock} holds no pid ({line[:40]!r}), so "
                                 "patchq cannot tell whether its owner runs",
                                 "remove it if no patchq command is running")
            rest = line.split(maxsplit=1)[1] if " " in line else "patchq"
            raise StateError(f"another patchq command (pid {pid}, `{rest}`) is working on "
                             f"{git.path}", "wait for it to finish, then run this again")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    _held[lock] = 1
    try:
        yield
    finally:
        _held.pop(lock, None)
        pid, _ = _holder(lock)
        if pid == os.getpid():
            lock.unlink(missing_ok=True)


# -- writers -----------------------------------------------------------------------------------


def _clone(ws: Workspace) -> Git | None:
    """The upstream clone, or None when there is none to open (then no operation can be in
    progress and there is no store: a command that needs the clone says so itself)."""
    try:
        return ws.git
    except PatchqError:
        return None


def carries_map_edits(state: dict | None, ws: Workspace, git: Git) -> bool:
    """Is ``state`` a rebase of this patch repo that takes edits of people-owned map fields
    along (stopped, or interrupted before it began writing the series and the map)? Then its
    backup of the map gets the same edit, so that --abort and the end of the rebase keep it."""
    if not state or state.get("verb") != "rebase" or state.get("phase") not in (
            "stopped", "running") or not isinstance(state.get("patch_repo"), str):
        return False
    return (git.path / state["patch_repo"]).resolve() == ws.root.resolve()


@contextmanager
def writing(ws: Workspace, *, allow_edit: bool = False,
            map_fields: bool = False) -> Iterator[str | None]:
    """Run a command that writes the map, a series or a ref: hold the lock, finish an
    interrupted change (yields what was finished, or None), refuse while an operation is in
    progress, and read the map afresh. An edit is let through with ``allow_edit``; a rebase
    that carries map edits along (:func:`carries_map_edits`) with ``map_fields``, for a
    command that changes only people-owned fields of the map and then calls
    ``commands.rebase.carry_map``."""
    primary = _clone(ws)
    if primary is None:
        yield None
        return
    clones = _all_clones(ws, primary)
    if _held.get(primary.git_path(LOCK)):  # inside another writer of this process: all done
        with ExitStack() as held:
            for git in clones:
                held.enter_context(locked(git))
            yield None
        return
    from . import stack_tx
    from .stack_state import EditState, typed

    with ExitStack() as held:
        done = []
        for git in clones:  # the same order in every command (the map's): no deadlock
            held.enter_context(locked(git))
        for git in clones:
            check_version(git)
            finished = stack_tx.recover(git)
            if finished:
                done.append(finished)
            state = current(git)
            if state is not None and not (allow_edit and isinstance(typed(state), EditState)) and \
                    not (map_fields and carries_map_edits(state, ws, git)):
                refuse_if_busy(git)
        ws.forget_map()
        finished = ", ".join(done) or None
        if finished:
            from .ui import echo

            echo(f"patchq: finished the interrupted {finished} first", err=True)
        yield finished


def _all_clones(ws: Workspace, primary: Git) -> list[Git]:
    """The selected upstream's clone and, when the map names several upstreams, every other
    clone that opens: a writer of the map holds the lock of each (one map, several clones) and
    refuses while an operation is in progress in any of them."""
    try:
        others = ws.clones()
    except PatchqError:
        others = []
    if len(others) < 2:
        return [primary]
    return others if any(g.path == primary.path for g in others) else [primary, *others]
