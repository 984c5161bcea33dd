"""State of an operation in progress (a rebase stopped at a conflict, a stack edit...).

It lives in the upstream clone's git dir (``git rev-parse --git-path patchq/operation.json``),
is written atomically (temp file + ``os.replace``) under a lock file, so a crash or Ctrl-C at
any moment leaves either the old state or the new one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import StateError
from .files import atomic_write
from .git import Git

STATE = "patchq/operation.json"
LOCK = "patchq/lock"


def state_path(git: Git) -> Path:
    return git.git_path(STATE)


def current(git: Git) -> dict | None:
    """The operation in progress, or None."""
    path = state_path(git)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StateError(f"the operation state {path} is unreadable ({exc})",
                         "remove it by hand if no patchq command is running") from None


def describe(state: dict) -> str:
    return f"patchq {state.get('verb', 'operation')} of track {state.get('track', '?')}"


def refuse_if_busy(git: Git) -> None:
    state = current(git)
    if state is not None:
        verb = state.get("verb", "rebase")
        raise StateError(f"a {describe(state)} is in progress",
                         state.get("hint")
                         or f"finish it with `patchq {verb} --continue`, `--skip` or `--abort`")


def save(git: Git, state: dict) -> None:
    atomic_write(state_path(git), json.dumps(state, indent=1, sort_keys=True).encode())


def clear(git: Git) -> None:
    state_path(git).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def locked(git: Git) -> Iterator[None]:
    """Hold patchq's lock on this clone; a lock left by a dead process is taken over."""
    path = git.git_path(LOCK)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(path.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and _alive(pid) and pid != os.getpid():
                raise StateError(f"another patchq command (pid {pid}) is working on {git.path}",
                                 "wait for it to finish") from None
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as out:
            out.write(str(os.getpid()))
        break
    else:
        raise StateError(f"cannot take the lock {path}", "remove it if no patchq is running")
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
