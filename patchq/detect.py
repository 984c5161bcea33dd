"""Finding a patch's change in upstream (docs/design.md §5). Used by rebase and status.

Methods, cheapest first; every finding says which one found it:

1. ``patch-id``: ``git patch-id --stable`` equality with a commit of the range;
2. ``hunks``: the same at hunk level (upstream adds NEWS and tests beside the fix): every
   ``+``/``-`` hunk is looked for in the ref's tree (at its place, or with moved context) and
   in the commits of the range;
3. ``reverse-apply``: the patch's reverse applies to the ref and the patch itself does not;
4. links in commit messages: ``(cherry picked from commit X)``, ``GH-N``/``gh-N``, a
   recorded PR whose merge commit is reachable;
5. the PR's state on GitHub (recorded by ``patchq sync``).

The tree decides the state: a hunk whose pre-image is still in the ref's tree is absent,
whatever a commit message or an older commit says (a change upstream reverted later reads
absent). Links and GitHub state are evidence shown beside the state, never a state by
themselves. A patch is *present* when every hunk outside tests and release notes is in the
ref (upstream rewrites those; they are still counted in ``hunks_present``/``hunks_total``),
*partial* when some hunk is, *absent* otherwise. Patches given together are a series: a hunk
whose new lines a later patch replaces counts when that later patch's hunk is in the ref.

A :class:`Detector` indexes one ref once (and the commits of ``since..ref`` touching the
patches' files), then answers for any number of patches; :meth:`Detector.find_all` batches
the git calls, so 100 patches cost a handful of git processes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from .detect_hunks import FileText, blocks, hunk_after, hunk_verdict, significant, supersede
from .detect_links import CHERRY, Links, link_evidence
from .detect_types import (
    Finding,
    HunkResult,
    PatchChange,
    Verdict,
    is_accessory,
    is_release_note,
)
from .diff import FilePatch, Hunk, parse_log
from .git import Git
from .model import Evidence, Method, UpstreamState

__all__ = ["Detector", "Evidence", "Finding", "HunkResult", "Links", "Method", "PatchChange",
           "Verdict", "is_accessory"]

_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


def _patch_ids(git: Git, diff_text: bytes) -> dict[str, str]:
    """patch-id -> commit id for every commit in a ``git log -p`` output (the first commit
    wins for equal ids)."""
    out: dict[str, str] = {}
    for pid, commit in git.patch_ids(diff_text):
        out.setdefault(pid, commit)
    return out


# -- the detector -------------------------------------------------------------------------------


# (repository, commit) -> (parent, files, patch-id): commits never change, so a status that
# checks several refs reads each patch's diff once
_PATCHES: dict[tuple[str, str], tuple[str, tuple[FilePatch, ...], str | None]] = {}


@dataclass
class _PatchData:
    change: PatchChange
    parent: str
    files: tuple[FilePatch, ...]
    patch_id: str | None = None


class Detector:
    """Detect patches in ``ref``; ``since`` bounds the commits searched by patch-id and links
    (typically the old base: upstream commits the series has not seen yet)."""

    def __init__(self, git: Git, ref: str, since: str | None = None) -> None:
        self.git = git
        self.ref = ref
        self.ref_commit = git.resolve(ref, "ref")
        self.since = git.resolve(since, "ref") if since else None
        self._range_ids: dict[str, str] | None = None
        # indexes of the range, filled on demand for the paths the patches touch
        self._covered: set[str] = set()
        self._seen_commits: set[str] = set()  # commits whose patch-id is known
        self._blocks: dict[tuple, list[str]] = {}  # (path, removed, added) -> commits
        self._path_ids: dict[str, str] = {}  # patch-id -> commit, of commits touching paths
        self._messages: list[tuple[str, str]] | None = None
        self._texts: dict[str, FileText | None] = {}
        self._notes_searched: set[str] = set()  # release-note needles already grepped for
        self._note_files: set[str] = set()  # files of the ref that may hold them
        self._is_ancestor: dict[tuple[str, str], bool] = {}

    def _range(self) -> str:
        return f"{self.since}..{self.ref_commit}" if self.since else self.ref_commit

    def range_patch_ids(self) -> dict[str, str]:
        if self._range_ids is None:
            if self.since is None:
                self._range_ids = {}
            else:
                self._range_ids = _patch_ids(self.git, self.git.log_patches(self._range()))
        return self._range_ids

    def commit_patch_id(self, commit: str) -> str | None:
        ids = self.git.patch_ids(self.git.commit_patches([self.git.resolve(commit, "commit")]))
        return ids[0][0] if ids else None

    def reverse_applies(self, commit: str) -> bool:
        """The commit's change is in ref: its reverse applies and it does not apply forward."""
        full = self.git.resolve(commit, "commit")
        return full in self._reverse_apply_many([full])

    # -- batch reading -----------------------------------------------------------------------

    def _load_patches(self, changes: Sequence[PatchChange]) -> list[_PatchData]:
        full = {c.commit: c.commit if _FULL_SHA.match(c.commit) else
                self.git.resolve(c.commit, "patch commit") for c in changes}
        where = str(self.git.path)
        missing = [c for c in dict.fromkeys(full.values()) if (where, c) not in _PATCHES]
        if missing:
            stdout = self.git.commit_patches(missing, parents=True)
            parents = {m.group(1).decode(): m.group(2).decode() for m in
                       re.finditer(rb"^commit ([0-9a-f]{40}) ?([0-9a-f]{40})?", stdout,
                                   re.MULTILINE) if m.group(2)}
            parsed = dict(parse_log(stdout))
            ids = {sha: pid for pid, sha in self.git.patch_ids(stdout)}
            if len(_PATCHES) > 20000:
                _PATCHES.clear()
            for sha in missing:
                _PATCHES[(where, sha)] = (parents.get(sha, ""), parsed.get(sha, ()), ids.get(sha))
        out = []
        for change in changes:
            parent, files, pid = _PATCHES[(where, full[change.commit])]
            out.append(_PatchData(change, parent, files, pid))
        return out

    def _cover(self, paths: Iterable[str], filesets: Iterable[frozenset[str]] = ()) -> None:
        """Index the range's commits that touch ``paths``: the changed runs of their hunks
        in those paths, and the patch-ids of the commits that touch exactly the files of
        one of ``filesets`` (only those can have a patch's patch-id)."""
        missing = sorted({p for p in paths if p} - self._covered)
        self._covered.update(missing)
        if not missing or self.since is None:
            return
        log = self.git.log_patches(self._range(), missing, renames=True)
        for sha, files in parse_log(log, set(missing)):
            for diff in files:
                for hunk in diff.hunks:
                    for block in blocks(hunk):
                        if any(map(significant, block.removed + block.added)):
                            commits = self._blocks.setdefault((diff.path, *block.key()), [])
                            if sha not in commits:
                                commits.append(sha)
        wanted = set(filesets)
        if not wanted:
            return
        candidates = [sha for sha, touched in self.git.touched_files(self._range(), missing)
                      if touched in wanted and sha not in self._seen_commits]
        if candidates:
            self._seen_commits.update(candidates)
            out = self.git.commit_patches(candidates)
            for pid, commit in _patch_ids(self.git, out).items():
                self._path_ids.setdefault(pid, commit)

    def _read_texts(self, paths: Iterable[str]) -> None:
        wanted = sorted({p for p in paths if p and p not in self._texts})
        if not wanted:
            return
        for path, data in zip(wanted, self.git.read_blobs(self.ref_commit, wanted)):
            self._texts[path] = FileText(data) if data is not None else None

    def _entries(self, wanted: Mapping[str, set[str]]) -> dict[str, tuple[str, str] | None]:
        """``"<commit>:<path>"`` -> (mode, blob) (None when missing), read from the trees."""
        out: dict[str, tuple[str, str] | None] = {}
        for commit, paths in wanted.items():
            found = self.git.file_entries(commit, sorted(paths))
            for path in paths:
                out[f"{commit}:{path}"] = found.get(path)
        return out

    def ancestor(self, commit: str, of: str) -> bool:
        key = (commit, of)
        if key not in self._is_ancestor:
            full = self.git.rev_parse(commit)
            self._is_ancestor[key] = bool(full) and self.git.is_ancestor(full or "", of)
        return self._is_ancestor[key]

    def range_messages(self) -> list[tuple[str, str]]:
        if self._messages is None:
            self._messages = self.git.log_messages(self._range()) if self.since else []
        return self._messages

    # -- finding -----------------------------------------------------------------------------

    def find(self, change: PatchChange) -> Finding:
        return self.find_all([change])[0]

    def find_all(self, changes: Sequence[PatchChange]) -> list[Finding]:
        """Findings for ``changes``, given in series order: a hunk whose lines a later patch
        of the same call changes again is judged together with that later patch."""
        if not changes:
            return []
        patches = self._load_patches(changes)
        paths = {p for d in patches for f in d.files for p in (f.old_path, f.new_path) if p}
        self._cover(paths, {frozenset(f.path for f in d.files) for d in patches if d.files})
        self._read_texts(paths)
        wanted: dict[str, set[str]] = {}
        for data in patches:
            for f in data.files:
                if f.binary or not f.hunks:
                    for commit, path in ((self.ref_commit, f.path), (data.change.commit, f.path),
                                         (data.parent, f.old_path), (self.ref_commit, f.old_path)):
                        if commit and path:
                            wanted.setdefault(commit, set()).add(path)
        blobs = self._entries(wanted)
        self._grep_notes(patches)
        per_patch = [[r for diff in data.files for r in self._file_results(data, diff, blobs)]
                     for data in patches]
        supersede([d.change.slug for d in patches], per_patch, self._texts)
        reverse = self._reverse_apply_many([
            data.change.commit for data, results in zip(patches, per_patch)
            if self._wants_reverse_apply(data, [r for r, _ in results])])
        findings = [self._finding(data, [r for r, _ in results], data.change.commit in reverse)
                    for data, results in zip(patches, per_patch)]
        return self._name_backports(findings)

    def _name_backports(self, findings: list[Finding]) -> list[Finding]:
        """When a commit that brought a patch's change is a backport (its message says
        ``cherry picked from commit X``), say so as cherry-pick evidence."""
        found = {c for f in findings for e in f.evidence[:1] for c in e.commits
                 if e.method in (Method.PATCH_ID, Method.HUNKS)}
        if not found:
            return findings
        sources: dict[str, list[str]] = {}
        for sha, body in self.git.messages(sorted(found)).items():
            picked = CHERRY.findall(body)
            if picked:
                sources[sha] = picked
        if not sources:
            return findings
        result = []
        for finding in findings:
            first = finding.evidence[0] if finding.evidence else None
            extra = [] if first is None or first.method not in (Method.PATCH_ID, Method.HUNKS) \
                else [Evidence(Method.CHERRY_PICK, (c,), "a backport of " +
                               ", ".join(p[:12] for p in sources[c]))
                      for c in first.commits if c in sources]
            known = {(e.method, e.commits) for e in finding.evidence}
            extra = [e for e in extra if (e.method, e.commits) not in known]
            result.append(replace(finding, evidence=finding.evidence[:1] + tuple(extra) +
                                  finding.evidence[1:]) if extra else finding)
        return result

    def _file_results(self, data: _PatchData, diff: FilePatch,
                      blobs: Mapping[str, tuple[str, str] | None]) -> list[tuple[HunkResult, Hunk | None]]:
        if diff.binary or not diff.hunks:
            mine = blobs.get(f"{data.change.commit}:{diff.path}")
            theirs = blobs.get(f"{self.ref_commit}:{diff.path}")
            what = "binary" if diff.binary else ("rename" if diff.old_path != diff.new_path
                                                 else "mode")
            old_gone = not diff.old_path or diff.old_path == diff.new_path or \
                blobs.get(f"{self.ref_commit}:{diff.old_path}") is None
            if mine == theirs and old_gone:
                verdict = Verdict.IN
            elif diff.old_path and blobs.get(f"{data.parent}:{diff.old_path}") == \
                    blobs.get(f"{self.ref_commit}:{diff.old_path}") is not None:
                verdict = Verdict.OUT
            else:
                verdict = Verdict.UNKNOWN
            how = "same file" if verdict is Verdict.IN else ""
            return [(HunkResult(diff.path, what, verdict, how), None)]
        text = self._texts.get(diff.path)
        if text is None and diff.new_path and diff.old_path and diff.old_path != diff.new_path:
            text = self._texts.get(diff.old_path)
        results: list[tuple[HunkResult, Hunk | None]] = []
        for hunk in diff.hunks:
            verdict, how = hunk_verdict(hunk, text, new_file=not diff.old_path,
                                        deleted=not diff.new_path)
            if verdict is not Verdict.IN and text is None and not diff.old_path and \
                    is_release_note(diff.new_path) and self._release_note_found(diff, hunk):
                verdict, how = Verdict.IN, "release notes"
            commits = self._range_commits(diff.path, hunk)
            if verdict is Verdict.UNKNOWN and commits:
                verdict, how = Verdict.IN, "range"
            results.append((HunkResult(diff.path, hunk.label, verdict, how, commits), hunk))
        return results

    def _range_commits(self, path: str, hunk: Hunk) -> tuple[str, ...]:
        """The commits of the range holding every significant changed run of ``hunk`` in
        ``path`` (and not undone by a later commit holding the reverse)."""
        found: list[str] = []
        for block in blocks(hunk):
            if not any(map(significant, block.removed + block.added)):
                continue
            commits = self._blocks.get((path, *block.key()))
            if not commits:
                return ()
            undo = self._blocks.get((path, block.added, block.removed), ())
            if any(self.ancestor(c, u) for c in commits for u in undo if c != u):
                return ()
            found.append(commits[0])
        return tuple(dict.fromkeys(found))

    @staticmethod
    def _note_words(hunk: Hunk) -> list[bytes]:
        return [t for t in hunk_after(hunk) if t.strip() and not t.startswith(b"..")]

    def _grep_notes(self, patches: Sequence[_PatchData]) -> None:
        """Find, in one ``git grep``, the files of the ref that may hold the patches'
        ``NEWS.d/next/`` entries (by their gh-issue number, else their longest word)."""
        needles, roots = set(), set()
        for data in patches:
            for diff in data.files:
                if diff.old_path or not is_release_note(diff.new_path) or \
                        self._texts.get(diff.path) is not None:
                    continue
                issue = re.search(r"gh-issue-(\d+)", diff.path)
                for hunk in diff.hunks:
                    words = self._note_words(hunk)
                    if words:
                        needles.add(issue.group(1) if issue else max(
                            b" ".join(words).decode("utf-8", "replace").split(), key=len))
                        roots.add(diff.path.split("NEWS.d/next/")[0])
        needles -= self._notes_searched
        if not needles:
            return
        self._notes_searched |= needles
        found = self.git.grep_files(self.ref_commit, sorted(needles), [
            path for root in sorted(roots) for path in (f"{root}NEWS.d/", f"{root}NEWS")])
        self._read_texts(found)
        self._note_files.update(found)

    def _release_note_found(self, diff: FilePatch, hunk: Hunk) -> bool:
        """A ``NEWS.d/next/`` entry moves into the release's notes when upstream releases
        (``NEWS.d/<version>.rst`` in git, ``Misc/NEWS`` in a release tarball): look for its
        words there, whatever the line breaks."""
        words = self._note_words(hunk)
        if not words:
            return False
        wanted = " ".join(b" ".join(words).decode("utf-8", "replace").split())
        root = diff.path.split("NEWS.d/next/")[0]
        for path in sorted(self._note_files):
            text = self._texts.get(path)
            if path.startswith(root) and text is not None and wanted in text.normalized_text():
                return True
        return False

    def _reverse_apply_many(self, commits: Sequence[str]) -> set[str]:
        """The commits whose reverse applies to the ref and which do not apply forward
        (as :meth:`reverse_applies`, with one diff and one scratch index for all)."""
        if not commits:
            return set()
        diffs = self.git.binary_diffs(commits)
        found = set()
        with self.git.scratch_index(self.git.tree_of(self.ref_commit)) as index:
            for sha in commits:
                diff = diffs.get(sha, b"")
                if not diff.strip():
                    continue
                if self.git.check_apply(diff, index, reverse=True) and \
                        not self.git.check_apply(diff, index):
                    found.add(sha)
        return found

    def _patch_id_commit(self, data: _PatchData) -> str | None:
        pid_commit = self._path_ids.get(data.patch_id or "") if data.patch_id else None
        if pid_commit is None and data.patch_id and self._range_ids is not None:
            pid_commit = self._range_ids.get(data.patch_id)
        return pid_commit

    def _wants_reverse_apply(self, data: _PatchData, results: list[HunkResult]) -> bool:
        """Only a patch with hunks neither found nor contradicted (and no patch-id match)
        needs git apply's opinion."""
        return bool(results) and any(r.verdict is Verdict.UNKNOWN for r in results) and \
            not any(r.verdict is Verdict.OUT for r in results) and \
            not self._patch_id_commit(data)

    def _finding(self, data: _PatchData, results: list[HunkResult],
                 reverse_applies: bool = False) -> Finding:
        change = data.change
        evidence: list[Evidence] = []
        notes: list[str] = []
        pid_commit = self._patch_id_commit(data)
        has_out = any(r.verdict is Verdict.OUT for r in results)
        if pid_commit and not has_out:
            results = [r if r.verdict is Verdict.IN else
                       HunkResult(r.path, r.header, Verdict.IN, "patch-id", (pid_commit,))
                       for r in results]
            evidence.append(Evidence(Method.PATCH_ID, (pid_commit,)))
        elif pid_commit:
            notes.append(f"patch-id matches {pid_commit[:12]}, but the change is not in "
                         f"{self.ref} any more (reverted or changed later)")
        if reverse_applies and any(r.verdict is Verdict.UNKNOWN for r in results):
            results = [r if r.verdict is Verdict.IN else
                       HunkResult(r.path, r.header, Verdict.IN, "reverse-apply") for r in results]
            evidence.append(Evidence(Method.REVERSE_APPLY, (self.ref_commit,),
                                     f"its reverse applies to {self.ref}"))
        total = len(results)
        present = sum(1 for r in results if r.verdict is Verdict.IN)
        deciding = [r for r in results if not r.accessory] or results
        if deciding and all(r.verdict is Verdict.IN for r in deciding):
            state = UpstreamState.PRESENT
        elif present:
            state = UpstreamState.PARTIAL
        else:
            state = UpstreamState.ABSENT
        if present and not evidence:
            commits = tuple(dict.fromkeys(c for r in results for c in r.commits)) or \
                (self.ref_commit,)
            hows = ", ".join(dict.fromkeys(r.how for r in results if r.verdict is Verdict.IN))
            if state is UpstreamState.PARTIAL:
                commits = ()
            evidence.append(Evidence(Method.HUNKS, commits,
                                     f"{present}/{total} hunks in {self.ref}: {hows}"))
        missing = [r for r in results if r.verdict is not Verdict.IN]
        if missing and present:
            shown = "; ".join(f"{r.path} {r.header}" for r in missing[:4])
            more = f"; and {len(missing) - 4} more" if len(missing) > 4 else ""
            what = "tests or release notes differ" if state is UpstreamState.PRESENT \
                else "not found"
            notes.append(f"{what}: {shown}{more}")
        links = link_evidence(self, change)
        if links and state is UpstreamState.ABSENT:
            notes.append("commit messages or GitHub link it, but its change is not in "
                         f"the tree of {self.ref}")
        evidence.extend(links)
        return Finding(change.slug, self.ref, state, tuple(evidence), total, present,
                       tuple(results), self.ref_commit, tuple(notes))

