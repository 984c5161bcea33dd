"""Running git: one process per command through :func:`execute`, the repository opened with
one ``git rev-parse``, and the objects read through one persistent ``git cat-file --batch``.

Every failure becomes a :class:`~patchq.errors.GitError` with git's own words.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import GitError
from .gitobjects import SUPPORTED_FORMATS, BatchReader, ObjectStore

# Options that make diffs identical whatever the user's configuration says.
DIFF_CONFIG = (
    "-c", "diff.noprefix=false", "-c", "diff.mnemonicPrefix=false", "-c", "diff.renames=true",
    "-c", "diff.algorithm=myers", "-c", "diff.context=3", "-c", "diff.interHunkContext=0",
    "-c", "diff.suppressBlankEmpty=false", "-c", "diff.external=", "-c", "core.quotePath=true",
    "-c", "diff.relative=false", "-c", "diff.orderFile=", "-c", "color.ui=false",
    "-c", "core.autocrlf=false", "-c", "core.safecrlf=false", "-c", "apply.whitespace=nowarn",
)
DIFF_OPTIONS = ("-M", "--full-index", "--binary", "--stat=72", "--summary", "-p", "--no-color",
                "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/", "--ignore-submodules=none")

FALLBACK_NAME = "Unknown"
FALLBACK_EMAIL = "unknown@patchq.invalid"


@dataclass(frozen=True)
class Identity:
    name: str
    email: str
    date: str  # RFC 2822, ISO 8601 or "<epoch> <tz>"

    def signature(self) -> str:
        return f"{self.name} <{self.email}> {git_time(self.date)}"


def git_time(date: str) -> str:
    """'<epoch> <+hhmm>' from an RFC 2822 date, ISO date or an existing git time."""
    if re.match(r"^\d+ [+-]\d{4}$", date):
        return date
    import email.utils  # a few ms to import: only for a date that is not git's own

    try:
        parsed = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        from datetime import datetime
        parsed = datetime.fromisoformat(date)
    offset = parsed.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{int(parsed.timestamp())} {sign}{minutes // 60:02d}{minutes % 60:02d}"


@dataclass(frozen=True)
class Result:
    status: int
    stdout: bytes
    stderr: str


class GitBase:
    """One repository: running git in it, its paths, its object reader and store.
    ``Git(path)`` raises GitError when path is not a git repository patchq can work in."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise GitError(f"upstream clone {self.path} does not exist",
                           "pass --upstream-dir or set [upstream] path in upstream_map.toml")
        self._env: dict[str, str] = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "LANGUAGE": "C"}
        self._readers: dict[tuple[str, str], BatchReader] = {}
        self._stores: dict[tuple[str, str], ObjectStore] = {}
        self._git_paths: dict[tuple[str, str | None], Path] = {}
        # the repository's top (or a bare repository) in one git process; an old git prints
        # --show-object-format back as it is (such a git knows SHA-1 alone)
        res = self.run("rev-parse", "--is-bare-repository", "--show-object-format",
                       "--absolute-git-dir", "--git-common-dir", "--show-cdup", ok=(0, 128))
        lines = res.stdout.decode("utf-8", "surrogateescape").splitlines()
        bare = lines[:1] == ["true"]
        if res.status != 0 or len(lines) < 4 or (not bare and lines[4:5] not in ([], [""])):
            raise GitError(f"{self.path} is not a git repository",
                           "point patchq at a clone of upstream")
        self.object_format = lines[1] if lines[1] in ("sha1", "sha256") else "sha1"
        if self.object_format not in SUPPORTED_FORMATS:
            raise GitError(f"{self.path} uses SHA-256 object ids, which "
                           "patchq does not support", "use a SHA-1 clone of upstream")
        self.git_dir = Path(lines[2])
        self._common_dir = self.path / lines[3]  # the main repository's, in a worktree

    # -- running commands -------------------------------------------------------------------

    def run(self, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None,
            ok: Sequence[int] = (0,), config: Sequence[str] = ()) -> Result:
        """Run ``git args``; raise GitError unless its status is in ``ok``."""
        full_env = dict(self._env)
        if env:
            full_env.update(env)
        command = ["git", *config, *args]
        stdin = None
        if input is not None:
            import tempfile

            stdin = tempfile.TemporaryFile()  # noqa: SIM115 -- closed below
            stdin.write(input)
            stdin.seek(0)
        try:
            status, out, err = execute(command, self.path, full_env, stdin)
        except OSError as exc:
            raise GitError(f"could not run git: {exc}", "is git installed?") from exc
        finally:
            if stdin is not None:
                stdin.close()
        return self._checked(args, status, out, err, ok)

    def start(self, *args: str, config: Sequence[str] = ()) -> Pending:
        """Start ``git args`` without waiting: patchq goes on while git works on the other
        core. Its output goes to temporary files, so a long output never blocks it. Only for
        commands that read objects (neither the index nor the work tree, which patchq may be
        changing meanwhile). ``Pending.result()`` waits; ``Pending.cancel()`` stops it."""
        import tempfile

        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115
        try:
            proc = subprocess.Popen(["git", *config, *args], cwd=self.path,
                                    env={**os.environ, **self._env},
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        except OSError as exc:
            out.close()
            err.close()
            raise GitError(f"could not run git: {exc}", "is git installed?") from exc
        return Pending(self, args, proc, out, err)

    def _checked(self, args: Sequence[str], status: int, out: bytes, err: bytes,
                 ok: Sequence[int]) -> Result:
        err_text = err.decode("utf-8", "replace")
        if status not in ok:
            first = next((ln for ln in err_text.splitlines() if ln.strip()), "")
            locked = self._index_lock()
            if locked is not None and ("index.lock" in err_text or not first):
                # git's own advice, in one line (a killed git leaves its lock behind)
                raise GitError(f"git {args[0]} failed: {locked} exists",
                               "another git process seems to be running in this repository; "
                               "make sure all are terminated, then try again; if it still "
                               "fails, a git process crashed there earlier: remove the file "
                               "to continue")
            raise GitError(f"git {args[0]} failed: {first or f'exit status {status}'}")
        return Result(status, out or b"", err_text)

    def out(self, *args: str, **kw: Any) -> str:
        return self.run(*args, **kw).stdout.decode("utf-8", "surrogateescape").strip()

    def clear_stale_index_lock(self, settle: float = 0.2) -> Path | None:
        """Remove ``index.lock`` when it is certainly left over: open in no process, twice,
        ``settle`` seconds apart, and the same file both times (a git holding the lock keeps
        it open until it renames it into place, and the moment between its close and its
        rename is far shorter; Linux's /proc tells who has it open). Returns the path
        removed, or None (no lock, no /proc, or one that may be held: then git's own advice
        stands). Only for recovery (``rebase --abort``) under patchq's lock."""
        import time

        lock = self._index_lock()
        if lock is None or not Path("/proc/self/fd").is_dir():
            return None
        try:
            first = lock.stat()
            if _open_anywhere(lock):
                return None
            time.sleep(settle)
            again = lock.stat()
            if (again.st_ino, again.st_mtime_ns) != (first.st_ino, first.st_mtime_ns) \
                    or _open_anywhere(lock):
                return None
            lock.unlink()
        except OSError:
            return None
        return lock

    def _index_lock(self) -> Path | None:
        """The index's lock file, when it is there (git refuses to touch the index then)."""
        lock = self.git_dir / "index.lock"
        return lock if lock.exists() else None

    def git_path(self, name: str) -> Path:
        """A path inside the git dir (``git rev-parse --git-path``); asked once per name."""
        cache = self._git_paths
        key = (name, self._env.get("GIT_OBJECT_DIRECTORY"))
        if key not in cache and (name in ("", "patchq") or name.startswith("patchq/")):
            # not a path git relocates (objects, index, refs...): $GIT_DIR/name, no process
            cache[key] = self.git_dir / name
        if key not in cache and name == "objects" and not key[1] and \
                "GIT_OBJECT_DIRECTORY" not in os.environ:
            cache[key] = self._common_dir / "objects"
        if key not in cache:
            path = Path(self.out("rev-parse", "--git-path", name))
            cache[key] = path if path.is_absolute() else self.path / path
        return cache[key]

    # -- objects: one reader and one store per object directory ------------------------------

    def _objects_key(self) -> tuple[str, str]:
        return (self._env.get("GIT_OBJECT_DIRECTORY", ""),
                self._env.get("GIT_ALTERNATE_OBJECT_DIRECTORIES", ""))

    def object_directory(self) -> str:
        """Where new objects go (the quarantine's directory while one is active)."""
        return self._env.get("GIT_OBJECT_DIRECTORY") or \
            os.environ.get("GIT_OBJECT_DIRECTORY") or str(self.git_path("objects"))

    def reader(self) -> BatchReader:
        """The ``git cat-file --batch`` process of the current object directory, started on
        first use and kept for the whole command."""
        key = self._objects_key()
        found = self._readers.get(key)
        if found is None:
            found = self._readers[key] = BatchReader(self.path, self._env)
        return found

    @property
    def objects(self) -> ObjectStore:
        """The object store (reader and writer) of the current object directory."""
        key = self._objects_key()
        found = self._stores.get(key)
        if found is None:
            found = self._stores[key] = ObjectStore(self)
        return found

    def forget_objects(self, key: tuple[str, str]) -> None:
        """Stop the reader and drop the store of an object directory (a quarantine's)."""
        self._stores.pop(key, None)
        reader = self._readers.pop(key, None)
        if reader is not None:
            reader.close()

    def close(self) -> None:
        """Stop the readers (they stop by themselves when patchq exits)."""
        for key in list(self._readers):
            self.forget_objects(key)

    def read_object(self, name: str) -> tuple[str, bytes] | None:
        """(type, data) of the object ``name`` names (an id, ``REV:path``...), or None."""
        return self.reader().read(name)


class Pending:
    """A git process :meth:`GitBase.start` started: ``result()`` waits for it and checks its
    status as ``run`` does; ``cancel()`` stops it (a command that failed meanwhile)."""

    def __init__(self, git: GitBase, args: Sequence[str], proc: subprocess.Popen[bytes],
                 out: IO[bytes], err: IO[bytes]) -> None:
        self._git, self._args, self._proc, self._out, self._err = git, args, proc, out, err

    def result(self, ok: Sequence[int] = (0,)) -> Result:
        try:
            status = self._proc.wait()
            self._out.seek(0)
            self._err.seek(0)
            out, err = self._out.read(), self._err.read()
        finally:
            self._close()
        return self._git._checked(self._args, status, out, err, ok)

    def cancel(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._close()

    def _close(self) -> None:
        self._out.close()
        self._err.close()


def execute(command: list[str], cwd: Path, env: Mapping[str, str], stdin: IO[bytes] | None,
            timeout: float | None = None) -> tuple[int, bytes, bytes]:
    """(status, stdout, stderr) of one git process in ``cwd``, with patchq's environment on
    top of the user's; a process that outlives ``timeout`` is killed (status -9)."""
    proc = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env},
                            stdin=subprocess.DEVNULL if stdin is None else stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += f"\ngit did not finish within {timeout:g} s: stopped".encode()
        return -9, out, err
    return proc.returncode, out, err


def _open_anywhere(path: Path) -> bool:
    """Does any process this user can see have ``path`` open (Linux /proc)?"""
    target = str(path.resolve())
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            fds = list(fd_dir.iterdir())
        except OSError:
            continue  # another user's process
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    return True
            except OSError:
                continue
    return False
