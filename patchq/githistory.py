"""Reading history: the patches of a range and their patch-ids, the files of a commit, commit
messages, whether a diff applies, and the patch repo's own history (``patchq log``). Part of
:class:`patchq.git.Git`.

What comes from a user or a patch (paths) goes after ``--``, as a ``:(literal)`` pathspec
where git would read wildcards; revision ranges given here are commit ids patchq resolved.
Objects (blobs, trees, commit messages) are read through the command's one
``git cat-file --batch`` reader, never a process of their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .diff import unquote
from .errors import GitError
from .gitrun import DIFF_CONFIG, GitBase

if TYPE_CHECKING:
    from .gitapply import ScratchIndex

# The pinned diff configuration for ``git log -p`` and ``git diff-tree -p``: git log refuses
# diff.orderFile's empty value, so that pair is left out (diff-tree ignores it anyway).
LOG_CONFIG = tuple(x for pair in zip(DIFF_CONFIG[::2], DIFF_CONFIG[1::2])
                   if not pair[1].startswith("diff.orderFile") for x in pair)

_COMMIT_LINE = re.compile(rb"^commit ([0-9a-f]{40})\n", re.MULTILINE)


@dataclass(frozen=True)
class FileCommit:
    """One commit of a file's history (``git log --name-status``)."""

    sha: str
    time: int  # committer time, seconds since the epoch
    subject: str
    changes: tuple[tuple[str, ...], ...]  # name-status rows: (status, path[, new path])


def _literal(paths: Sequence[str]) -> list[str]:
    return [f":(literal){p}" for p in paths]


def _stdin(commits: Sequence[str]) -> bytes:
    return ("\n".join(commits) + "\n").encode()


