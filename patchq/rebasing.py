"""The rebase engine: move a queue of commits onto a new base and give every patch one outcome.

No printing and no user files: the engine reads and writes git objects only (trees and commits
in-process, one ``git merge-tree`` per patch that needs a 3-way merge). ``commands/rebase.py``
drives it, keeps its state, and writes the series.

How one patch is moved (its old commit C on parent P, onto the new parent N):

1. every file C changes still has, in N, exactly the content it had in P: the new tree is N's
   with C's files put in, no merge needed, the diff is byte-for-byte the same: ``unchanged``;
2. otherwise a 3-way merge (base P, ours N, theirs C):
   - clean and empty (N already holds the change): ``upstream``, dropped;
   - clean: compared with the old diff: ``unchanged`` (same hunks, a file without ``index``
     lines), ``offset`` (only line numbers and index ids moved), ``refreshed`` (context
     changed, same +/- lines), ``partial`` (some hunks vanished: upstream has them), or
     ``upstream`` when detection finds every hunk in the new base (what the merge left being
     release notes or tests upstream wrote its own way);
   - a conflict: ``obsolete`` when every file it changes is gone upstream; ``upstream`` when
     detection (patch-id, hunks, reverse-apply...) finds the change in the new base;
     otherwise ``conflict``: the engine stops there, or sets it aside.

A person's resolution is recorded by the command as ``modified``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .git import Git, ObjectStore, merge_trees, paths_touched, raw_changes
from .model import Outcome

CRASH_ENV = "PATCHQ_TEST_CRASH_AT"
_MERGED = "(merged)"  # pending outcomes, decided in batches before the engine returns
_CONFLICTED = "(conflicted)"
Progress = Callable[[int, int, str], None]

_crash = {"count": 0}


def crash_point(label: str) -> None:
    """Test hook: with PATCHQ_TEST_CRASH_AT=N the process kills itself with SIGKILL at the Nth
    crash point it passes, so tests can prove that --abort and --continue work from there.
    PATCHQ_TEST_CRASH_LOG=FILE appends each point's label to FILE (to count them)."""
    target = os.environ.get(CRASH_ENV)
    if not target:
        return
    _crash["count"] += 1
    log = os.environ.get(CRASH_ENV.replace("_AT", "_LOG"))
    if log:
        with open(log, "a") as out:
            out.write(label + "\n")
    if _crash["count"] == int(target):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


# -- values ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OldPatch:
    """A patch of the old queue: its slug, its commit and that commit's parent."""

    slug: str
    commit: str
    parent: str
    has_index: bool = True  # its file carries ``index`` lines (format-patch style)

    def as_json(self) -> dict:
        return {"slug": self.slug, "commit": self.commit, "parent": self.parent,
                "has_index": self.has_index}

    @classmethod
    def from_json(cls, data: Mapping) -> OldPatch:
        return cls(data["slug"], data["commit"], data["parent"], data.get("has_index", True))


@dataclass
class PatchResult:
    """What the rebase did to one patch."""

    slug: str
    outcome: str  # an Outcome value
    old_commit: str
    new_commit: str | None = None  # None when dropped or set aside
    evidence: list[dict] = field(default_factory=list)  # {method, commits, detail}
    detail: str = ""
    files: list[str] = field(default_factory=list)  # conflicted files
    needs_person: bool = False
    upstream: dict = field(default_factory=dict)  # state, hunks_total, hunks_present

    @property
    def dropped(self) -> bool:
        return self.outcome in (Outcome.UPSTREAM.value, Outcome.OBSOLETE.value)

    def evidence_line(self) -> str:
        """One line for a table: every method with its commits, the first one's detail."""
        parts = []
        for number, item in enumerate(self.evidence):
            commits = item.get("commits", [])
            text = item["method"] + "".join(f" {c[:12]}" for c in commits[:2]) + \
                (f" +{len(commits) - 2}" if len(commits) > 2 else "")
            if number == 0 and item.get("detail"):
                text += f" ({item['detail']})"
            parts.append(text)
        if self.detail:
            parts.append(self.detail)
        return "; ".join(parts)

    def as_json(self) -> dict:
        return {"slug": self.slug, "outcome": self.outcome, "old_commit": self.old_commit,
                "new_commit": self.new_commit, "evidence": self.evidence,
                "detail": self.detail, "files": self.files, "needs_person": self.needs_person,
                "upstream": self.upstream}

    @classmethod
    def from_json(cls, data: Mapping) -> PatchResult:
        return cls(slug=data["slug"], outcome=data["outcome"], old_commit=data["old_commit"],
                   new_commit=data.get("new_commit"), evidence=list(data.get("evidence", [])),
                   detail=data.get("detail", ""), files=list(data.get("files", [])),
                   needs_person=bool(data.get("needs_person")),
                   upstream=dict(data.get("upstream", {})))


