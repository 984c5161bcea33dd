"""git objects without a git process each: one ``git cat-file --batch`` reader per object
directory for a whole command, and one writer of loose objects (blobs, trees, commits).

:class:`patchq.git.Git` owns the readers (``Git.reader``) and stores (``Git.objects``);
everything that reads or writes an object goes through them.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import weakref
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from .errors import GitError

if TYPE_CHECKING:
    from .gitrun import GitBase


class Signed(Protocol):
    """What a commit's author or committer line is made from (``patchq.git.Identity``)."""

    def signature(self) -> str: ...


class Oid(str):
    """A full object id in hex. Its length says the hash: 40 digits SHA-1, 64 SHA-256.

    >>> Oid("0" * 40).algorithm, Oid.null(64).algorithm, Oid("ab" * 20).raw_length
    ('sha1', 'sha256', 20)
    """

    __slots__ = ()

    @property
    def algorithm(self) -> str:
        return "sha256" if len(self) == 64 else "sha1"

    @property
    def raw_length(self) -> int:
        """Bytes of the id as trees store it."""
        return len(self) // 2

    @property
    def is_null(self) -> bool:
        return not self.strip("0")

    @classmethod
    def null(cls, digits: int = 40) -> Oid:
        return cls("0" * digits)


NULL_OID = Oid.null()
SUPPORTED_FORMATS = ("sha1",)  # the object formats the in-process reader and writer know
_RAW = NULL_OID.raw_length  # bytes of an id inside a tree
_TREE_MODE = "40000"


class BatchReader:
    """One ``git cat-file --batch`` process: objects by name (an id, ``REV:path``...), asked
    in chunks small enough for the pipe so neither side waits on the other."""

    def __init__(self, path: Path, env: Mapping[str, str]) -> None:
        self.path = path
        try:
            self._proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=path,
                                          env={**os.environ, **env},
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError as exc:
            raise GitError(f"could not run git: {exc}", "is git installed?") from exc
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._in: IO[bytes] = self._proc.stdin
        self._out: IO[bytes] = self._proc.stdout
        # stopped when the reader goes (or patchq exits) even if nobody calls close
        self._stop = weakref.finalize(self, _stop_reader, self._proc)

    def read_many(self, names: Sequence[str]) -> list[tuple[str, bytes] | None]:
        """(type, data) of each object, None for one that is not there."""
        return [None if found is None else found[1:] for found in self.lookup(names)]

    def lookup(self, names: Sequence[str]) -> list[tuple[str, str, bytes] | None]:
        """(id, type, data) of each object, None for one that is not there."""
        out: list[tuple[str, str, bytes] | None] = []
        for start in range(0, len(names), 500):
            chunk = names[start:start + 500]
            try:
                self._in.write(b"".join(n.encode("utf-8", "surrogateescape") + b"\n"
                                        for n in chunk))
                self._in.flush()
            except OSError as exc:
                raise GitError(f"git cat-file stopped in {self.path}: {exc}",
                               "run `git fsck` in the upstream clone") from None
            for _ in chunk:
                parts = self._out.readline().decode("utf-8", "surrogateescape").split()
                if len(parts) == 3 and parts[2].isdigit():
                    data = self._out.read(int(parts[2]) + 1)[:-1]
                    out.append((parts[0], parts[1], data))
                elif parts and parts[-1] in ("missing", "ambiguous"):
                    out.append(None)
                else:
                    raise GitError(f"git cat-file stopped in {self.path}",
                                   "run `git fsck` in the upstream clone")
        return out

    def read(self, name: str) -> tuple[str, bytes] | None:
        return self.read_many([name])[0]

    def close(self) -> None:
        self._stop()


def _stop_reader(proc: subprocess.Popen[bytes]) -> None:
    """End a ``cat-file --batch``: it exits at the end of its input."""
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()
    proc.wait()


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


def mode_of(text: str) -> str:
    """A mode as trees write it: octal without leading zeros."""
    return format(int(text, 8), "o")


Entry = tuple[str, str, str]  # (mode, name, id) of a tree entry
_Tree = tuple[list[Entry], dict[str, int], list[bytes]]


def _tree_record(entry: Entry) -> bytes:
    mode, name, sha = entry
    return f"{mode} ".encode() + name.encode("utf-8", "surrogateescape") + b"\0" + \
        bytes.fromhex(sha)


def _tree_key(entry: Entry) -> bytes:
    """git's order of tree entries: by name, a directory as if it ended with "/"."""
    return entry[1].encode("utf-8", "surrogateescape") + (b"/" if entry[0] == _TREE_MODE else b"")


def _is_oid(name: str) -> bool:
    return len(name) == 40 and not name.strip("0123456789abcdef")