class History(GitBase):
    """The named git commands that read history (mixed into ``Git``)."""

    # -- patches and their ids ----------------------------------------------------------------

    def patch_ids(self, diff: bytes) -> list[tuple[str, str]]:
        """(patch-id, commit) of every commit in ``diff`` (``git log -p`` or ``diff-tree -p``
        output with ``commit <id>`` lines), in its order: ``git patch-id --stable``."""
        if not diff.strip():
            return []
        res = self.run("patch-id", "--stable", input=diff)
        out = []
        for line in res.stdout.decode().splitlines():
            pid, _, commit = line.partition(" ")
            out.append((pid, commit))
        return out

    def log_patches(self, rev_range: str, paths: Sequence[str] = (), *,
                    renames: bool = False) -> bytes:
        """The patches of the non-merge commits of ``rev_range`` (newest first, each after a
        ``commit <id>`` line), only the commits touching ``paths`` when some are given.
        ``renames``: with ``-M`` and the pinned diff configuration (:data:`LOG_CONFIG`)."""
        if renames:
            return self.run("log", "-p", "-M", "--no-merges", "--no-color", "--format=commit %H",
                            rev_range, "--", *_literal(paths), config=LOG_CONFIG).stdout
        return self.run("log", "-p", "--no-color", "--no-merges", "--format=commit %H",
                        rev_range, "--", *_literal(paths)).stdout

    def commit_patches(self, commits: Sequence[str], *, parents: bool = False) -> bytes:
        """The patch of each commit against its first parent (``-M``, the pinned diff
        configuration), each after a ``commit <id>`` line (``commit <id> <parents>`` with
        ``parents``): one ``git diff-tree --stdin`` for all. ``commits`` are full ids."""
        fmt = "--format=commit %H %P" if parents else "--format=commit %H"
        return self.run("diff-tree", "--stdin", "-r", "-p", "-M", "--no-color", fmt,
                        input=_stdin(commits), config=LOG_CONFIG).stdout

    def binary_diffs(self, commits: Sequence[str]) -> dict[str, bytes]:
        """commit -> its full-index binary diff against its first parent (what ``git apply``
        takes), for full commit ids; one ``git diff-tree --stdin``. A root commit, or one
        that changes nothing, has none."""
        if not commits:
            return {}
        out = self.run("diff-tree", "--stdin", "-p", "--binary", "--full-index", "--no-color",
                       "--format=commit %H", input=_stdin(commits)).stdout
        marks = list(_COMMIT_LINE.finditer(out))
        return {m.group(1).decode(): out[m.end():marks[i + 1].start() if i + 1 < len(marks)
                                         else len(out)] for i, m in enumerate(marks)}

    def touched_files(self, rev_range: str, paths: Sequence[str]
                      ) -> list[tuple[str, frozenset[str]]]:
        """(commit, every file it changes) of the non-merge commits of ``rev_range`` that
        touch one of ``paths``, newest first (``git log --full-diff --name-only``)."""
        names = self.run("log", "-M", "--full-diff", "--no-merges", "--name-only",
                         "--format=commit %H", rev_range, "--", *_literal(paths),
                         config=LOG_CONFIG).stdout.decode("utf-8", "surrogateescape")
        out: list[tuple[str, frozenset[str]]] = []
        sha, touched = "", set[str]()
        for line in names.splitlines() + ["commit end"]:
            if line.startswith("commit "):
                if sha:
                    out.append((sha, frozenset(touched)))
                sha, touched = line[7:].strip(), set()
            elif line.strip():
                touched.add(unquote(line.encode("utf-8", "surrogateescape"))
                            .decode("utf-8", "surrogateescape"))
        return out

    def check_apply(self, diff: bytes, index: ScratchIndex, *, reverse: bool = False) -> bool:
        """Does ``diff`` apply (in reverse with ``reverse``) to the scratch ``index``?
        ``git apply --cached --check``; nothing is changed."""
        args = ["apply", "--cached", "--check", *(["-R"] if reverse else []), "-"]
        return self.run(*args, env=index.env, input=diff, ok=(0, 1, 128)).status == 0

    # -- the files of a commit ------------------------------------------------------------------

    def read_blobs(self, commit: str, paths: Sequence[str]) -> list[bytes | None]:
        """The content of each file ``commit:path`` (None when it is missing or not a file),
        through the object reader: no process of its own."""
        found = self.reader().read_many([f"{commit}:{p}" for p in paths])
        return [None if item is None or item[0] != "blob" else item[1] for item in found]

    def file_entries(self, commit: str, paths: Sequence[str]) -> dict[str, tuple[str, str]]:
        """path -> (mode, id) of each of ``paths`` that is a file (or a submodule) in
        ``commit``, as ``git ls-tree`` gives them, read from the trees through the object
        reader; a missing path or a directory is left out."""
        tree = self.reader().lookup([commit + "^{tree}"])[0] if commit[:1] != "-" else None
        if tree is None:
            raise GitError(f"{commit!r} names no tree in {self.path}",
                           "fetch it or check the name")
        out: dict[str, tuple[str, str]] = {}
        for path in paths:
            entry = self.objects.entry(tree[0], path)
            if entry is not None and entry[0] != "40000":
                out[path] = (entry[0].zfill(6), entry[1])
        return out

    def grep_files(self, commit: str, strings: Sequence[str], paths: Sequence[str]
                   ) -> list[str]:
        """The files of ``commit`` under ``paths`` holding one of the fixed ``strings``
        (``git grep -l -F``), in git's order."""
        if not strings or not paths:
            return []
        patterns = [arg for text in strings for arg in ("-e", text)]
        res = self.run("grep", "-l", "-F", *patterns, commit, "--", *_literal(paths),
                       ok=(0, 1))
        return [line.split(":", 1)[1] if ":" in line else line
                for line in res.stdout.decode("utf-8", "surrogateescape").splitlines()]

    # -- commit messages ------------------------------------------------------------------------

    def log_messages(self, rev_range: str) -> list[tuple[str, str]]:
        """(commit, message) of every commit of ``rev_range``, newest first."""
        out = self.run("log", "--format=%H%x00%B%x01", rev_range, "--").stdout
        messages = []
        for record in out.decode("utf-8", "replace").split("\x01"):
            sha, _, body = record.strip("\n").partition("\x00")
            if sha:
                messages.append((sha, body))
        return messages

    def messages(self, commits: Sequence[str]) -> dict[str, str]:
        """commit -> its message, for the commits of ``commits`` that are there, through the
        object reader (no process of its own)."""
        out: dict[str, str] = {}
        for sha, found in zip(commits, self.reader().read_many(list(commits))):
            if found is not None and found[0] == "commit":
                _, _, body = found[1].partition(b"\n\n")
                out[sha] = body.decode("utf-8", "replace").strip("\n")
        return out

    # -- the patch repo's history (``patchq log``) ----------------------------------------------

    def file_log(self, path: str, *, follow: bool = False, first_parent: bool = False
                 ) -> list[FileCommit]:
        """The commits that changed ``path`` (a file or a directory), newest first, with their
        name-status rows; ``follow`` follows the file's renames, ``first_parent`` keeps to the
        first-parent line."""
        flags = (["--first-parent"] if first_parent else []) + (["--follow"] if follow else [])
        out = self.run("log", "--format=%x01%H%x00%ct%x00%s", "--name-status", "--no-abbrev",
                       *flags, "--", path).stdout.decode("utf-8", "surrogateescape")
        found: list[tuple[list[str], list[tuple[str, ...]]]] = []
        for line in out.splitlines():
            if line.startswith("\x01"):
                found.append(((line[1:].split("\x00") + ["", ""])[:3], []))
            elif line.strip() and found:
                found[-1][1].append(tuple(line.split("\t")))
        return [FileCommit(sha, int(epoch), subject, tuple(rows))
                for (sha, epoch, subject), rows in found]

    def logged_paths(self, directory: str) -> list[str]:
        """Every path under ``directory`` a commit changed, newest first (repeated for each
        commit), as ``git log --name-only`` writes them."""
        out = self.run("log", "--format=", "--name-only", "--", directory).stdout
        return out.decode("utf-8", "surrogateescape").splitlines()

    def status_of(self, path: str) -> list[tuple[str, str]]:
        """(XY status, path) of each changed or untracked file at ``path`` (a file or a
        directory) in the work tree (``git status --porcelain``)."""
        out = self.run("status", "--porcelain", "--", path).stdout
        return [(line[:2], line[3:])
                for line in out.decode("utf-8", "surrogateescape").splitlines() if line]
