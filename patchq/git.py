"""The only module that runs git: :class:`Git`, one repository, with a named method for every
git command patchq uses.

The parts live in their own modules and are importable from here as they always were:
:mod:`patchq.gitrun` runs git (one process per command, the repository opened with one
``git rev-parse``), :mod:`patchq.gitobjects` reads objects through one persistent
``git cat-file --batch`` and writes loose objects in-process (``Oid``), :mod:`patchq.gitrefs`
has refs, config and remotes, :mod:`patchq.githistory` reads history (patches, patch-ids,
messages, the patch repo's log), :mod:`patchq.gitapply` applies patches. Every failure
becomes a :class:`GitError` with git's own words. Commands that produce diffs pin their
options (``-c`` overrides), so a user's configuration cannot change what patchq writes.
GitPython serves the cold reads of configuration alone (``Git.repo``: the remotes), imported
when first asked for.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import GitError
from .gitapply import (
    ScratchIndex,
    apply_in_work_tree,
    reverse_applies,
    scratch_index,
    unmerged_paths,
    work_tree_tree,
)
from .githistory import LOG_CONFIG, FileCommit, History
from .gitobjects import NULL_OID, MergeResult, ObjectStore, Oid, RawChange, mode_of
from .gitrefs import (
    CREDENTIAL_HELPER,
    TOKEN_ENV,
    TOKEN_HOST_ENV,
    TOKEN_PROTOCOL_ENV,
    PushRejected,
    Refs,
    redact_url,
)
from .gitrun import (
    DIFF_CONFIG,
    DIFF_OPTIONS,
    FALLBACK_EMAIL,
    FALLBACK_NAME,
    Identity,
    Pending,
    Result,
    git_time,
)
from .model import SLUG_TRAILER, QueueCommit

if TYPE_CHECKING:
    from .gitobjects import Signed

__all__ = [
    "CREDENTIAL_HELPER", "DIFF_CONFIG", "DIFF_OPTIONS", "FALLBACK_EMAIL", "FALLBACK_NAME",
    "LOG_CONFIG", "NULL_OID", "TOKEN_ENV", "TOKEN_HOST_ENV", "TOKEN_PROTOCOL_ENV", "FileCommit",
    "Git", "GitError", "Identity", "MergeResult", "ObjectStore", "Oid", "PushRejected", "RawChange", "Repository",
    "Result", "ScratchIndex", "apply_in_work_tree", "redact_url", "reverse_applies",
    "unmerged_paths", "work_tree_tree",
]

_git_time = git_time  # the older private name
_mode = mode_of


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


class Git(History, Refs):
    """One repository. ``Git(path)`` raises GitError when path is not a git repository (or one
    whose object format patchq does not support)."""

    @classmethod
    def init(cls, path: str | os.PathLike[str], branch: str = "main") -> Git:
        """Create an empty repository at ``path`` and open it."""
        Path(path).mkdir(parents=True, exist_ok=True)
        res = subprocess.run(["git", "init", "-q", "-b", branch, str(path)], cwd=path,
                             capture_output=True, check=False)
        if res.returncode != 0:
            raise GitError(f"git init {path} failed: "
                           f"{res.stderr.decode('utf-8', 'replace').strip()}")
        return cls(path)

    def git_version(self) -> str:
        """``git version``'s line (``git version 2.43.0``): what remembered builds depend on."""
        return self.out("version")

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
        found = self.read_object(commit + "^{commit}") if commit[:1] != "-" else None
        if found is None:
            raise GitError(f"{commit!r} names no commit in {self.path}",
                           "fetch it or check the name")
        raw = found[1].decode("utf-8", "surrogateescape")
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

    # -- objects (one reader, one writer: ``Git.objects``) ---------------------------------

    def commit_tree(self, tree: str, parents: Sequence[str], message: str,
                    author: Signed, committer: Signed | None = None) -> Oid:
        """Write a commit object in-process (no git process per commit)."""
        return self.objects.commit(tree, parents, message, author, committer)

    def read_blob(self, commit: str, path: str) -> bytes | None:
        found = self.read_object(f"{commit}:{path}")
        return found[1] if found is not None and found[0] == "blob" else None

    def path_exists(self, commit: str, path: str) -> bool:
        return self.read_object(f"{commit}:{path}") is not None

    def objects_complete(self, tip: str, base: str) -> bool:
        """Are the commits of ``base..tip`` and every tree and blob they need in the clone?"""
        res = self.run("rev-list", "--objects", "--missing=print", tip, f"^{base}", "--",
                       ok=(0, 128))
        return res.status == 0 and not any(line.startswith(b"?")
                                           for line in res.stdout.splitlines())

    def scratch_index(self, tree: str) -> AbstractContextManager[ScratchIndex]:
        """A temporary index holding ``tree``: apply patches to it without a work tree."""
        return scratch_index(self, tree)

    # -- reading the patch repo's history (reports) ------------------------------------------

    def blob_entries(self, rev: str, *paths: str) -> list[tuple[str, str]]:
        """(path, blob) of every file of ``rev`` under ``paths`` (``git ls-tree -r``)."""
        out = self.run("ls-tree", "-r", "-z", rev, "--", *paths).stdout
        entries = []
        for item in out.split(b"\0"):
            if not item:
                continue
            meta, path = item.split(b"\t", 1)
            parts = meta.split()
            if parts[1] == b"blob":
                entries.append((path.decode("utf-8", "surrogateescape"), parts[2].decode()))
        return entries

    def deletions_log(self, directory: str) -> str:
        """``\\x01COMMIT`` then the names it deleted under ``directory``, NUL-separated,
        newest first."""
        return self.run("log", "--format=%x01%H", "--diff-filter=D", "--name-only", "-z",
                        "--", directory).stdout.decode("utf-8", "surrogateescape")

    def first_parent_log(self, *paths: str) -> str:
        """The first-parent history touching ``paths``, oldest first: ``\\x01COMMIT TIME``
        then ``--raw -z`` records."""
        return self.run("log", "--first-parent", "--reverse", "--format=%x01%H %ct", "--raw",
                        "--no-abbrev", "--no-renames", "--diff-merges=first-parent", "-z",
                        "--", *paths).stdout.decode("utf-8", "surrogateescape")

    # -- reading queues ----------------------------------------------------------------------

    def queue_commits(self, base: str, tip: str) -> list[QueueCommit]:
        """The commits of ``base..tip``, oldest first, with their slug trailers (read from
        the commits this process made, when the line down to ``base`` is all of them)."""
        known = known_line(self.objects, base, tip)
        if known is not None:
            return known
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


