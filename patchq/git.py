"""The only module that runs git. GitPython runs the commands and writes objects.

Every failure becomes a :class:`GitError` with git's own words. Commands that produce diffs
pin their options (``-c`` overrides), so a user's configuration cannot change what patchq
writes.
"""

from __future__ import annotations

import email.utils
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from .errors import ApplyError, GitError
from .model import SLUG_TRAILER, QueueCommit

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
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


@dataclass(frozen=True)
class Identity:
    name: str
    email: str
    date: str  # RFC 2822, ISO 8601 or "<epoch> <tz>"

    def signature(self) -> str:
        return f"{self.name} <{self.email}> {_git_time(self.date)}"


def _git_time(date: str) -> str:
    """'<epoch> <+hhmm>' from an RFC 2822 date, ISO date or an existing git time."""
    if re.match(r"^\d+ [+-]\d{4}$", date):
        return date
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


def strip_trailer(message: str) -> tuple[str, str]:
    """Split patchq's slug trailer off a commit message: (message, slug).

    >>> strip_trailer("Fix it\\n\\nWhy.\\n\\nPatchq-Slug: fix-it\\n")
    ('Fix it\\n\\nWhy.\\n', 'fix-it')
    """
    slug = ""
    kept = []
    for line in message.splitlines():
        if line.startswith(SLUG_TRAILER + ":"):
            slug = line.split(":", 1)[1].strip()
        else:
            kept.append(line)
    text = "\n".join(kept).strip("\n")
    return (text + "\n" if text else ""), slug


def add_trailer(message: str, slug: str) -> str:
    return message.rstrip("\n") + f"\n\n{SLUG_TRAILER}: {slug}\n"