@dataclass(frozen=True)
class Stop:
    """The engine stopped at a conflict: patch ``index`` does not merge onto ``parent``."""

    index: int
    slug: str
    parent: str
    files: tuple[str, ...]
    messages: tuple[str, ...]


def evidence(method: str, commits: Sequence[str] = (), detail: str = "") -> dict:
    return {"method": method, "commits": list(commits), "detail": detail}


# -- moving commits ----------------------------------------------------------------------------


def rewrite_commit(store: ObjectStore, old: str, tree: str, parent: str) -> str:
    """``old`` with a new tree and parent; author, committer and message kept (signatures
    dropped: they would no longer verify). Deterministic, so a resumed rebase writes the very
    same commits."""
    _, data = store.read(old)
    header, _, message = data.partition(b"\n\n")
    out = [b"tree " + tree.encode(), b"parent " + parent.encode()]
    skipping = False
    for line in header.split(b"\n"):
        if line.startswith(b" "):
            if not skipping:
                out.append(line)
            continue
        key = line.split(b" ", 1)[0]
        skipping = key in (b"gpgsig", b"gpgsig-sha256", b"mergetag")
        if key in (b"tree", b"parent") or skipping:
            continue
        out.append(line)
    return store.write("commit", b"\n".join(out) + b"\n\n" + message)