Repository = Git  # the repository object

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_IDENT = re.compile(r"author (.*?) <([^<>\n]*)> ([0-9]+) ([+-])([0-9]{2})([0-9]{2})")


def known_line(objects: ObjectStore, base: str, tip: str) -> list[QueueCommit] | None:
    """``base..tip`` as ``git log`` gives it (see queue_commits), from commits ``objects``
    holds: a straight line of plain commits from ``tip`` down to ``base``. None when a commit
    is not held, is a merge, or has more than tree, parent, author and committer (an
    encoding, a signature): git reads those."""
    if not (_is_full_oid(base) and _is_full_oid(tip)):
        return None
    line: list[QueueCommit] = []
    sha = tip
    while sha != base:
        data = objects.known_commit(sha)
        if data is None or len(line) > 100_000:
            return None
        commit = _plain_commit(sha, data)
        if commit is None:
            return None
        line.append(commit)
        sha = commit.parent
    line.reverse()
    return line


def _plain_commit(sha: str, data: bytes) -> QueueCommit | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head, sep, body = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or len(lines) != 4 or not lines[0].startswith("tree ") or \
            not lines[1].startswith("parent ") or not lines[3].startswith("committer "):
        return None
    ident = _IDENT.fullmatch(lines[2])
    if ident is None:
        return None
    name, mail, seconds, sign, hours, minutes = ident.groups()
    if name != name.strip() or "<" in name or ">" in name or int(hours) > 23 or \
            int(minutes) > 59:
        return None  # git reads such a name or zone its own way
    offset = (int(hours) * 60 + int(minutes)) * (-1 if sign == "-" else 1)
    try:
        moment = datetime.fromtimestamp(int(seconds), timezone(timedelta(minutes=offset)))
    except (OverflowError, OSError, ValueError):
        return None
    zone = f"{'-' if offset < 0 else '+'}{hours}{minutes}"  # -0000 is +0000 to git
    date = (f"{_WEEKDAYS[moment.weekday()]}, {moment.day} {_MONTHS[moment.month - 1]} "
            f"{moment.year} {moment:%H:%M:%S} {zone}")  # git's %aD
    message, slug = strip_trailer(body)
    return QueueCommit(sha=sha, parent=lines[1][7:], tree=lines[0][5:], slug=slug,
                       message=message, author_name=name, author_email=mail,
                       author_date=date)


def _is_full_oid(name: str) -> bool:
    return len(name) in (40, 64) and all(c in "0123456789abcdef" for c in name)


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


def write_blob(git: Git, data: bytes) -> Oid:
    """Store ``data`` as a blob in the repository (in-process) and return its id."""
    return git.objects.write("blob", data)


def blob_data(git: Git, sha: str) -> bytes:
    """The bytes of the blob ``sha`` (through the repository's reader)."""
    found = git.read_object(sha)
    if found is None:
        raise GitError(f"object {sha} is missing from {git.path}",
                       "run `git fsck` in the upstream clone")
    return found[1]


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
    inside = git._objects_key()
    try:
        yield directory
    finally:
        git.forget_objects(inside)
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
    return git.exact_tag(commit)


def range_diff(git: Git, old_base: str, old_tip: str, new_base: str, new_tip: str) -> str:
    """``git range-diff`` of two queues, without colour."""
    return range_diff_text(start_range_diff(git, old_base, old_tip, new_base, new_tip))


def start_range_diff(git: Git, old_base: str, old_tip: str, new_base: str,
                     new_tip: str) -> Pending:
    """:func:`range_diff` started in the background (it reads commits only); read it with
    :func:`range_diff_text`."""
    return git.start("range-diff", "--no-color", f"{old_base}..{old_tip}",
                     f"{new_base}..{new_tip}")


def range_diff_text(pending: Pending) -> str:
    return pending.result().stdout.decode("utf-8", "replace")


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
    if mode in ("keep", "merge"):
        try:
            git.run("reset", "-q", f"--{mode}", commit)
            return
        except GitError:  # git changed nothing; stale stat data (a copied clone) reads as
            git.run("update-index", "-q", "--refresh", ok=(0, 1))  # changes: refresh, again
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