class ObjectStore:
    """Reads objects through the repository's ``git cat-file --batch`` reader and writes loose
    objects in-process, so building hundreds of commits and trees costs no git process each.

    Trees are parsed once and cached; ``tree_with`` rewrites only the trees on the paths it
    changes. Objects go to ``git``'s object directory (its quarantine when one is active).
    """

    def __init__(self, git: GitBase) -> None:
        self.git = git
        self.objects = Path(git.object_directory())
        self._trees: dict[str, _Tree] = {}
        self._commits: dict[str, bytes] = {}
        self._fanout: set[str] = set()  # objects/XX directories known to exist
        self._serial = 0

    def close(self) -> None:
        """Nothing to release: the reader belongs to the repository (``Git.close``)."""

    def read(self, sha: str) -> tuple[str, bytes]:
        """(type, data) of an object (commits are remembered: they are read again and again)."""
        cached = self._commits.get(sha)
        if cached is not None:
            return "commit", cached
        return self.read_many([sha])[0]

    def read_many(self, shas: Sequence[str]) -> list[tuple[str, bytes]]:
        """Several objects in one round trip; a missing one is an error."""
        out: list[tuple[str, bytes]] = []
        for sha, found in zip(shas, self.git.reader().read_many(shas)):
            if found is None:
                raise GitError(f"object {sha} is missing from {self.git.path}",
                               "run `git fsck`; fetch the commits again")
            if found[0] == "commit" and _is_oid(sha):
                self._commits[sha] = found[1]
            out.append(found)
        return out

    def write(self, kind: str, data: bytes) -> Oid:
        """Store an object as a loose object (when it is not there yet) and return its id."""
        raw = f"{kind} {len(data)}\0".encode() + data
        sha = hashlib.sha1(raw).hexdigest()
        path = self.objects / sha[:2] / sha[2:]
        if not path.exists():
            if sha[:2] not in self._fanout:  # one mkdir per fan-out directory, not per object
                path.parent.mkdir(parents=True, exist_ok=True)
                self._fanout.add(sha[:2])
            tmp, handle = self._temp(path.parent)
            with os.fdopen(handle, "wb") as out:
                out.write(zlib.compress(raw, 1))
            os.replace(tmp, path)
        if kind == "commit":
            self._commits[sha] = data  # the queue is read back from here (Git.queue_commits)
        return Oid(sha)

    def known_commit(self, sha: str) -> bytes | None:
        """A commit this process wrote or read already, without asking git (None if not)."""
        return self._commits.get(sha)

    def _temp(self, directory: Path) -> tuple[str, int]:
        """A new read-only file in ``directory`` (open for writing) to rename into place:
        one open, no chmod (a loose object is read-only, as git makes it)."""
        while True:
            self._serial += 1
            name = os.path.join(directory, f"tmp_obj_{os.getpid()}_{self._serial}")
            try:
                return name, os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
            except FileExistsError:  # left by a process of the same id that was killed
                continue

    # -- trees ---------------------------------------------------------------------------

    def tree(self, sha: str) -> list[Entry]:
        """The entries (mode, name, sha) of a tree object, in git's order."""
        return self._tree(sha)[0]

    def _tree(self, sha: str) -> _Tree:
        """(entries, name -> position, encoded entries) of a tree, parsed once."""
        cached = self._trees.get(sha)
        if cached is not None:
            return cached
        kind, data = self.read(sha)
        if kind == "commit":
            return self._tree(data[5:5 + 2 * _RAW].decode())
        if kind != "tree":
            raise GitError(f"object {sha} is a {kind}, not a tree")
        entries: list[Entry] = []
        records: list[bytes] = []
        at = 0
        while at < len(data):
            space = data.index(b" ", at)
            nul = data.index(b"\0", space)
            end = nul + 1 + _RAW
            entries.append((data[at:space].decode(), data[space + 1:nul].decode(
                "utf-8", "surrogateescape"), data[nul + 1:end].hex()))
            records.append(data[at:end])
            at = end
        cached = (entries, {e[1]: i for i, e in enumerate(entries)}, records)
        self._trees[sha] = cached
        return cached

    def _store_tree(self, entries: list[Entry], index: dict[str, int] | None,
                    records: list[bytes]) -> str:
        sha = self.write("tree", b"".join(records))
        if index is None:
            index = {e[1]: i for i, e in enumerate(entries)}
        self._trees[sha] = (entries, index, records)
        return sha

    def make_tree(self, entries: list[Entry]) -> str:
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

    def tree_with(self, tree: str, changes: Mapping[str, tuple[str, str] | None]) -> str:
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
        updates: dict[str, Entry | None] = {}
        for name, value in here.items():
            updates[name] = None if value is None else (mode_of(value[0]), name, value[1])
        for name, sub in below.items():
            at = index.get(name)
            old = old_entries[at] if at is not None else None
            subtree = old[2] if old is not None and old[0] == _TREE_MODE else ""
            new = self.tree_with(subtree, sub)
            updates[name] = None if new == "" else (_TREE_MODE, name, new)
        entries: list[Entry | None] = list(old_entries)
        records = list(old_records)
        reorder = False
        for name, entry in updates.items():
            at = index.get(name)
            if at is None:
                if entry is not None:
                    entries.append(entry)
                    reorder = True
                continue
            previous = entries[at]
            if entry is None:
                entries[at] = None
                reorder = True
            else:
                if previous is not None and (previous[0] == _TREE_MODE) != (entry[0] == _TREE_MODE):
                    reorder = True  # a file became a directory or back: its place changes
                entries[at] = entry
                records[at] = _tree_record(entry)
        kept = [e for e in entries if e is not None]
        if reorder:
            return self.make_tree(kept) if kept else ""
        return self._store_tree(kept, index, records)

    def commit(self, tree: str, parents: Sequence[str], message: str, author: Signed,
               committer: Signed | None = None) -> Oid:
        committer = committer or author
        lines = [f"tree {tree}"] + [f"parent {p}" for p in parents]
        lines += [f"author {author.signature()}", f"committer {committer.signature()}", ""]
        return self.write("commit", ("\n".join(lines) + "\n" + message).encode(
            "utf-8", "surrogateescape"))