class Engine:
    """Moves ``patches`` (the old queue on ``old_base``) onto ``new_base``.

    Git processes are batched: a pass moves every patch it can (in-process when no merge is
    needed, one ``git merge-tree`` otherwise) and leaves the outcome of clean merges, and of
    conflicts it need not stop at, pending; then one diff run classifies them and one
    detection run answers for all that need it. In the rare case where detection finds a
    merged patch's whole change in the new base, the patch is dropped and the patches after
    it are moved again from there.
    """

    def __init__(self, git: Git, store: ObjectStore, old_base: str, new_base: str,
                 new_ref: str, patches: Sequence[OldPatch], *, on_conflict: str = "stop",
                 records: Mapping[str, Mapping] | None = None,
                 progress: Progress | None = None) -> None:
        self.git = git
        self.store = store
        self.old_base = old_base
        self.new_base = new_base
        self.new_ref = new_ref
        self.patches = list(patches)
        self.on_conflict = on_conflict
        self.records = records or {}
        self.progress = progress
        self._raw: dict | None = None
        self._detector = None
        self._findings: dict[str, object] = {}
        self._trees: dict[str, str] = {}
        self._parents: dict[str, str] = {}  # slug -> the new parent it was moved onto
        self._conflicts: dict[str, object] = {}  # slug -> MergeResult, while pending

    @property
    def range(self) -> str:
        return f"{self.old_base}..{self.new_base}"

    def tree_of(self, commit: str) -> str:
        tree = self._trees.get(commit)
        if tree is None:
            _, data = self.store.read(commit)
            tree = data[5:45].decode()
            self._trees[commit] = tree
        return tree

    def raw(self):
        if self._raw is None:
            self._raw = raw_changes(self.git, [p.commit for p in self.patches])
        return self._raw

    def detector(self):
        if self._detector is None:
            from .detect import Detector

            same = self.git.rev_parse(self.new_ref) == self.new_base
            self._detector = Detector(self.git, self.new_ref if same else self.new_base,
                                      since=self.old_base)
        return self._detector

    def findings(self, slugs: Sequence[str]) -> dict:
        """Detection's finding for each slug, in one batch (remembered: a finding compares a
        patch with the new base, wherever the patch sits in the new queue)."""
        from .detect import PatchChange

        by_slug = {p.slug: p for p in self.patches}
        missing = [s for s in dict.fromkeys(slugs) if s not in self._findings]
        if missing:
            changes = [PatchChange(slug=s, commit=by_slug[s].commit,
                                   message=self.message_of(by_slug[s].commit),
                                   record=self.records.get(s, {})) for s in missing]
            for slug, finding in zip(missing, self.detector().find_all(changes)):
                self._findings[slug] = finding
        return {s: self._findings[s] for s in slugs}

    def message_of(self, commit: str) -> str:
        _, data = self.store.read(commit)
        return data.partition(b"\n\n")[2].decode("utf-8", "replace")

    # -- the loop -------------------------------------------------------------------------

    def run(self, start: int, parent: str, results: list[PatchResult]) -> Stop | None:
        """Move patches[start:] onto ``parent``, appending to ``results``. Returns a Stop at a
        conflict when ``on_conflict`` is "stop" (that patch gets no result yet)."""
        first = len(results)
        self.store.read_many([p.commit for p in self.patches[start:]])  # one round trip
        while True:
            stop = self._pass(start, parent, results)
            redo = self._settle(results, first)
            if redo is None:
                return stop
            # a merged patch turned out to be upstream: move the ones after it again
            index = next(i for i, p in enumerate(self.patches) if p.slug == redo.slug)
            del results[results.index(redo) + 1:]
            start, parent = index + 1, self._parents[redo.slug]

    def _pass(self, start: int, parent: str, results: list[PatchResult]) -> Stop | None:
        total = len(self.patches)
        raw = self.raw()
        parent_tree = self.tree_of(parent)
        for index in range(start, total):
            patch = self.patches[index]
            if self.progress:
                self.progress(index + 1, total, patch.slug)
            self._parents[patch.slug] = parent
            result, new_parent, stop = self._move(index, patch, parent, parent_tree,
                                                  raw[patch.commit])
            if stop is not None:
                return stop
            results.append(result)
            if new_parent != parent:
                parent = new_parent
                parent_tree = self.tree_of(parent)
            crash_point(f"patch {index + 1}")
        return None

    def _move(self, index: int, patch: OldPatch, parent: str, parent_tree: str, changes):
        store = self.store
        same = True
        for change in changes:
            expected = None if change.added else (change.old_mode, change.old_sha)
            if store.entry(parent_tree, change.path) != expected:
                same = False
                break
        if same:
            tree = store.tree_with(parent_tree, {
                c.path: None if c.deleted else (c.new_mode, c.new_sha) for c in changes}) \
                if changes else parent_tree
            commit = rewrite_commit(store, patch.commit, tree, parent)
            self._trees[commit] = tree
            return (PatchResult(patch.slug, Outcome.UNCHANGED.value, patch.commit, commit,
                                upstream={"state": "absent"}), commit, None)
        merge = merge_trees(self.git, store, patch.parent, parent_tree, patch.commit)
        if merge.clean:
            if merge.tree == parent_tree:
                return (PatchResult(patch.slug, Outcome.UPSTREAM.value, patch.commit,
                                    upstream={"state": "present"}), parent, None)
            commit = rewrite_commit(store, patch.commit, merge.tree, parent)
            self._trees[commit] = merge.tree
            return PatchResult(patch.slug, _MERGED, patch.commit, commit), commit, None
        # a conflict: gone, upstream in another shape, or a person's job
        before = [c.path for c in changes if not c.added]
        if before and not any(c.added for c in changes) and \
                all(store.entry(parent_tree, p) is None for p in before):
            shown = ", ".join(before[:3]) + (" ..." if len(before) > 3 else "")
            verb = "exists" if len(before) == 1 else "exist"
            return (PatchResult(
                patch.slug, Outcome.OBSOLETE.value, patch.commit,
                evidence=[evidence("files-gone", [], f"{shown} no longer {verb} in "
                                   f"{self.new_ref}")],
                upstream={"state": "absent"}), parent, None)
        if self.on_conflict == "stop":
            finding = self.findings([patch.slug])[patch.slug]
            if finding.state.value != "present":
                return None, parent, Stop(index, patch.slug, parent, merge.conflicts,
                                          _conflict_lines(merge.messages))
        self._conflicts[patch.slug] = merge
        return PatchResult(patch.slug, _CONFLICTED, patch.commit), parent, None

    def conflict_result(self, stop: Stop) -> PatchResult:
        patch = self.patches[stop.index]
        finding = self._findings.get(patch.slug)
        result = PatchResult(patch.slug, Outcome.CONFLICT.value, patch.commit,
                             files=list(stop.files), needs_person=True,
                             detail="; ".join(stop.messages[:3]))
        if finding is not None:
            _found(result, finding)
        return result

    # -- settling pending outcomes in batches ---------------------------------------------

    def _settle(self, results: list[PatchResult], first: int) -> PatchResult | None:
        """Decide every pending outcome from ``results[first:]``; return the first merged
        patch found to be upstream after all (its followers must move again), or None."""
        pending = [r for r in results[first:] if r.outcome in (_MERGED, _CONFLICTED)]
        if not pending:
            return None
        by_slug = {p.slug: p for p in self.patches}
        merged = [r for r in pending if r.outcome == _MERGED]
        diffs = self.git.commit_diffs([r.old_commit for r in merged]
                                      + [r.new_commit for r in merged]) if merged else {}
        ask = []
        for result in merged:
            outcome, detail, kept, total = classify(
                diffs.get(result.old_commit, b""), diffs.get(result.new_commit, b""),
                by_slug[result.slug].has_index)
            result.outcome, result.detail = outcome.value, detail
            result.upstream = {"state": "absent"}
            if outcome is Outcome.PARTIAL:
                result.upstream = {"state": "partial", "hunks_total": total,
                                   "hunks_present": total - kept}
            if outcome in (Outcome.PARTIAL, Outcome.MODIFIED):
                ask.append(result)
        ask += [r for r in pending if r.outcome == _CONFLICTED]
        found = self.findings([r.slug for r in ask])
        redo = None
        for result in ask:
            finding = found[result.slug]
            present = finding.state.value == "present"
            if result.outcome == _CONFLICTED:
                merge = self._conflicts.pop(result.slug)
                if present:
                    result.outcome = Outcome.UPSTREAM.value
                else:
                    result.outcome, result.needs_person = Outcome.CONFLICT.value, True
                    result.files = list(merge.conflicts)
                    result.detail = "set aside: " + "; ".join(
                        _conflict_lines(merge.messages)[:3])
                _found(result, finding)
            elif present:
                left = [c.path for c in raw_changes(self.git, [result.new_commit])[
                    result.new_commit]]
                shown = ", ".join(left[:3]) + (" ..." if len(left) > 3 else "")
                result.outcome, result.new_commit = Outcome.UPSTREAM.value, None
                result.detail = (f"the 3-way merge left only {shown}, which {self.new_ref} "
                                 "has in its own form")
                _found(result, finding)
                if redo is None or results.index(result) < results.index(redo):
                    redo = result
            elif result.outcome == Outcome.PARTIAL.value:
                result.evidence = [e.as_json() for e in finding.evidence]
                if not any(e["method"] == "hunks" for e in result.evidence):
                    result.evidence.append(evidence("hunks", [], result.detail))
                    result.detail = ""
        return redo

    def finish(self, results: list[PatchResult]) -> None:
        """Evidence for dropped and partial patches: detection for the ones an empty merge
        dropped, and the upstream commits touching each one's files (one ``git log``)."""
        empty = [r for r in results if r.outcome == Outcome.UPSTREAM.value and not r.evidence]
        if empty:
            found = self.findings([r.slug for r in empty])
            for result in empty:
                result.evidence = [e.as_json() for e in found[result.slug].evidence] + [
                    evidence("empty-apply", [],
                             f"a clean 3-way merge onto {self.new_ref} changes nothing")]
        wanted = [(r, item) for r in results for item in r.evidence
                  if item["method"] in ("empty-apply", "hunks", "files-gone")
                  and not item["commits"]]
        if not wanted:
            return
        changes = self.raw()
        paths = {c.path for r, _ in wanted for c in changes.get(r.old_commit, [])}
        touching = paths_touched(self.git, self.range, sorted(paths))
        for result, item in wanted:
            mine = {c.path for c in changes.get(result.old_commit, [])}
            deleting = item["method"] == "files-gone"
            commits = [sha for sha, files in touching
                       if any((path in mine) and (not deleting or status == "D")
                              for status, path in files)]
            item["commits"] = commits[:20]


