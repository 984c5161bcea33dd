"""Following files a patch changes that upstream moved: before a rebase calls a patch
obsolete, it looks where its files went between the two bases, and carries its hunks there.

Where a file may have gone (:meth:`Mover.candidates`): the name git's rename detection gives
it between the old and the new base (``git diff -M``), and, for a module that became a
package (``Lib/pathlib.py`` -> ``Lib/pathlib/``, ``Lib/zipfile.py`` -> ``Lib/zipfile/``), every
``.py`` file of that package. Each hunk goes to the candidate holding most of its lines
(:func:`place_hunks`, pure); a hunk found nowhere goes with the file's best candidate, where
the merge will show it as a conflict. When no hunk of any moved file is found anywhere, the
content is gone: the patch is obsolete.

The port is a real 3-way merge: :meth:`Mover.port` writes a parent and a commit in which the
old file stands at its new path(s), holding only the hunks placed there; the engine merges
that commit instead of the patch's own (``git merge-tree``), so a clean port keeps upstream's
changes to the new file and a conflicting one stops naming the new file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .git import Git, ObjectStore, renames, tree_paths

_FILE_START = re.compile(rb"^diff --git a/(\S+) b/(\S+)$", re.MULTILINE)
_HUNK_START = re.compile(rb"^@@ ", re.MULTILINE)


@dataclass(frozen=True)
class Port:
    """Where the hunks of a patch's moved files go, and the commits that carry them."""

    moved: tuple[tuple[str, tuple[str, ...]], ...]  # (old path, (new paths...))
    parent: str = ""  # the patch's parent with each old file at its new path(s)
    commit: str = ""  # the patch on that parent

    def detail(self) -> str:
        return "; ".join(f"{old} -> {', '.join(new)}" for old, new in self.moved)

    def as_json(self) -> list[dict]:
        return [{"from": old, "to": list(new)} for old, new in self.moved]


def _significant(line: bytes) -> bool:
    text = line.strip()
    return len(text) >= 3 and any(chr(c).isalnum() for c in text)


def hunk_lines(hunk: bytes) -> tuple[list[bytes], list[bytes]]:
    """(context and removed lines, removed lines) of one hunk's text, stripped, significant."""
    before, removed = [], []
    for line in hunk.split(b"\n")[1:]:
        if line[:1] in (b" ", b"-") and _significant(line[1:]):
            before.append(line[1:].strip())
            if line[:1] == b"-":
                removed.append(line[1:].strip())
    return before, removed


def place_hunks(hunks: Sequence[bytes], candidates: Sequence[str],
                contents: Mapping[str, bytes]) -> dict[str, list[int]] | None:
    """Which candidate each hunk goes to (candidate -> hunk indexes), or None when no hunk's
    lines are in any candidate (the content is gone). A hunk is at home where at least half of
    its context and removed lines are; the earlier candidate wins a tie; a hunk at home
    nowhere goes with the candidate most hunks found.

    >>> old = [b"@@ -1,3 +1,2 @@\\n import io\\n-import ntpath\\n import os", b"@@ -9 +9 @@\\n-gone()"]
    >>> place_hunks(old, ["p/__init__.py", "p/_local.py"],
    ...             {"p/__init__.py": b"from ._local import *\\n",
    ...              "p/_local.py": b"import io\\nimport ntpath\\nimport os\\n"})
    {'p/_local.py': [0, 1]}
    >>> place_hunks(old, ["p/__init__.py"], {"p/__init__.py": b"x = 1\\n"}) is None
    True
    """
    lines = {c: {ln.strip() for ln in contents.get(c, b"").split(b"\n")} for c in candidates}
    homes: list[str | None] = []
    totals = dict.fromkeys(candidates, 0)
    for hunk in hunks:
        before, removed = hunk_lines(hunk)
        best, best_score = None, 0
        for candidate in candidates:
            found = sum(1 for ln in before if ln in lines[candidate])
            score = found + sum(1 for ln in removed if ln in lines[candidate])
            if found * 2 >= max(len(before), 1) and score > best_score:
                best, best_score = candidate, score
        homes.append(best)
        if best is not None:
            totals[best] += 1
    if all(home is None for home in homes):
        return None
    fallback = max(candidates, key=lambda c: totals[c])
    out: dict[str, list[int]] = {}
    for index, home in enumerate(homes):
        out.setdefault(home or fallback, []).append(index)
    return out


def split_hunks(section: bytes) -> tuple[bytes, list[bytes]]:
    """(file header, hunks) of one file's section of a diff.

    >>> split_hunks(b"diff --git a/x b/x\\n--- a/x\\n+++ b/x\\n@@ -1 +1 @@\\n-a\\n+b\\n@@ -9 +9 @@\\n-c\\n+d\\n")
    (b'diff --git a/x b/x\\n--- a/x\\n+++ b/x\\n', [b'@@ -1 +1 @@\\n-a\\n+b\\n', b'@@ -9 +9 @@\\n-c\\n+d\\n'])
    """
    starts = [m.start() for m in _HUNK_START.finditer(section)]
    if not starts:
        return section, []
    ends = starts[1:] + [len(section)]
    return section[:starts[0]], [section[a:b] for a, b in zip(starts, ends)]