class Git:
    """One repository. ``Git(path)`` raises GitError when path is not a git repository."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise GitError(f"upstream clone {self.path} does not exist",
                           "pass --upstream-dir or set [upstream] path in upstream_map.toml")
        self._env = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "LANGUAGE": "C"}
        self._repo = None
        # the repository's top (or a bare repository), as GitPython's Repo(path) takes it,
        # in one git process: importing GitPython costs more than most commands (~90 ms),
        # so it is loaded only for what needs its object database (:attr:`repo`)
        res = self.run("rev-parse", "--is-bare-repository", "--absolute-git-dir",
                       "--git-common-dir", "--show-cdup", ok=(0, 128))
        lines = res.stdout.decode("utf-8", "surrogateescape").splitlines()
        bare = lines[:1] == ["true"]
        if res.status != 0 or len(lines) < 3 or (not bare and lines[3:4] not in ([], [""])):
            raise GitError(f"{self.path} is not a git repository",
                           "point patchq at a clone of upstream")
        self.git_dir = Path(lines[1])
        self._common_dir = self.path / lines[2]  # the main repository's, in a worktree

    @property
    def repo(self):
        """The GitPython Repo, for callers that need objects (keep to this module when you can)."""
        if self._repo is None:
            import git as gitpython

            self._repo = gitpython.Repo(self.path)
        return self._repo

    @classmethod
    def init(cls, path: str | os.PathLike, branch: str = "main") -> Git:
        """Create an empty repository at ``path`` and open it."""
        import git as gitpython

        Path(path).mkdir(parents=True, exist_ok=True)
        try:
            gitpython.Git(str(path)).execute(["git", "init", "-q", "-b", branch, str(path)])
        except gitpython.exc.GitCommandError as exc:
            raise GitError(f"git init {path} failed: {exc.stderr.strip()}") from None
        return cls(path)

    def fast_import(self, stream: bytes) -> None:
        self.run("fast-import", "--quiet", input=stream)

    def commit_all(self, message: str, who: Identity) -> str:
        """Commit every change of the work tree (for the demo's patch repo)."""
        self.run("add", "-A")
        env = {"GIT_AUTHOR_NAME": who.name, "GIT_AUTHOR_EMAIL": who.email,
               "GIT_COMMITTER_NAME": who.name, "GIT_COMMITTER_EMAIL": who.email,
               "GIT_AUTHOR_DATE": _git_time(who.date), "GIT_COMMITTER_DATE": _git_time(who.date)}
        self.run("commit", "-q", "--no-verify", "-m", message, env=env)
        return self.resolve("HEAD")

    # -- running commands -------------------------------------------------------------------

    def run(self, *args: str, input: bytes | None = None, env: dict | None = None,
            ok: Sequence[int] = (0,), config: Sequence[str] = ()) -> Result:
        """Run ``git args``; raise GitError unless its status is in ``ok``."""
        full_env = dict(self._env)
        if env:
            full_env.update(env)
        command = ["git", *config, *args]
        stdin = None
        if input is not None:
            stdin = tempfile.TemporaryFile()  # noqa: SIM115 -- closed below
            stdin.write(input)
            stdin.seek(0)
        try:
            status, out, err = _execute(command, self.path, full_env, stdin)
        except OSError as exc:
            raise GitError(f"could not run git: {exc}", "is git installed?") from exc
        finally:
            if stdin is not None:
                stdin.close()
        err_text = err.decode("utf-8", "replace") if isinstance(err, bytes) else (err or "")
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

    def out(self, *args: str, **kw) -> str:
        return self.run(*args, **kw).stdout.decode("utf-8", "surrogateescape").strip()

    # -- refs and state -----------------------------------------------------------------------

    def rev_parse(self, ref: str) -> str | None:
        """The commit id ``ref`` names, or None."""
        if ref.startswith("-"):
            return None
        res = self.run("rev-parse", "-q", "--verify", "--end-of-options", ref + "^{commit}",
                       ok=(0, 1, 128))
        sha = res.stdout.decode().strip()
        return sha if res.status == 0 and sha else None

    def resolve(self, ref: str, what: str = "ref") -> str:
        """The commit a user-given revision names; refused when it could be read as an option
        (patchq.validate.revision), one error when it names nothing."""
        from .validate import revision

        sha = self.rev_parse(revision(ref, what))
        if sha is None:
            raise GitError(f"{what} {ref!r} does not resolve to a commit in {self.path}",
                           "fetch it or check the name")
        return sha

    def branch_tip(self, branch: str) -> str | None:
        return self.rev_parse(f"refs/heads/{branch}")

    def current_branch(self) -> str | None:
        res = self.run("symbolic-ref", "-q", "--short", "HEAD", ok=(0, 1))
        name = res.stdout.decode().strip()
        return name or None

    def head(self) -> str | None:
        return self.rev_parse("HEAD")

    def is_dirty(self) -> bool:
        """Tracked changes (staged or not), or an operation (merge, am, rebase) in progress."""
        res = self.run("status", "--porcelain=v1", "--untracked-files=no", "--ignore-submodules")
        return bool(res.stdout.strip())

    def dirty_files(self) -> list[str]:
        res = self.run("status", "--porcelain=v1", "--untracked-files=no", "--ignore-submodules")
        return [ln[3:] for ln in res.stdout.decode("utf-8", "replace").splitlines()]

    def git_path(self, name: str) -> Path:
        """A path inside the git dir (``git rev-parse --git-path``); asked once per name."""
        cache = self.__dict__.setdefault("_git_paths", {})
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

    def update_ref(self, ref: str, new: str, old: str | None, message: str) -> None:
        """Move ``ref`` to ``new`` only if it is still at ``old`` (None: must not exist)."""
        self.run("update-ref", "-m", message, ref, new, old or "0" * 40)

    def delete_ref(self, ref: str, old: str) -> None:
        self.run("update-ref", "-d", ref, old)

    def switch(self, branch: str) -> None:
        from .validate import branch_name

        self.run("checkout", "-q", branch_name(branch), "--")

    def config_value(self, key: str) -> str | None:
        """The clone's own git config value of ``key`` (None when unset)."""
        res = self.run("config", "--local", "--get", key, ok=(0, 1))
        value = res.stdout.decode("utf-8", "surrogateescape").rstrip("\n")
        return value if res.status == 0 else None

    def config_values(self, *keys: str) -> dict[str, str]:
        """The clone's own git config values of ``keys`` that are set, in one git process
        (keys as git prints them: the section and variable names in lower case)."""
        pattern = "^(" + "|".join(re.escape(k) for k in keys) + ")$"
        res = self.run("config", "--local", "-z", "--get-regexp", pattern, ok=(0, 1))
        wanted = {k.lower() if k.count(".") < 2 else _lower_ends(k): k for k in keys}
        out = {}
        for item in res.stdout.decode("utf-8", "surrogateescape").split("\0"):
            name, _, value = item.partition("\n")
            if name in wanted:
                out[wanted[name]] = value
        return out

    def set_config(self, key: str, value: str) -> None:
        """Set ``key`` in the clone's own git config (git writes it atomically)."""
        self.run("config", "--local", key, value)

    def reset_keep(self, commit: str) -> None:
        self.run("reset", "-q", "--keep", commit)

    def is_ancestor(self, a: str, b: str) -> bool:
        return self.run("merge-base", "--is-ancestor", a, b, ok=(0, 1)).status == 0

    def tree_of(self, commit: str) -> str:
        return self.out("rev-parse", commit + "^{tree}")

    def commit_date(self, commit: str) -> str:
        return self.out("log", "-1", "--format=%ct +0000", commit)

    # -- for drafts --------------------------------------------------------------------------

    def committer_identity(self, date: str) -> Identity:
        """The user's committer name and e-mail as git sees them, with ``date``."""
        ident = self.out("var", "GIT_COMMITTER_IDENT")
        match = re.match(r"^(.*?) ?<([^>]*)>", ident)
        if not match:
            return Identity(FALLBACK_NAME, FALLBACK_EMAIL, date)
        return Identity(match.group(1) or FALLBACK_NAME, match.group(2), date)

    def doc_directives(self, commit: str) -> list[tuple[str, str]]:
        """(path, line) of the Sphinx object directives (``.. function::``, ``.. class::``,
        ``.. c:type::``, ``.. module::``...) in ``Doc/`` at ``commit``, in file order."""
        res = self.run("grep", "-I", "--no-color", "-E", "-e",
                       r"^\.\. (py:)?(module|currentmodule|function|method|classmethod|"
                       r"staticmethod|class|exception|data|attribute|decorator|c:[a-z]+)::",
                       commit, "--", "Doc", ok=(0, 1, 128))
        out = []
        prefix = commit + ":"
        for line in res.stdout.decode("utf-8", "replace").splitlines():
            line = line.removeprefix(prefix)
            path, _, rest = line.partition(":")
            if rest:
                out.append((path, rest))
        return out

    def last_reflog(self, ref: str) -> tuple[str, str] | None:
        """(commit, message) of the newest reflog entry of ``ref``, None without a reflog."""
        res = self.run("log", "-g", "-1", "--format=%H%x00%gs", "--end-of-options", ref, "--",
                       ok=(0, 128))
        text = res.stdout.decode("utf-8", "replace").strip()
        if res.status != 0 or "\x00" not in text:
            return None
        sha, _, message = text.partition("\x00")
        return sha, message

    def diff(self, old: str, new: str) -> bytes:
        """The full-index binary diff from ``old`` to ``new`` (commits or trees)."""
        return self.run("diff-tree", "-r", "-p", "--binary", "--full-index", "--no-color",
                        "--no-ext-diff", old, new, "--", config=DIFF_CONFIG).stdout

    def numstat(self, old: str, new: str) -> list[tuple[str, int, int]]:
        """(path, added, removed) of every file changed from ``old`` to ``new``; binary files
        count 0 lines."""
        res = self.run("diff-tree", "-r", "-z", "--numstat", "--no-renames", old, new, "--",
                       config=DIFF_CONFIG)
        out = []
        for item in res.stdout.decode("utf-8", "surrogateescape").split("\0"):
            if not item.strip():
                continue
            added, removed, path = item.split("\t", 2)
            out.append((path, int(added) if added.isdigit() else 0,
                        int(removed) if removed.isdigit() else 0))
        return out

    def commit_info(self, commit: str) -> tuple[str, tuple[str, ...], str, str]:
        """(tree, parents, author line without date, message) of a commit."""
        raw = self.run("cat-file", "commit", commit).stdout.decode("utf-8", "surrogateescape")
        header, _, message = raw.partition("\n\n")
        tree, parents, author = "", [], ""
        for line in header.splitlines():
            key, _, value = line.partition(" ")
            if key == "tree":
                tree = value
            elif key == "parent":
                parents.append(value)
            elif key == "author":
                author = value
        return tree, tuple(parents), author, message

    # -- pushing draft branches (credentials from the environment, never in arguments) -------

    def _remote(self, args: Sequence[str], url: str, token: str, timeout: float) -> Result:
        """Run a git command that talks to ``url``. With a token, git's credential helpers are
        replaced by one that reads it from the environment (PATCHQ_GIT_TOKEN): the token is in
        no argument, URL, config file or credential store."""
        config: list[str] = []
        env = dict(self._env)
        if token and url.startswith(("https://", "http://")):
            from urllib.parse import urlparse

            parsed = urlparse(url)
            config = ["-c", "credential.helper=", "-c", "credential.helper=" + CREDENTIAL_HELPER,
                      "-c", "credential.useHttpPath=false"]
            env[TOKEN_ENV] = token
            env[TOKEN_HOST_ENV] = parsed.netloc.rpartition("@")[2]
            env[TOKEN_PROTOCOL_ENV] = parsed.scheme
        command = ["git", *config, *args]
        try:
            status, out, err = _execute(command, self.path, env, None, timeout)
        except OSError as exc:
            raise GitError(f"could not run git: {exc}", "is git installed?") from exc
        err_text = err.decode("utf-8", "replace") if isinstance(err, bytes) else (err or "")
        if token:
            err_text = err_text.replace(token, "***")
        return Result(status, out or b"", err_text)

    def remote_branch(self, url: str, branch: str, token: str = "",
                      timeout: float = 60) -> str | None:
        """The commit ``refs/heads/<branch>`` names at ``url`` (None when it does not exist)."""
        ref = f"refs/heads/{branch}"
        res = self._remote(["ls-remote", "--end-of-options", url, ref], url, token, timeout)
        if res.status != 0:
            raise GitError(f"cannot read {redact_url(url)}: {_first_line(res.stderr, res.status)}")
        for line in res.stdout.decode("utf-8", "replace").splitlines():
            sha, _, name = line.partition("\t")
            if name == ref:
                return sha
        return None

    def push_branch(self, url: str, commit: str, branch: str, expect: str | None,
                    token: str = "", timeout: float = 300, dry_run: bool = False) -> None:
        """Point ``refs/heads/<branch>`` at ``url`` to ``commit``, only if it is still at
        ``expect`` there (None: it must not exist) -- ``--force-with-lease``. ``dry_run``
        asks the remote whether the push is allowed and changes nothing (the drafts check
        it before anything public is written)."""
        ref = f"refs/heads/{branch}"
        args = ["push", "--porcelain", "--no-recurse-submodules",
                *(["--dry-run"] if dry_run else []),
                f"--force-with-lease={ref}:{expect or ''}", "--end-of-options", url,
                f"{commit}:{ref}"]
        res = self._remote(args, url, token, timeout)
        if res.status == 0:
            return
        text = res.stderr + res.stdout.decode("utf-8", "replace")
        if "stale info" in text or "fetch first" in text or "non-fast-forward" in text:
            raise PushRejected(f"the fork's {branch} changed since it was read",
                               "someone else pushed to it; look at it, then run again")
        if "rejected" in text or "denied" in text or "hook declined" in text:
            reason = next((ln.strip() for ln in text.splitlines()
                           if "rejected" in ln or "denied" in ln or "declined" in ln), "")
            raise PushRejected(f"the fork refused the push of {branch}: {reason}",
                               "check the fork's branch protection and your rights, then run "
                               "again")
        raise GitError(f"push to {redact_url(url)} failed: {_first_line(text, res.status)}",
                       "check the fork URL and your token, then run again")

    # -- objects ---------------------------------------------------------------------------

    def commit_tree(self, tree: str, parents: Sequence[str], message: str,
                    author: Identity, committer: Identity | None = None) -> str:
        """Write a commit object in-process (no git process per commit)."""
        from gitdb.base import IStream

        committer = committer or author
        lines = [f"tree {tree}"]
        lines += [f"parent {p}" for p in parents]
        lines += [f"author {author.signature()}", f"committer {committer.signature()}", ""]
        data = ("\n".join(lines) + "\n" + message).encode("utf-8", "surrogateescape")
        stream = self.repo.odb.store(IStream(b"commit", len(data), BytesIO(data)))
        return stream.hexsha.decode() if isinstance(stream.hexsha, bytes) else stream.hexsha

    def read_blob(self, commit: str, path: str) -> bytes | None:
        res = self.run("cat-file", "blob", f"{commit}:{path}", ok=(0, 128))
        return res.stdout if res.status == 0 else None

    def path_exists(self, commit: str, path: str) -> bool:
        return self.run("cat-file", "-e", f"{commit}:{path}", ok=(0, 1, 128)).status == 0

    # -- applying patches --------------------------------------------------------------------

    @contextmanager
    def scratch_index(self, tree: str) -> Iterator[ScratchIndex]:
        """A temporary index holding ``tree``: apply patches to it without a work tree."""
        handle, name = tempfile.mkstemp(prefix="patchq-index-", dir=self.git_path(""))
        os.close(handle)
        os.unlink(name)
        index = ScratchIndex(self, name)
        try:
            index.read_tree(tree)
            yield index
        finally:
            for path in (name, name + ".lock"):
                if os.path.exists(path):
                    os.unlink(path)

    # -- reading queues ----------------------------------------------------------------------

    def queue_commits(self, base: str, tip: str) -> list[QueueCommit]:
        """The commits of ``base..tip``, oldest first, with their slug trailers."""
        fmt = "%H%x00%P%x00%T%x00%an%x00%ae%x00%aD%x00%B%x00%x01"
        res = self.run("log", "--reverse", "--topo-order", f"--format={fmt}",
                       f"{base}..{tip}", "--")
        commits = []
        for record in res.stdout.decode("utf-8", "surrogateescape").split("\x00\x01"):
            record = record.lstrip("\n")
            if not record:
                continue
            sha, parents, tree, name, mail, date, body = record.split("\x00", 6)
            parent_list = parents.split()
            if len(parent_list) != 1:
                raise GitError(f"commit {sha[:12]} in {base[:12]}..{tip[:12]} is a merge",
                               "a queue must be a straight line of commits")
            message, slug = strip_trailer(body)
            commits.append(QueueCommit(sha=sha, parent=parent_list[0], tree=tree, slug=slug,
                                       message=message, author_name=name, author_email=mail,
                                       author_date=date))
        return commits

    def commit_diffs(self, commits: Sequence[str]) -> dict[str, bytes]:
        """Diffstat, summary and full-index diff of each commit against its parent, one process."""
        if not commits:
            return {}
        marker = "\x00patchq-commit "
        res = self.run("diff-tree", "--stdin", "-r", "--root", "--format=%x00patchq-commit %H",
                       *DIFF_OPTIONS, input=("\n".join(commits) + "\n").encode(),
                       config=DIFF_CONFIG)
        out: dict[str, bytes] = {}
        chunks = res.stdout.split(marker.encode())
        for chunk in chunks[1:]:
            sha, _, rest = chunk.partition(b"\n")
            out[sha.decode()] = _normalize_stat(rest)
        return out


# A credential helper for pushes: git runs it through the shell, it prints the token from the
# environment. Neither the token nor a file holding it ever exists.
# It answers only for the protocol and host of the URL patchq gave git (PATCHQ_GIT_TOKEN_HOST),
# so a redirect to another host gets nothing; where that URL may be is patchq.validate's.
TOKEN_ENV = "PATCHQ_GIT_TOKEN"
TOKEN_HOST_ENV = "PATCHQ_GIT_TOKEN_HOST"
TOKEN_PROTOCOL_ENV = "PATCHQ_GIT_TOKEN_PROTOCOL"
CREDENTIAL_HELPER = ('!f() { test "$1" = get || exit 0; h=; p=; while IFS= read -r l; do '
                     f'case "$l" in "host=${TOKEN_HOST_ENV}") h=1;; '
                     f'"protocol=${TOKEN_PROTOCOL_ENV}") p=1;; esac; done; '
                     'test -n "$h" && test -n "$p" || exit 0; echo username=x-access-token; '
                     f'echo "password=${TOKEN_ENV}"; }}; f')


class PushRejected(GitError):
    """The remote refused a push (lease lost, protection, hook)."""


def redact_url(url: str) -> str:
    """A URL without any user or password in it.

    >>> redact_url("https://user:secret@github.com/o/r.git")
    'https://***@github.com/o/r.git'
    """
    return re.sub(r"^([a-z+]+://)[^/@]*@", r"\1***@", url)


def _first_line(text: str, status: int) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:", "remote:")):
            return line
    return lines[0] if lines else f"exit status {status}"


# -- for the stack: blobs in-process, the work tree of the checked-out queue ----------------


def write_blob(git: Git, data: bytes) -> str:
    """Store ``data`` as a blob in the repository (in-process) and return its id."""
    from gitdb.base import IStream

    stream = git.repo.odb.store(IStream(b"blob", len(data), BytesIO(data)))
    return stream.hexsha.decode() if isinstance(stream.hexsha, bytes) else stream.hexsha


def blob_data(git: Git, sha: str) -> bytes:
    """The bytes of the blob ``sha`` (in-process)."""
    try:
        return git.repo.odb.stream(bytes.fromhex(sha)).read()
    except (ValueError, KeyError, OSError) as exc:
        raise GitError(f"object {sha} is missing from {git.path} ({exc})",
                       "run `git fsck` in the upstream clone") from None


def changed_paths(git: Git, old: str, new: str) -> tuple[list[str], list[str]]:
    """(every path that differs between two commits or trees, the paths only ``new`` has)."""
    if old == new:
        return [], []
    res = git.run("diff-tree", "-r", "-z", "--no-renames", "--name-status", old, new)
    fields = res.stdout.decode("utf-8", "surrogateescape").split("\0")
    paths, added = [], []
    for status, path in zip(fields[0::2], fields[1::2]):
        paths.append(path)
        if status == "A":
            added.append(path)
    return paths, added


def force_tree(git: Git, commit: str, work_tree: bool = True) -> None:
    """Make the index (and with ``work_tree`` the tracked files) exactly ``commit``'s tree;
    local changes to tracked files are discarded. HEAD does not move."""
    git.run("read-tree", "--reset", *(["-u"] if work_tree else []), commit)


def reset_index(git: Git, commit: str) -> None:
    """``git reset -q COMMIT`` (mixed): the index becomes ``commit``'s tree, the work tree
    stays, stat information of unchanged entries is kept."""
    git.run("reset", "-q", commit, "--")


_REJECTS = re.compile(r"^Applying patch (.+) with \d+ rejects?\.\.\.$", re.MULTILINE)


def apply_in_work_tree(git: Git, patch_path: str | os.PathLike, strip: int = 1
                       ) -> tuple[str, list[str], str]:
    """Apply a patch file to the checked-out work tree and index, leaving what does not apply
    for a person: ``("clean", [], "")``, ``("conflict", conflicted paths, git's words)`` (3-way
    merge markers and conflict stages, as git leaves them) or ``("rejects", .rej files, ...)``
    when 3-way is impossible (the patch lacks blob ids): the hunks that apply are applied,
    the others are left in ``FILE.rej``, as ``patch`` and quilt do."""
    args = ["apply", "--index", f"-p{strip}", "--whitespace=nowarn"]
    res = git.run(*args, "--3way", str(patch_path), ok=(0, 1, 128), config=DIFF_CONFIG)
    if res.status == 0:
        return "clean", [], ""
    conflicts = unmerged_paths(git)
    if conflicts:
        return "conflict", conflicts, res.stderr
    res = git.run(*args, "--reject", "--verbose", str(patch_path), ok=(0, 1, 128),
                  config=DIFF_CONFIG)
    if res.status == 0:
        return "clean", [], ""
    rejects = [m + ".rej" for m in _REJECTS.findall(res.stderr)]
    return "rejects", rejects, _failing_hunks(res.stderr)


def reverse_applies(git: Git, tree: str, patch_path: str | os.PathLike, strip: int = 1) -> bool:
    """Does the patch apply in reverse to ``tree``, i.e. is its change already there?"""
    with git.scratch_index(tree) as index:
        res = git.run("apply", "--cached", "--check", "-R", f"-p{strip}", str(patch_path),
                      env=index.env, ok=(0, 1, 128), config=DIFF_CONFIG)
    return res.status == 0


def work_tree_tree(git: Git) -> str:
    """The tree of the index plus every change to tracked files in the work tree (what
    ``git commit -a`` would commit), without touching the real index."""
    import shutil

    real = git.git_path("index")
    handle, name = tempfile.mkstemp(prefix="patchq-refresh-index-", dir=git.git_path(""))
    os.close(handle)
    try:
        if real.exists():
            shutil.copyfile(real, name)
        else:
            os.unlink(name)
        env = {"GIT_INDEX_FILE": name}
        git.run("add", "-u", "--", ".", env=env)
        return git.out("write-tree", env=env)
    finally:
        for path in (name, name + ".lock"):
            if os.path.exists(path):
                os.unlink(path)


def author_ident(git: Git) -> tuple[str, str]:
    """(name, email) git would write as author in this repository."""
    text = git.out("var", "GIT_AUTHOR_IDENT")
    match = re.match(r"^(.*?) <([^>]*)>", text)
    if not match:
        return FALLBACK_NAME, FALLBACK_EMAIL
    return match.group(1).strip() or FALLBACK_NAME, match.group(2).strip()


def _normalize_stat(data: bytes) -> bytes:
    """The diffstat and diff alone: diff-tree puts a ``---`` line (and, in some versions, a
    blank line) between the format line and the diffstat; the renderer writes its own ``---``.

    >>> _normalize_stat(b"---\\n a | 1 +\\n")
    b' a | 1 +\\n'
    """
    data = data.lstrip(b"\n")
    return data[4:] if data.startswith(b"---\n") else data


class ScratchIndex:
    """A temporary index file: apply patches, write trees; the work tree is never touched."""

    def __init__(self, git: Git, path: str) -> None:
        self.git = git
        self.path = path
        self.env = {"GIT_INDEX_FILE": path}
        self.tree = ""

    def read_tree(self, tree: str) -> None:
        self.git.run("read-tree", tree, env=self.env)
        self.tree = tree

    def apply(self, patch_path: str | os.PathLike, strip: int = 1, three_way: bool = True,
              slug: str = "") -> str:
        """Apply a patch file to the index and return ``how``: 'clean' or '3way'.

        Raises ApplyError naming the failing hunks when the patch does not apply.
        """
        args = ["apply", "--cached", f"-p{strip}", "--whitespace=nowarn"]
        res = self.git.run(*args, str(patch_path), env=self.env, ok=(0, 1, 128),
                           config=DIFF_CONFIG)
        if res.status == 0:
            return "clean"
        direct_error = res.stderr
        if three_way:
            res = self.git.run(*args, "--3way", str(patch_path), env=self.env, ok=(0, 1, 128),
                               config=DIFF_CONFIG)
            if res.status == 0:
                return "3way"
            # a failed --3way leaves conflict stages behind: put the index back
            self.read_tree(self.tree)
        raise ApplyError(f"patch {slug or patch_path} does not apply",
                         "refresh it against the base, or fix the series order",
                         slug=slug, details=_failing_hunks(direct_error))

    def write_tree(self) -> str:
        self.tree = self.git.out("write-tree", env=self.env)
        return self.tree

    # -- for drafts: a diff from memory, a file from memory ----------------------------------

    def apply_diff(self, diff: bytes, slug: str = "") -> str:
        """Apply a full-index diff (``Git.diff``) with 3-way fallback: 'clean' or '3way'.

        Raises ApplyError whose details name the conflicting files; the index is put back.
        """
        args = ("apply", "--cached", "-p1", "--whitespace=nowarn")
        res = self.git.run(*args, "-", input=diff, env=self.env, ok=(0, 1, 128),
                           config=DIFF_CONFIG)
        if res.status == 0:
            return "clean"
        res = self.git.run(*args, "--3way", "-", input=diff, env=self.env, ok=(0, 1, 128),
                           config=DIFF_CONFIG)
        if res.status == 0:
            return "3way"
        self.read_tree(self.tree)
        conflicts = [ln[2:].strip() for ln in res.stderr.splitlines() if ln.startswith("U ")]
        details = ("conflicts in " + ", ".join(conflicts)) if conflicts \
            else _failing_hunks(res.stderr)
        raise ApplyError(f"patch {slug} does not apply", "port it by hand",
                         slug=slug, details=details)

    def add_file(self, path: str, data: bytes, mode: str = "100644") -> None:
        """Put a new blob at ``path`` in the index (no work tree involved)."""
        blob = self.git.out("hash-object", "-w", "--stdin", input=data)
        self.git.run("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}",
                     env=self.env)


def _lower_ends(key: str) -> str:
    """``Section.Sub.Name`` as git prints it: section and name in lower case, the subsection
    (a branch name) as it is."""
    section, rest = key.split(".", 1)
    sub, _, name = rest.rpartition(".")
    return f"{section.lower()}.{sub}.{name.lower()}"


def _execute(command: list[str], cwd: Path, env: dict, stdin, timeout: float | None = None
             ) -> tuple[int, bytes, bytes]:
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


def _failing_hunks(stderr: str) -> str:
    """git apply's complaints, one per line: 'patch failed: Python/x.c:120' and the like."""
    lines = [ln.removeprefix("error: ").strip() for ln in stderr.splitlines()
             if ln.startswith("error:") or "Hunk" in ln or "patch failed" in ln]
    return "; ".join(dict.fromkeys(lines)) or stderr.strip()


# -- for rebase: objects in-process, 3-way merges of trees, the work tree at a conflict ------


@dataclass(frozen=True)
class RawChange:
    """One file a commit changes (``git diff-tree --raw --no-renames``)."""

    path: str
    old_mode: str  # octal without leading zeros ("100644"); "0" when the file is new
    new_mode: str
    old_sha: str
    new_sha: str  # all zeros when the file is deleted

    @property
    def deleted(self) -> bool:
        return self.new_mode == "0"

    @property
    def added(self) -> bool:
        return self.old_mode == "0"


@dataclass(frozen=True)
class MergeResult:
    """``git merge-tree --write-tree``: the tree (with conflict markers when not clean)."""

    clean: bool
    tree: str
    conflicts: tuple[str, ...] = ()  # paths left conflicted
    messages: tuple[str, ...] = ()  # git's CONFLICT (...) lines


_NULL_SHA = "0" * 40
_TREE_MODE = "40000"


def _mode(text: str) -> str:
    return format(int(text, 8), "o")


def _tree_record(entry: tuple[str, str, str]) -> bytes:
    mode, name, sha = entry
    return f"{mode} ".encode() + name.encode("utf-8", "surrogateescape") + b"\0" + \
        bytes.fromhex(sha)


def _tree_key(entry: tuple[str, str, str]) -> bytes:
    """git's order of tree entries: by name, a directory as if it ended with "/"."""
    return entry[1].encode("utf-8", "surrogateescape") + (b"/" if entry[0] == _TREE_MODE else b"")


class ObjectStore:
    """Reads objects through one ``git cat-file --batch`` process and writes loose objects
    in-process, so building hundreds of commits and trees costs no git process each.

    Trees are parsed once and cached; ``tree_with`` rewrites only the trees on the paths it
    changes. Objects go to ``git``'s object directory (its quarantine when one is active).
    """

    def __init__(self, git: Git) -> None:
        self.git = git
        env = dict(os.environ)
        env.update(git._env)
        self.objects = Path(env.get("GIT_OBJECT_DIRECTORY") or git.git_path("objects"))
        try:
            self._proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=git.path, env=env,
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError as exc:
            raise GitError(f"could not run git: {exc}", "is git installed?") from exc
        self._trees: dict[str, tuple[list, dict, list]] = {}
        self._commits: dict[str, bytes] = {}
        self._fanout: set[str] = set()  # objects/XX directories known to exist

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.wait()

    def read(self, sha: str) -> tuple[str, bytes]:
        """(type, data) of an object (commits are remembered: they are read again and again)."""
        cached = self._commits.get(sha)
        if cached is not None:
            return "commit", cached
        return self.read_many([sha])[0]

    def read_many(self, shas: Sequence[str]) -> list[tuple[str, bytes]]:
        """Several objects in one round trip to ``git cat-file`` (asked in chunks small enough
        for the pipe, so neither side waits on the other)."""
        proc = self._proc
        out: list[tuple[str, bytes]] = []
        for start in range(0, len(shas), 500):
            chunk = shas[start:start + 500]
            proc.stdin.write(b"".join(s.encode() + b"\n" for s in chunk))
            proc.stdin.flush()
            for sha in chunk:
                parts = proc.stdout.readline().decode().split()
                if len(parts) != 3:
                    raise GitError(f"object {sha} is missing from {self.git.path}",
                                   "run `git fsck`; fetch the commits again")
                data = proc.stdout.read(int(parts[2]) + 1)[:-1]
                if parts[1] == "commit":
                    self._commits[sha] = data
                out.append((parts[1], data))
        return out

    def write(self, kind: str, data: bytes) -> str:
        import hashlib
        import zlib

        raw = f"{kind} {len(data)}\0".encode() + data
        sha = hashlib.sha1(raw).hexdigest()
        path = self.objects / sha[:2] / sha[2:]
        if not path.exists():
            if sha[:2] not in self._fanout:  # one mkdir per fan-out directory, not per object
                path.parent.mkdir(parents=True, exist_ok=True)
                self._fanout.add(sha[:2])
            handle, tmp = tempfile.mkstemp(prefix="tmp_obj_", dir=path.parent)
            with os.fdopen(handle, "wb") as out:
                out.write(zlib.compress(raw, 1))
            os.chmod(tmp, 0o444)
            os.replace(tmp, path)
        return sha

    # -- trees ---------------------------------------------------------------------------

    def tree(self, sha: str) -> list[tuple[str, str, str]]:
        """The entries (mode, name, sha) of a tree object, in git's order."""
        return self._tree(sha)[0]

    def _tree(self, sha: str) -> tuple[list, dict, list]:
        """(entries, name -> position, encoded entries) of a tree, parsed once."""
        cached = self._trees.get(sha)
        if cached is not None:
            return cached
        kind, data = self.read(sha)
        if kind == "commit":
            return self._tree(data[5:45].decode())
        if kind != "tree":
            raise GitError(f"object {sha} is a {kind}, not a tree")
        entries, records, at = [], [], 0
        while at < len(data):
            space = data.index(b" ", at)
            nul = data.index(b"\0", space)
            entries.append((data[at:space].decode(), data[space + 1:nul].decode(
                "utf-8", "surrogateescape"), data[nul + 1:nul + 21].hex()))
            records.append(data[at:nul + 21])
            at = nul + 21
        cached = (entries, {e[1]: i for i, e in enumerate(entries)}, records)
        self._trees[sha] = cached
        return cached

    def _store_tree(self, entries: list, index: dict | None, records: list) -> str:
        sha = self.write("tree", b"".join(records))
        if index is None:
            index = {e[1]: i for i, e in enumerate(entries)}
        self._trees[sha] = (entries, index, records)
        return sha

    def make_tree(self, entries: list[tuple[str, str, str]]) -> str:
        ordered = sorted(entries, key=_tree_key)
        return self._store_tree(ordered, None, [_tree_record(e) for e in ordered])

    def entry(self, tree: str, path: str) -> tuple[str, str] | None:
        """(mode, sha) at ``path`` in ``tree``, or None."""
        parts = path.split("/")
        current = tree
        for number, name in enumerate(parts):
            entries, index, _ = self._tree(current)
            at = index.get(name)
            if at is None:
                return None
            found = entries[at]
            if number == len(parts) - 1:
                return found[0], found[2]
            if found[0] != _TREE_MODE:
                return None
            current = found[2]
        return None

    def tree_with(self, tree: str, changes: dict[str, tuple[str, str] | None]) -> str:
        """``tree`` with files set to (mode, sha) or removed (None); empty directories go."""
        here: dict[str, tuple[str, str] | None] = {}
        below: dict[str, dict[str, tuple[str, str] | None]] = {}
        for path, value in changes.items():
            head, _, rest = path.partition("/")
            if rest:
                below.setdefault(head, {})[rest] = value
            else:
                here[head] = value
        old_entries, index, old_records = self._tree(tree) if tree else ([], {}, [])
        updates: dict[str, tuple[str, str, str] | None] = {}
        for name, value in here.items():
            updates[name] = None if value is None else (_mode(value[0]), name, value[1])
        for name, sub in below.items():
            at = index.get(name)
            old = old_entries[at] if at is not None else None
            subtree = old[2] if old is not None and old[0] == _TREE_MODE else ""
            new = self.tree_with(subtree, sub)
            updates[name] = None if new == "" else (_TREE_MODE, name, new)
        entries, records = list(old_entries), list(old_records)
        reorder = False
        for name, value in updates.items():
            at = index.get(name)
            if at is None:
                if value is not None:
                    entries.append(value)
                    reorder = True
            elif value is None:
                entries[at] = None
                reorder = True
            else:
                if (entries[at][0] == _TREE_MODE) != (value[0] == _TREE_MODE):
                    reorder = True  # a file became a directory or back: its place changes
                entries[at] = value
                records[at] = _tree_record(value)
        if reorder:
            entries = [e for e in entries if e is not None]
            return self.make_tree(entries) if entries else ""
        return self._store_tree(entries, index, records)

    def commit(self, tree: str, parents: Sequence[str], message: str, author: Identity,
               committer: Identity | None = None) -> str:
        committer = committer or author
        lines = [f"tree {tree}"] + [f"parent {p}" for p in parents]
        lines += [f"author {author.signature()}", f"committer {committer.signature()}", ""]
        return self.write("commit", ("\n".join(lines) + "\n" + message).encode(
            "utf-8", "surrogateescape"))


@contextmanager
def quarantine(git: Git) -> Iterator[Path]:
    """Objects written by git (and ObjectStore) while inside go to a temporary directory that
    is deleted afterwards: a dry run leaves the repository exactly as it was."""
    import shutil

    real = git.git_path("objects").resolve()
    parent = git.git_path("patchq")
    parent.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="quarantine-", dir=parent))
    saved = dict(git._env)
    alternates = [str(real)]
    if os.environ.get("GIT_ALTERNATE_OBJECT_DIRECTORIES"):
        alternates.append(os.environ["GIT_ALTERNATE_OBJECT_DIRECTORIES"])
    git._env.update({"GIT_OBJECT_DIRECTORY": str(directory),
                     "GIT_ALTERNATE_OBJECT_DIRECTORIES": os.pathsep.join(alternates)})
    try:
        yield directory
    finally:
        git._env.clear()
        git._env.update(saved)
        shutil.rmtree(directory, ignore_errors=True)