def _found(result: PatchResult, finding) -> None:
    """Put detection's evidence and hunk counts on a result."""
    result.evidence = [e.as_json() for e in finding.evidence] + result.evidence
    result.upstream = {"state": finding.state.value, "hunks_total": finding.hunks_total,
                       "hunks_present": finding.hunks_present}


def _conflict_lines(messages: Sequence[str]) -> tuple[str, ...]:
    """git's CONFLICT lines, without the "Auto-merging" chatter."""
    return tuple(m for m in messages if m.startswith("CONFLICT")) or tuple(messages)


# -- comparing a patch's diff before and after ---------------------------------------------------

_INDEX = re.compile(rb"^index [0-9a-f]+\.\.[0-9a-f]+", re.MULTILINE)


def file_has_index(raw: bytes) -> bool:
    """Does a patch file carry ``index`` lines (and so blob ids that a move changes)?"""
    return bool(_INDEX.search(raw))


@dataclass
class _File:
    header: list[bytes] = field(default_factory=list)  # diff --git, mode lines, ---/+++
    hunks: list[tuple[bytes, list[bytes]]] = field(default_factory=list)  # (@@ line, body)


def _parse(diff: bytes) -> list[_File]:
    start = diff.find(b"diff --git ")
    if start < 0:
        return []
    files: list[_File] = []
    current: _File | None = None
    for line in diff[start:].split(b"\n"):
        if line.startswith(b"diff --git "):
            current = _File(header=[line])
            files.append(current)
        elif current is None:
            continue
        elif line.startswith(b"@@"):
            current.hunks.append((line, []))
        elif current.hunks:
            if line[:1] in (b" ", b"-", b"+", b"\\"):
                current.hunks[-1][1].append(line)
            elif line:
                current.header.append(line)
        elif not line.startswith(b"index "):
            current.header.append(line)
    return files


