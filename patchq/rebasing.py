"""The rebase engine: move a queue of commits onto a new base and give every patch one outcome.

No printing and no user files: the engine reads and writes git objects only (trees and commits
in-process, one ``git merge-tree`` per patch that needs a 3-way merge). ``commands/rebase.py``
and the ``commands/rebase_*.py`` beside it drive it, keep its state, and write the series.

How one patch is moved (its old commit C on parent P, onto the new parent N), and what it
gives :func:`patchq.decide.decide`, the one place outcomes are decided:

1. every file C changes still has, in N, exactly the content it had in P: the new tree is N's
   with C's files put in, no merge needed, the diff is byte-for-byte the same (``SAME``);
2. a file C changes is gone from N: :class:`patchq.moves.Mover` looks where it went (git's
   rename, a module that became a package) and, when its lines are there, the merge below
   uses C's hunks carried to the new file(s) instead of C itself;
3. a 3-way merge (base P, ours N, theirs C): clean and empty (``EMPTY``); clean, and then
   compared with the old diff (``MERGED``: :func:`patchq.rebase_compare.classify`); a
   conflict (``CONFLICT``), or ``GONE`` when every file it changes is gone with its content;
4. upstream detection (patch-id, hunks, reverse-apply...) for conflicts and merges that lost
   hunks or changed +/- lines, and the patch's declared upstream identity (its upstream
   commit in the history, its issue in the release notes) for conflicts and partial ones.

Git processes are batched: a pass moves every patch it can and leaves the outcome of merges
and of conflicts it need not stop at pending; then one diff run classifies them and one
detection run answers for all that need it. A person's choices are decided by the command
(``Person`` facts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

from .crash import point as crash_point
from .decide import (
    Decision,
    Facts,
    Identity,
    Move,
    Person,
    asks_detection,
    asks_identity,
    decide,
)
from .git import Git, MergeResult, ObjectStore, merge_trees, paths_touched, raw_changes
from .model import Confidence, Evidence, Method, Outcome, UpstreamState
from .moves import Mover, Port
from .rebase_compare import classify, file_has_index
from .rebase_result import OldPatch, PatchResult, Stop, Upstream

if TYPE_CHECKING:
    from .detect import Finding

__all__ = ["Engine", "OldPatch", "PatchResult", "Stop", "classify", "crash_point",
           "file_has_index", "regenerated", "rewrite_commit"]

Progress = Callable[[int, int, str], None]


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


@dataclass(frozen=True)
class _Step:
    """One patch moved, its outcome still to decide."""

    patch: OldPatch
    move: Move
    new_commit: str | None = None
    merge: MergeResult | None = None
    port: Port | None = None
    gone_detail: str = ""

    @property
    def source(self) -> str:
        """The commit whose change was merged: the patch's, or its port to moved files."""
        return self.port.commit if self.port else self.patch.commit