def raw_changes(git: Git, commits: Sequence[str]) -> dict[str, list[RawChange]]:
    """The files each commit changes against its first parent, for many commits at once."""
    if not commits:
        return {}
    res = git.run("diff-tree", "--stdin", "-r", "-z", "--raw", "--no-renames", "--root",
                  "--no-abbrev", "--format=%x00%H", input=("\n".join(commits) + "\n").encode())
    out: dict[str, list[RawChange]] = {}
    current: list[RawChange] = []
    fields = res.stdout.decode("utf-8", "surrogateescape").split("\0")
    at = 0
    while at < len(fields):
        item = fields[at].strip("\n")
        at += 1
        if not item:
            continue
        if not item.startswith(":"):
            current = out.setdefault(item, [])
            continue
        old_mode, new_mode, old_sha, new_sha, _status = item[1:].split(" ")
        path = fields[at]
        at += 1
        current.append(RawChange(path, _mode(old_mode), _mode(new_mode), old_sha, new_sha))
    for sha in commits:
        out.setdefault(sha, [])
    return out


def merge_trees(git: Git, store: ObjectStore, base_commit: str, ours_tree: str,
                theirs_commit: str) -> MergeResult:
    """Cherry-pick in memory: merge ``theirs_commit`` (whose parent is ``base_commit``) into
    ``ours_tree``. One ``git merge-tree --write-tree`` (ort: renames, modes, binaries)."""
    # dated like theirs: git walks history newest first to find the merge base (an old date
    # would make it walk everything down to that date)
    _, data = store.read(theirs_commit)
    stamp = re.search(rb"^committer .*> (\d+ [+-]\d{4})$", data, re.MULTILINE)
    who = Identity("patchq", "patchq@patchq.invalid",
                   stamp.group(1).decode() if stamp else "0 +0000")
    ours = store.commit(ours_tree, [base_commit], "patchq merge side\n", who)
    res = git.run("merge-tree", "--write-tree", "-z", "--messages", ours, theirs_commit,
                  ok=(0, 1), config=("-c", "merge.renames=true", "-c", "diff.renames=true"))
    fields = res.stdout.decode("utf-8", "surrogateescape").split("\0")
    tree = fields[0].strip()
    conflicts: list[str] = []
    at = 1
    while at < len(fields) and fields[at]:
        _, _, path = fields[at].partition("\t")
        if path not in conflicts:
            conflicts.append(path)
        at += 1
    messages: list[str] = []
    at += 1
    while at < len(fields):
        if not fields[at].isdigit():
            break
        count = int(fields[at])
        at += 1 + count
        if at + 1 < len(fields):
            messages.append(fields[at + 1].strip())
        at += 2
    return MergeResult(clean=res.status == 0, tree=tree, conflicts=tuple(conflicts),
                       messages=tuple(messages))


