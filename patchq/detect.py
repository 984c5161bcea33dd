"""Finding a patch's change in upstream (DESIGN.md section 5). Used by rebase and status.

Methods, cheapest first; every finding says which one found it:

1. ``patch-id``: ``git patch-id --stable`` equality with a commit of the range;
2. ``hunks``: the same at hunk level (upstream adds NEWS and tests beside the fix);
3. ``reverse-apply``: the patch's reverse applies to the ref and the patch itself does not;
4. links in commit messages: ``(cherry picked from commit X)``, ``GH-N``/``gh-N``, a
   recorded PR whose merge commit is reachable;
5. the PR's state on GitHub (recorded by ``patchq sync``).

A :class:`Detector` indexes one ref once (and the commits of ``since..ref``), then answers
for any number of patches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping, Sequence

from .git import Git
from .model import UpstreamState


class Method(str, Enum):
    PATCH_ID = "patch-id"
    HUNKS = "hunks"
    REVERSE_APPLY = "reverse-apply"
    EMPTY_APPLY = "empty-apply"
    CHERRY_PICK = "cherry-pick"
    GH_LINK = "gh-link"
    PR_MERGE = "pr-merge"
    GITHUB = "github"


@dataclass(frozen=True)
class Evidence:
    method: Method
    commits: tuple[str, ...] = ()
    detail: str = ""

    def as_json(self) -> dict:
        return {"method": self.method.value, "commits": list(self.commits), "detail": self.detail}

    def line(self) -> str:
        shown = ", ".join(c[:12] for c in self.commits)
        text = self.method.value + (f" {shown}" if shown else "")
        return f"{text} ({self.detail})" if self.detail else text


@dataclass(frozen=True)
class Finding:
    slug: str
    ref: str
    state: UpstreamState
    evidence: tuple[Evidence, ...] = ()
    hunks_total: int = 0
    hunks_present: int = 0

    def as_json(self) -> dict:
        return {"slug": self.slug, "ref": self.ref, "state": self.state.value,
                "evidence": [e.as_json() for e in self.evidence],
                "hunks_total": self.hunks_total, "hunks_present": self.hunks_present}


@dataclass(frozen=True)
class PatchChange:
    """What detection needs of a patch: its queue commit (the patch applied on its parent),
    its message and its map record (issue, pr...)."""

    slug: str
    commit: str
    message: str = ""
    record: Mapping = field(default_factory=dict)


def _patch_ids(git: Git, diff_text: bytes) -> dict[str, str]:
    """patch-id -> commit id for every commit in a ``git log -p`` output."""
    if not diff_text.strip():
        return {}
    res = git.run("patch-id", "--stable", input=diff_text)
    out: dict[str, str] = {}
    for line in res.stdout.decode().splitlines():
        pid, _, commit = line.partition(" ")
        out.setdefault(pid, commit)
    return out


class Detector:
    """Detect patches in ``ref``; ``since`` bounds the commits searched by patch-id and links
    (typically the old base: upstream commits the series has not seen yet)."""

    def __init__(self, git: Git, ref: str, since: str | None = None) -> None:
        self.git = git
        self.ref = ref
        self.ref_commit = git.resolve(ref, "ref")
        self.since = git.resolve(since, "ref") if since else None
        self._range_ids: dict[str, str] | None = None

    def _range(self) -> str:
        return f"{self.since}..{self.ref_commit}" if self.since else self.ref_commit

    def range_patch_ids(self) -> dict[str, str]:
        if self._range_ids is None:
            if self.since is None:
                self._range_ids = {}
            else:
                log = self.git.run("log", "-p", "--no-color", "--no-merges", "--format=commit %H",
                                   self._range(), "--").stdout
                self._range_ids = _patch_ids(self.git, log)
        return self._range_ids

    def commit_patch_id(self, commit: str) -> str | None:
        diff = self.git.run("diff-tree", "-p", "--no-color", "--format=commit %H", commit).stdout
        ids = _patch_ids(self.git, diff)
        return next(iter(ids), None)

    def reverse_applies(self, commit: str) -> bool:
        """The commit's change is in ref: its reverse applies and it does not apply forward."""
        diff = self.git.run("diff-tree", "-p", "--binary", "--full-index", "--no-color",
                            commit + "^", commit).stdout
        if not diff.strip():
            return False
        with self.git.scratch_index(self.git.tree_of(self.ref_commit)) as index:
            reverse = self.git.run("apply", "--cached", "--check", "-R", "-", env=index.env,
                                   input=diff, ok=(0, 1, 128)).status == 0
            if not reverse:
                return False
            forward = self.git.run("apply", "--cached", "--check", "-", env=index.env,
                                   input=diff, ok=(0, 1, 128)).status == 0
            return not forward

    def find(self, change: PatchChange) -> Finding:
        pid = self.commit_patch_id(change.commit)
        if pid is not None and pid in self.range_patch_ids():
            return Finding(change.slug, self.ref, UpstreamState.PRESENT,
                           (Evidence(Method.PATCH_ID, (self.range_patch_ids()[pid],)),))
        if self.reverse_applies(change.commit):
            return Finding(change.slug, self.ref, UpstreamState.PRESENT,
                           (Evidence(Method.REVERSE_APPLY, (self.ref_commit,),
                                     f"its reverse applies to {self.ref}"),))
        return Finding(change.slug, self.ref, UpstreamState.ABSENT)

    def find_all(self, changes: Sequence[PatchChange]) -> list[Finding]:
        return [self.find(c) for c in changes]