def file_sections(diff: bytes) -> dict[str, bytes]:
    """Each file's section of a git diff, by its (new) path."""
    marks = list(_FILE_START.finditer(diff))
    out = {}
    for number, mark in enumerate(marks):
        end = marks[number + 1].start() if number + 1 < len(marks) else len(diff)
        out[mark.group(2).decode("utf-8", "surrogateescape")] = diff[mark.start():end]
    return out


class Mover:
    """Where the files of ``old_base`` went in ``new_base``, and porting patches there."""

    def __init__(self, git: Git, store: ObjectStore, old_base: str, new_base: str) -> None:
        self.git = git
        self.store = store
        self.old_base = old_base
        self.new_base = new_base
        self._renames: dict[str, str] | None = None
        self._packages: dict[str, list[str]] = {}

    def candidates(self, path: str, new_tree: str) -> list[str]:
        """Where ``path`` may be in ``new_tree``: its git rename, then (a module that became a
        package) the package's ``__init__.py`` and its other ``.py`` files."""
        if self._renames is None:
            self._renames = renames(self.git, self.old_base, self.new_base)
        out = []
        renamed = self._renames.get(path)
        if renamed:
            out.append(renamed)
        if path.endswith(".py"):
            package = path[:-3]
            if package not in self._packages:
                self._packages[package] = sorted(
                    (p for p in tree_paths(self.git, self.new_base, [package])
                     if p.endswith(".py")),
                    key=lambda p: (not p.endswith("/__init__.py"), p.count("/"), p))
            out += self._packages[package]
        return [p for p in dict.fromkeys(out) if self.store.entry(new_tree, p) is not None]

    def port(self, parent: str, commit: str, gone: Sequence[str], new_tree: str,
             rewrite) -> Port | None:
        """The patch ``commit`` (on ``parent``) with its ``gone`` files carried to where they
        went in ``new_tree``; None when none of them went anywhere with its content.
        ``rewrite(old, tree, parent)`` writes a commit like ``old`` (rebasing.rewrite_commit)."""
        store = self.store
        parent_tree, commit_tree = _tree(store, parent), _tree(store, commit)
        places: dict[str, tuple[list[str], tuple[str, str], tuple[str, str]]] = {}
        for path in gone:
            old, new = store.entry(parent_tree, path), store.entry(commit_tree, path)
            if old is None or new is None:  # added or deleted by the patch: nothing to carry
                continue
            targets = [t for t in self.candidates(path, new_tree)
                       if store.entry(commit_tree, t) is None]
            if targets:
                places[path] = (targets, old, new)
        if not places:
            return None
        staged_old: dict[str, tuple[str, str] | None] = {}
        staged_new: dict[str, tuple[str, str] | None] = {}
        for path, (targets, old, new) in places.items():
            staged_old[path] = staged_new[path] = None
            for target in targets:
                staged_old[target], staged_new[target] = old, new
        old_tree = store.tree_with(parent_tree, staged_old)
        full_tree = store.tree_with(commit_tree, staged_new)
        sections = file_sections(self.git.diff(old_tree, full_tree))
        moved: list[tuple[str, tuple[str, ...]]] = []
        base_changes: dict[str, tuple[str, str] | None] = {}
        port_changes: dict[str, tuple[str, str] | None] = {}
        partial: list[bytes] = []
        for path, (targets, old, new) in places.items():
            hunks = split_hunks(sections.get(targets[0], b""))[1]
            contents = {t: _blob(store, new_tree, t) for t in targets}
            placed = place_hunks(hunks, targets, contents) if hunks else None
            if placed is None:  # its content is nowhere: left as it is (a modify/delete)
                continue
            moved.append((path, tuple(placed)))
            base_changes[path] = port_changes[path] = None
            for target, indexes in placed.items():
                base_changes[target] = old
                if len(indexes) == len(hunks):
                    port_changes[target] = new
                else:  # some of its hunks go elsewhere: apply only the ones placed here
                    port_changes[target] = old
                    head, _ = split_hunks(sections[target])
                    partial.append(head + b"".join(hunks[i] for i in indexes))
        if not moved:
            return None
        ported_tree = store.tree_with(commit_tree, port_changes)
        if partial:
            with self.git.scratch_index(ported_tree) as index:
                index.apply_diff(b"".join(partial), slug="port")
                ported_tree = index.write_tree()
        new_parent = rewrite(parent, store.tree_with(parent_tree, base_changes), parent)
        return Port(tuple(moved), new_parent, rewrite(commit, ported_tree, new_parent))


def _blob(store: ObjectStore, tree: str, path: str) -> bytes:
    found = store.entry(tree, path)
    return store.read(found[1])[1] if found is not None else b""


def _tree(store: ObjectStore, commit: str) -> str:
    _, data = store.read(commit)
    return data[5:45].decode()