def paths_touched(git: Git, rev_range: str, paths: Sequence[str]) -> list[tuple[str, list]]:
    """The commits of ``rev_range`` touching any of ``paths``, newest first, each with its
    [(status, path)] (one ``git log``; every path when there are too many to name)."""
    if not paths:
        return []
    limit = ["--", *paths] if len(paths) <= 500 else []
    res = git.run("log", "--format=%x01%H", "--name-status", "-z", "--no-merges",
                  "--no-renames", rev_range, *limit)
    out: list[tuple[str, list]] = []
    for record in res.stdout.decode("utf-8", "surrogateescape").split("\x01")[1:]:
        fields = [f.strip("\n") for f in record.split("\0")]
        sha, rest = fields[0], [f for f in fields[1:] if f]
        files = [(rest[i], rest[i + 1]) for i in range(0, len(rest) - 1, 2)]
        out.append((sha, files))
    return out


def exact_tag(git: Git, commit: str) -> str | None:
    """A tag naming exactly ``commit``, if there is one."""
    res = git.run("describe", "--tags", "--exact-match", commit, ok=(0, 128))
    name = res.stdout.decode().strip()
    return name if res.status == 0 and name else None


def range_diff(git: Git, old_base: str, old_tip: str, new_base: str, new_tip: str) -> str:
    """``git range-diff`` of two queues, without colour."""
    return git.run("range-diff", "--no-color", f"{old_base}..{old_tip}",
                   f"{new_base}..{new_tip}").stdout.decode("utf-8", "replace")