def _changes(body: list[bytes]) -> tuple[bytes, ...]:
    return tuple(line for line in body if line[:1] in (b"-", b"+"))


def classify(old: bytes, new: bytes, has_index: bool) -> tuple[Outcome, str, int, int]:
    """(outcome, detail, hunks kept, hunks before) of a patch whose 3-way merge was clean.

    >>> a = b"diff --git a/f b/f\\nindex 1..2 100644\\n--- a/f\\n+++ b/f\\n@@ -1,3 +1,3 @@\\n x\\n-y\\n+z\\n w\\n"
    >>> classify(a, a.replace(b"-1,3 +1,3", b"-5,3 +5,3"), True)[0].value
    'offset'
    >>> classify(a, a.replace(b" w", b" v"), True)[0].value
    'refreshed'
    >>> classify(a, a, False)[0].value
    'unchanged'
    """
    before, after = _parse(old), _parse(new)
    total = sum(max(len(f.hunks), 1) for f in before)
    kept = sum(max(len(f.hunks), 1) for f in after)
    if [f.header for f in before] == [f.header for f in after]:
        if [f.hunks for f in before] == [f.hunks for f in after]:
            if not has_index:
                return Outcome.UNCHANGED, "", kept, total
            return Outcome.OFFSET, "index ids changed", kept, total
        if [[h[1] for h in f.hunks] for f in before] == [[h[1] for h in f.hunks] for f in after]:
            moved = sum(1 for f, g in zip(before, after) for h, k in zip(f.hunks, g.hunks)
                        if h[0] != k[0])
            return Outcome.OFFSET, f"{moved} of {total} hunks moved", kept, total
    old_changes = [_changes(h[1]) for f in before for h in f.hunks]
    new_changes = [_changes(h[1]) for f in after for h in f.hunks]
    if sum(old_changes, ()) == sum(new_changes, ()):
        renamed = [f"{g.header[0][11:].decode('utf-8', 'replace')}" for f, g in zip(before, after)
                   if f.header[0] != g.header[0]]
        detail = "context lines changed" + (f"; now {', '.join(renamed)}" if renamed else "")
        return Outcome.REFRESHED, detail, kept, total
    remaining = list(old_changes)
    subset = bool(new_changes) and len(new_changes) < len(old_changes)
    for hunk in new_changes:
        if hunk in remaining:
            remaining.remove(hunk)
        else:
            subset = False
            break
    if subset:
        gone = len(old_changes) - len(new_changes)
        return (Outcome.PARTIAL, f"{gone} of {len(old_changes)} hunks already upstream",
                kept, total)
    detail = "the 3-way merge changed its +/- lines (no person was asked): review it"
    return Outcome.MODIFIED, detail, kept, total
