"""Refs, configuration and the state of the work tree, and talking to remotes (pushing draft
branches with the token in the environment only). Part of :class:`patchq.git.Git`.

The remotes are read through GitPython (:attr:`Refs.repo`), made on first use: only the cold
commands that ask for them (init, upstream add, draft) import it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from .errors import GitError
from .gitobjects import NULL_OID
from .gitrun import GitBase, Result, execute

if TYPE_CHECKING:
    import git


class Refs(GitBase):
    """The named git commands on refs, config and state (mixed into ``Git``)."""

    def rev_parse(self, ref: str) -> str | None:
        """The commit id ``ref`` names, or None."""
        if ref.startswith("-") or not ref or "\n" in ref or "\r" in ref:
            return None
        found = self.reader().lookup([ref + "^{commit}"])[0]  # as rev-parse --verify
        return found[0] if found is not None else None

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
        """The branch checked out (None when HEAD is detached). Read from the HEAD file, as
        git keeps it (``ref: refs/heads/NAME``), without a process; anything else (a symbolic
        link, a reftable repository's placeholder) asks ``git symbolic-ref``."""
        try:
            text = (self.git_dir / "HEAD").read_bytes().decode("utf-8", "surrogateescape")
        except OSError:
            text = ""
        if text.startswith("ref: refs/heads/") and text.endswith("\n") and \
                text.count("\n") == 1 and not text.startswith("ref: refs/heads/.invalid"):
            return text[len("ref: refs/heads/"):-1]
        if len(text) in (41, 65) and text.endswith("\n") and \
                all(c in "0123456789abcdef" for c in text[:-1]):
            return None  # detached
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

    def update_ref(self, ref: str, new: str, old: str | None, message: str) -> None:
        """Move ``ref`` to ``new`` only if it is still at ``old`` (None: must not exist)."""
        self.run("update-ref", "-m", message, ref, new, old or NULL_OID)

    def delete_ref(self, ref: str, old: str) -> None:
        self.run("update-ref", "-d", ref, old)

    def force_checkout(self, branch: str) -> None:
        """Check ``branch`` out, discarding changes to tracked files (``checkout -f``)."""
        self.run("checkout", "-q", "-f", branch, "--")

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
        """The tree id of a commit (or of a tree, a tag...), through the object reader."""
        found = self.reader().lookup([commit + "^{tree}"])[0] if commit[:1] != "-" else None
        if found is None:
            raise GitError(f"{commit!r} names no tree in {self.path}",
                           "fetch it or check the name")
        return found[0]

    def commit_date(self, commit: str) -> str:
        return self.out("log", "-1", "--format=%ct +0000", commit)

    def last_reflog(self, ref: str) -> tuple[str, str] | None:
        """(commit, message) of the newest reflog entry of ``ref``, None without a reflog."""
        res = self.run("log", "-g", "-1", "--format=%H%x00%gs", "--end-of-options", ref, "--",
                       ok=(0, 128))
        text = res.stdout.decode("utf-8", "replace").strip()
        if res.status != 0 or "\x00" not in text:
            return None
        sha, _, message = text.partition("\x00")
        return sha, message

    def exact_tag(self, commit: str) -> str | None:
        """A tag naming exactly ``commit``, if there is one."""
        res = self.run("describe", "--tags", "--exact-match", commit, ok=(0, 128))
        name = res.stdout.decode().strip()
        return name if res.status == 0 and name else None

    def parents(self, commit: str) -> list[str]:
        """The parents of ``commit`` (``git rev-list --parents -n 1``)."""
        return self.out("rev-list", "--parents", "-n", "1", commit).split()[1:]

    @cached_property
    def repo(self) -> git.Repo:
        """GitPython's ``Repo`` over this repository, made (and GitPython imported) on first
        use. Only cold reads of configuration use it (the remotes): importing GitPython costs
        about 90 ms, so the hot paths run git's plumbing directly (docs/design.md)."""
        import git

        try:
            repo = git.Repo(self.path)
        except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError) as exc:
            raise GitError(f"{self.path} is not a git repository",
                           "point patchq at a clone of upstream") from exc
        repo.git.update_environment(**self._env)  # git as patchq runs it: C locale, no prompt
        return repo

    def remotes(self) -> list[str]:
        """The names of the clone's remotes (as its configuration declares them)."""
        import configparser  # GitPython's reader of the configuration: only here

        try:
            return sorted(remote.name for remote in self.repo.remotes)  # as `git remote` lists them
        except (configparser.Error, ValueError) as exc:
            raise GitError(f"the git configuration of {self.path} cannot be read: {exc}",
                           f"check it with `git -C {self.path} remote -v`") from None

    def remote_url(self, name: str) -> str | None:
        """The URL of the remote ``name`` as git uses it (``insteadOf`` applied; the first of
        several), None when there is no such remote or it has no URL."""
        import configparser

        import git

        try:
            return next(iter(self.repo.remote(name).urls), None) or None
        except (ValueError, configparser.Error, git.exc.GitCommandError):
            return None

    def top_level(self) -> str:
        """The work tree's top directory (``git rev-parse --show-toplevel``)."""
        return self.out("rev-parse", "--show-toplevel")

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
            status, out, err = execute(command, self.path, env, None, timeout)
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



def _lower_ends(key: str) -> str:
    """``Section.Sub.Name`` as git prints it: section and name in lower case, the subsection
    (a branch name) as it is."""
    section, rest = key.split(".", 1)
    sub, _, name = rest.rpartition(".")
    return f"{section.lower()}.{sub}.{name.lower()}"