def unmerged_paths(git: Git) -> list[str]:
    """Paths with unmerged entries (conflict stages) in the index."""
    res = git.run("ls-files", "-u", "-z")
    paths: list[str] = []
    for item in res.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if "\t" in item:
            path = item.split("\t", 1)[1]
            if path not in paths:
                paths.append(path)
    return paths


def unstaged_paths(git: Git) -> list[str]:
    """Tracked files whose work-tree content differs from the index."""
    res = git.run("diff", "--name-only", "-z", "--no-ext-diff", "--ignore-submodules")
    return [p for p in res.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def cherry_pick_into_work_tree(git: Git, commit: str) -> list[str]:
    """Apply ``commit`` to the checked-out branch without committing, leaving conflicts in the
    work tree and the index as git does (markers, stages); returns the conflicted paths."""
    git.run("cherry-pick", "--no-commit", "--strategy=ort", commit, ok=(0, 1),
            config=("-c", "core.hooksPath=/dev/null"))
    return unmerged_paths(git)


def index_tree(git: Git) -> str:
    """The tree of the real index (``git write-tree``)."""
    return git.out("write-tree")


def reset(git: Git, mode: str, commit: str) -> None:
    """``git reset --soft|--keep|--merge|--hard COMMIT`` of the checked-out branch."""
    if mode not in ("soft", "keep", "merge", "hard"):
        raise ValueError(mode)
    if mode in ("keep", "merge"):  # stale stat data (a copied clone) must not read as changes
        git.run("update-index", "-q", "--refresh", ok=(0, 1))
    git.run("reset", "-q", f"--{mode}", commit)


def detach_or_switch(git: Git, branch: str | None, commit: str) -> None:
    """Put HEAD back on ``branch`` (or detached at ``commit`` when branch is None)."""
    if branch:
        git.run("checkout", "-q", branch, "--")
    else:
        git.run("checkout", "-q", "--detach", commit, "--")


# -- for following moved files and reading release notes --------------------------------------


def renames(git: Git, old: str, new: str) -> dict[str, str]:
    """Files of ``old`` that git's rename detection finds under another name in ``new``
    (``git diff -M``, 50% similarity): old path -> new path."""
    res = git.run("diff-tree", "-r", "-z", "-M", "--diff-filter=R", "--name-status", old, new)
    fields = res.stdout.decode("utf-8", "surrogateescape").split("\0")
    out: dict[str, str] = {}
    at = 0
    while at + 2 < len(fields):
        if fields[at].startswith("R"):
            out.setdefault(fields[at + 1], fields[at + 2])
            at += 3
        else:
            at += 1
    return out


def tree_paths(git: Git, commit: str, under: Sequence[str]) -> list[str]:
    """Every file path of ``commit`` inside the directories ``under``."""
    if not under:
        return []
    res = git.run("ls-tree", "-r", "-z", "--name-only", "--full-tree", commit, "--",
                  *(f":(literal){d}" for d in under))
    return [p for p in res.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def grep_tree(git: Git, commit: str, patterns: Sequence[str], paths: Sequence[str]
              ) -> list[tuple[str, int, str]]:
    """(path, line number, line) of every line of ``commit``'s files under ``paths`` that
    matches one of the extended regular expressions ``patterns`` (one ``git grep``)."""
    if not patterns or not paths:
        return []
    args = [arg for pattern in patterns for arg in ("-e", pattern)]
    res = git.run("grep", "-n", "-I", "--null", "-E", "--no-color", *args, commit, "--",
                  *(f":(literal){p}" for p in paths), ok=(0, 1))
    out = []
    prefix = f"{commit}:"
    for line in res.stdout.decode("utf-8", "replace").split("\n"):
        parts = line.split("\0", 2)
        if len(parts) == 3 and parts[1].isdigit():
            path = parts[0].removeprefix(prefix)
            out.append((path, int(parts[1]), parts[2]))
    return out
