"""Applying patches with git: in a scratch index (no work tree), or in the checked-out work
tree leaving conflicts and ``.rej`` files for a person."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .errors import ApplyError
from .gitrun import DIFF_CONFIG

if TYPE_CHECKING:
    from .git import Git


@contextmanager
def scratch_index(git: Git, tree: str) -> Iterator[ScratchIndex]:
    """A temporary index holding ``tree``: apply patches to it without a work tree."""
    handle, name = tempfile.mkstemp(prefix="patchq-index-", dir=git.git_path(""))
    os.close(handle)
    os.unlink(name)
    index = ScratchIndex(git, name)
    try:
        index.read_tree(tree)
        yield index
    finally:
        for path in (name, name + ".lock"):
            if os.path.exists(path):
                os.unlink(path)


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
        blob = self.git.objects.write("blob", data)
        self.git.run("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}",
                     env=self.env)


def _failing_hunks(stderr: str) -> str:
    """git apply's complaints, one per line: 'patch failed: Python/x.c:120' and the like."""
    lines = [ln.removeprefix("error: ").strip() for ln in stderr.splitlines()
             if ln.startswith("error:") or "Hunk" in ln or "patch failed" in ln]
    return "; ".join(dict.fromkeys(lines)) or stderr.strip()