class Engine:
    """Moves ``patches`` (the old queue on ``old_base``) onto ``new_base``."""

    def __init__(self, git: Git, store: ObjectStore, old_base: str, new_base: str,
                 new_ref: str, patches: Sequence[OldPatch], *, on_conflict: str = "stop",
                 records: Mapping[str, Mapping] | None = None, old_ref: str = "",
                 progress: Progress | None = None) -> None:
        self.git = git
        self.store = store
        self.old_base = old_base
        self.new_base = new_base
        self.new_ref = new_ref
        self.old_ref = old_ref or old_base[:12]
        self.patches = list(patches)
        self.on_conflict = on_conflict
        self.records = records or {}
        self.progress = progress
        self._raw: dict | None = None
        self._detector = None
        self._mover: Mover | None = None
        self._notes: tuple | None = None
        self._findings: dict[str, Finding] = {}
        self._identities: dict[str, tuple[Identity, tuple[Evidence, ...]]] = {}
        self._ports: dict[str, Port] = {}  # slug -> its port, once made
        self._trees: dict[str, str] = {}
        self._parents: dict[str, str] = {}  # slug -> the new parent it was moved onto

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

    def mover(self) -> Mover:
        if self._mover is None:
            self._mover = Mover(self.git, self.store, self.old_base, self.new_base)
        return self._mover

    def findings(self, slugs: Sequence[str]) -> dict[str, Finding]:
        """Detection's finding for each slug, in one batch (remembered: a finding compares a
        patch with the new base, wherever the patch sits in the new queue). A patch ported to
        moved files is looked for there."""
        from .detect import PatchChange

        by_slug = {p.slug: p for p in self.patches}
        missing = [s for s in dict.fromkeys(slugs) if s not in self._findings]
        if missing:
            changes = [PatchChange(slug=s, commit=self._ports[s].commit if s in self._ports
                                   else by_slug[s].commit,
                                   message=self.message_of(by_slug[s].commit),
                                   record=self.records.get(s, {})) for s in missing]
            for slug, finding in zip(missing, self.detector().find_all(changes)):
                self._findings[slug] = finding
        return {s: self._findings[s] for s in slugs}

    def identities(self, slugs: Sequence[str]) -> dict[str, tuple[Identity, tuple[Evidence, ...]]]:
        """What each patch's declared identity finds in the new base, and the evidence to
        quote (one ``git grep`` of each base's release notes for all of them)."""
        from .release_notes import ReleaseNotes

        by_slug = {p.slug: p for p in self.patches}
        missing = [s for s in dict.fromkeys(slugs) if s not in self._identities]
        issues = [i for s in missing for i in by_slug[s].declared.issues]
        if self._notes is None:
            self._notes = (ReleaseNotes(self.git, self.new_base, self.new_ref),
                           ReleaseNotes(self.git, self.old_base, self.old_ref))
        new_notes, old_notes = self._notes
        listed = new_notes.find(issues) if issues else {}
        before = old_notes.find(issues) if issues else {}
        for slug in missing:
            self._identities[slug] = self._identity(by_slug[slug], listed, before)
        return {s: self._identities[s] for s in slugs}

    def _identity(self, patch: OldPatch, listed: Mapping, before: Mapping
                  ) -> tuple[Identity, tuple[Evidence, ...]]:
        declared = patch.declared
        if not declared:
            return Identity(), ()
        evidence: list[Evidence] = []
        in_base = []
        for sha in declared.commits:
            full = self.git.rev_parse(sha + "^{commit}")
            if full and self.git.is_ancestor(full, self.new_base):
                in_base.append(full)
        if in_base:
            evidence.append(Evidence(Method.CHERRY_PICK, tuple(in_base),
                                     f"the upstream commit it declares is in {self.new_ref}",
                                     Confidence.HIGH))
        entries = [e for issue in declared.issues for e in listed.get(issue, ())]
        was_listed = [issue for issue in declared.issues if before.get(issue)]
        finding = self._findings.get(patch.slug)
        own_note = finding is not None and any(
            "NEWS.d/next/" in h.path and h.verdict.value == "in" for h in finding.hunks)
        identity = Identity(backport=declared.backport, commit_in_base=bool(in_base),
                            listed=bool(entries), listed_before=bool(was_listed),
                            own_note_found=own_note)
        summary = ""
        if entries:
            first = entries[0]
            summary = f"{first.issue} is fixed upstream in {self.new_ref} ({first.path}, " \
                f"{first.release})"
            if was_listed:
                summary += f" (and {self.old_ref}'s notes list {', '.join(was_listed)} too)"
        elif in_base:
            summary = f"its upstream commit {in_base[0][:12]} is in {self.new_ref}"
        identity = replace(identity, summary=summary)
        if entries:
            from .decide import identity_confidence

            sure = identity_confidence(Facts(Move.CONFLICT, state=finding.state
                                             if finding else None, identity=identity))
            evidence += [Evidence(Method.RELEASE_NOTES, (),
                                  f"{self.new_ref}'s {entry.where()}"
                                  + (" (its own NEWS entry is there)" if own_note else ""),
                                  sure) for entry in entries[:3]]
        return identity, tuple(evidence)

    def message_of(self, commit: str) -> str:
        _, data = self.store.read(commit)
        return data.partition(b"\n\n")[2].decode("utf-8", "replace")

    # -- the loop -------------------------------------------------------------------------

    def run(self, start: int, parent: str, results: list[PatchResult]) -> Stop | None:
        """Move patches[start:] onto ``parent``, appending to ``results``. Returns a Stop at a
        conflict when ``on_conflict`` is "stop" (that patch gets no result yet)."""
        self.store.read_many([p.commit for p in self.patches[start:]])  # one round trip
        while True:
            steps, stop = self._pass(start, parent)
            decided, redo = self._settle(steps)
            if redo is None:
                results.extend(decided)
                return stop
            # a merged patch turned out to be upstream: move the ones after it again
            results.extend(decided[:redo + 1])
            slug = decided[redo].slug
            start = next(i for i, p in enumerate(self.patches) if p.slug == slug) + 1
            parent = self._parents[slug]

    def _pass(self, start: int, parent: str) -> tuple[list[_Step], Stop | None]:
        total = len(self.patches)
        raw = self.raw()
        parent_tree = self.tree_of(parent)
        steps: list[_Step] = []
        for index in range(start, total):
            patch = self.patches[index]
            if self.progress:
                self.progress(index + 1, total, patch.slug)
            self._parents[patch.slug] = parent
            step, stop = self._move(index, patch, parent, parent_tree, raw[patch.commit])
            if stop is not None:
                return steps, stop
            steps.append(step)
            if step.new_commit is not None and step.new_commit != parent:
                parent = step.new_commit
                parent_tree = self.tree_of(parent)
            crash_point(f"patch {index + 1}")
        return steps, None

    def _move(self, index: int, patch: OldPatch, parent: str, parent_tree: str, changes
              ) -> tuple[_Step, Stop | None]:
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
            return _Step(patch, Move.SAME, commit), None
        before = [c.path for c in changes if not c.added]
        gone = [p for p in before if store.entry(parent_tree, p) is None]
        port = self._port(patch, gone, parent_tree) if gone else None
        step = _Step(patch, Move.CONFLICT, port=port)
        merge = merge_trees(self.git, store, port.parent if port else patch.parent,
                            parent_tree, step.source)
        if merge.clean:
            if merge.tree == parent_tree:
                return replace(step, move=Move.EMPTY), None
            commit = rewrite_commit(store, patch.commit, merge.tree, parent)
            self._trees[commit] = merge.tree
            return replace(step, move=Move.MERGED, new_commit=commit), None
        step = replace(step, merge=merge)
        if port is None and before and len(gone) == len(before) and \
                not any(c.added for c in changes):
            shown = ", ".join(before[:3]) + (" ..." if len(before) > 3 else "")
            verb = "exists" if len(before) == 1 else "exist"
            searched = sorted({t for p in before for t in self.mover().candidates(p, parent_tree)})
            detail = f"{shown} no longer {verb} in {self.new_ref}" + (
                f"; none of its lines is in {', '.join(searched[:3])}" if searched else "")
            return replace(step, move=Move.GONE, gone_detail=detail), None
        if self.on_conflict == "stop" and \
                self._decide([step])[patch.slug].outcome is Outcome.CONFLICT:
            return step, Stop(index, patch.slug, parent, merge.conflicts,
                              _conflict_lines(merge.messages), port.commit if port else "")
        return step, None

    def _port(self, patch: OldPatch, gone: Sequence[str], parent_tree: str) -> Port | None:
        port = self.mover().port(patch.parent, patch.commit, gone, parent_tree,
                                 partial(rewrite_commit, self.store))
        if port is not None:
            self._ports[patch.slug] = port
        return port

    # -- deciding outcomes in batches ---------------------------------------------------------

    def _decide(self, steps: Sequence[_Step], merged_as: Mapping[str, Outcome] | None = None
                ) -> dict[str, Decision]:
        """The decision for each step, asking detection and the declared identity (in one
        batch each) only for the steps whose outcome depends on them."""
        merged_as = merged_as or {}
        ask = [s.patch.slug for s in steps if asks_detection(s.move, merged_as.get(s.patch.slug))]
        found = self.findings(ask)
        states = {slug: found[slug].state for slug in ask}
        wanting = [s.patch.slug for s in steps
                   if asks_identity(s.move, merged_as.get(s.patch.slug), states.get(s.patch.slug))
                   and s.patch.declared]
        idents = self.identities(wanting)
        return {s.patch.slug: decide(Facts(
            s.move, merged_as.get(s.patch.slug), states.get(s.patch.slug),
            ported=s.port is not None,
            identity=idents[s.patch.slug][0] if s.patch.slug in idents else Identity()))
            for s in steps}

    def _settle(self, steps: list[_Step]) -> tuple[list[PatchResult], int | None]:
        """The results of ``steps``, and the position of the first merged patch found to be
        upstream after all (the patches after it must move again), or None."""
        merged = [s for s in steps if s.move is Move.MERGED]
        diffs = self.git.commit_diffs([s.source for s in merged] +
                                      [s.new_commit for s in merged if s.new_commit]) \
            if merged else {}
        readings = {s.patch.slug: classify(diffs.get(s.source, b""),
                                           diffs.get(s.new_commit or "", b""),
                                           s.patch.has_index) for s in merged}
        decisions = self._decide(steps, {slug: r[0] for slug, r in readings.items()})
        results: list[PatchResult] = []
        redo = None
        for step in steps:
            decision = decisions[step.patch.slug]
            result = self._result(step, decision, readings.get(step.patch.slug))
            if step.move is Move.MERGED and result.new_commit is None and redo is None:
                redo = len(results)
            results.append(result)
        return results, redo

    def _result(self, step: _Step, decision: Decision, reading=None) -> PatchResult:
        patch, outcome = step.patch, decision.outcome
        finding = self._findings.get(patch.slug)
        found = tuple(finding.evidence) if finding is not None else ()
        upstream = Upstream(finding.state, finding.hunks_total, finding.hunks_present) \
            if finding is not None else Upstream()
        known = {(e.method, e.commits) for e in found}
        identity = tuple(e for e in self._identities.get(patch.slug, (Identity(), ()))[1]
                         if (e.method, e.commits) not in known)
        notes = [f"ported {step.port.detail()}"] if step.port else []
        moved = step.port.moved if step.port else ()
        base = PatchResult(patch.slug, outcome, patch.commit, confidence=decision.confidence,
                           moved=moved)
        if step.move is Move.SAME:
            return replace(base, new_commit=step.new_commit)
        if step.move is Move.EMPTY:
            return replace(base, upstream=Upstream(UpstreamState.PRESENT))
        if step.move is Move.GONE:
            return replace(base, evidence=(Evidence(Method.FILES_GONE, (), step.gone_detail),))
        if decision.note:
            notes.append(decision.note)
        if outcome is Outcome.UPSTREAM:
            by_identity = step.move is not Move.EMPTY and upstream.state is not \
                UpstreamState.PRESENT
            evidence = identity + found if by_identity else found + identity
            if step.move is Move.MERGED and step.new_commit and \
                    upstream.state is UpstreamState.PRESENT:
                left = [c.path for c in raw_changes(self.git, [step.new_commit])[
                    step.new_commit]]
                shown = ", ".join(left[:3]) + (" ..." if len(left) > 3 else "")
                notes.append(f"the 3-way merge left only {shown}, which {self.new_ref} "
                             "has in its own form")
            return replace(base, evidence=evidence, upstream=upstream,
                           detail="; ".join(notes))
        if outcome is Outcome.CONFLICT:
            merge = step.merge
            lines = "; ".join(_conflict_lines(merge.messages)[:3]) if merge else ""
            return replace(base, evidence=found + identity, upstream=upstream,
                           files=tuple(merge.conflicts) if merge else (),
                           needs_person=decision.needs_person,
                           detail="; ".join(["set aside: " + lines] + notes))
        detail, kept, total = (reading[1], reading[2], reading[3]) if reading else ("", 0, 0)
        result = replace(base, new_commit=step.new_commit,
                         detail="; ".join(notes + ([detail] if detail else [])))
        if outcome is Outcome.PARTIAL:
            evidence = found + identity
            if not any(e.method is Method.HUNKS for e in evidence):
                evidence += (Evidence(Method.HUNKS, (), detail),)
                result = replace(result, detail="; ".join(notes))
            return replace(result, evidence=evidence, upstream=Upstream(
                UpstreamState.PARTIAL, total, total - kept))
        return result

    def conflict_result(self, stop: Stop) -> PatchResult:
        """The stopped patch set aside (``--skip``): a conflict for a person."""
        patch = self.patches[stop.index]
        step = _Step(patch, Move.CONFLICT, merge=MergeResult(False, "", stop.files,
                                                             stop.messages),
                     port=self._port_at(stop))
        facts = Facts(Move.CONFLICT, person=Person.SET_ASIDE)
        if patch.declared:
            finding = self.findings([patch.slug])[patch.slug]
            identity = self.identities([patch.slug])[patch.slug][0]
            facts = replace(facts, state=finding.state, identity=identity)
        return self._result(step, decide(facts))

    def person_result(self, stop: Stop, person: Person, new_commit: str | None,
                      detail: str) -> PatchResult:
        """The stopped patch as a person decided it: resolved, resolved to nothing, dropped."""
        decision = decide(Facts(Move.CONFLICT, person=person))
        patch = self.patches[stop.index]
        port = self._port_at(stop)
        evidence = (Evidence(Method.PERSON, (), detail),) if decision.outcome.removes else ()
        return PatchResult(patch.slug, decision.outcome, patch.commit, new_commit,
                           evidence=evidence, detail="" if evidence else detail,
                           moved=port.moved if port else ())

    def _port_at(self, stop: Stop) -> Port | None:
        """The port of the stopped patch (made again in a new process: it is deterministic)."""
        patch = self.patches[stop.index]
        if patch.slug not in self._ports and stop.pick:
            tree = self.tree_of(stop.parent)
            gone = [c.path for c in self.raw()[patch.commit]
                    if not c.added and self.store.entry(tree, c.path) is None]
            self._port(patch, gone, tree)
        return self._ports.get(patch.slug)

    def finish(self, results: list[PatchResult]) -> None:
        """Evidence for dropped and partial patches: detection for the ones an empty merge
        dropped, and the upstream commits touching each one's files (one ``git log``)."""
        empty = [i for i, r in enumerate(results) if r.outcome is Outcome.UPSTREAM
                 and not r.evidence]
        if empty:
            found = self.findings([results[i].slug for i in empty])
            for i in empty:
                results[i] = replace(results[i], evidence=tuple(
                    found[results[i].slug].evidence) + (Evidence(
                        Method.EMPTY_APPLY, (),
                        f"a clean 3-way merge onto {self.new_ref} changes nothing"),))
        wanted = [(i, n) for i, r in enumerate(results) for n, item in enumerate(r.evidence)
                  if item.method in (Method.EMPTY_APPLY, Method.HUNKS, Method.FILES_GONE)
                  and not item.commits]
        if not wanted:
            return
        changes = self.raw()
        paths = {c.path for i, _ in wanted for c in changes.get(results[i].old_commit, [])}
        touching = paths_touched(self.git, self.range, sorted(paths))
        for i, n in wanted:
            result = results[i]
            item = result.evidence[n]
            mine = {c.path for c in changes.get(result.old_commit, [])}
            deleting = item.method is Method.FILES_GONE
            commits = [sha for sha, files in touching
                       if any((path in mine) and (not deleting or status == "D")
                              for status, path in files)]
            evidence = list(result.evidence)
            evidence[n] = replace(item, commits=tuple(commits[:20]))
            results[i] = replace(result, evidence=tuple(evidence))


def regenerated(result: PatchResult) -> PatchResult:
    """``result`` once export had to write its file again after all (the queue moved under
    it): an unchanged patch is decided again with that fact."""
    if result.outcome is not Outcome.UNCHANGED:
        return result
    return replace(result, outcome=decide(Facts(Move.SAME, regenerated=True)).outcome,
                   detail="file regenerated")


def _conflict_lines(messages: Sequence[str]) -> tuple[str, ...]:
    """git's CONFLICT lines, without the "Auto-merging" chatter."""
    return tuple(m for m in messages if m.startswith("CONFLICT")) or tuple(messages)
