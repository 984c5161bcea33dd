"""What commit messages say about upstream (docs/design.md §5, methods 4 and 5): cherry-picked
commits, issue and PR numbers, a recorded PR and its state on GitHub. Evidence beside the
state the tree decides, never a state by itself."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .detect_types import PatchChange
from .model import Evidence, Method

if TYPE_CHECKING:
    from .detect import Detector

__all__ = ["CHERRY", "Links", "link_evidence", "recorded_pr"]

CHERRY = re.compile(r"cherry[ -]picked from commit ([0-9a-f]{7,40})", re.IGNORECASE)
_COMMIT_URL = re.compile(r"/commit/([0-9a-f]{7,40})\b")
_GH_ISSUE = re.compile(r"(?<![A-Za-z0-9])gh-(\d+)\b")
_GH_PR = re.compile(r"(?<![A-Za-z0-9])GH-(\d+)\b|\(#(\d+)\)")
_ISSUE_URL = re.compile(r"github\.com/[\w.-]+/[\w.-]+/issues/(\d+)")
_PULL_URL = re.compile(r"github\.com/[\w.-]+/[\w.-]+/pull/(\d+)")
_RECORDED = re.compile(r"^(?:[\w.-]+/[\w.-]+)?#(\d+)$")


@dataclass(frozen=True)
class Links:
    """What a message says about upstream: cherry-picked commits, issue and PR numbers.

    >>> Links.parse("[3.11] gh-101234: Fix it (GH-101235) (#101240)\\n"
    ...             "(cherry picked from commit 3e3a96459ef7)")
    Links(commits=('3e3a96459ef7',), issues=('101234',), pulls=('101235', '101240'))
    """

    commits: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()
    pulls: tuple[str, ...] = ()

    @classmethod
    def parse(cls, message: str) -> Links:
        commits = CHERRY.findall(message) + _COMMIT_URL.findall(message)
        issues = _GH_ISSUE.findall(message) + _ISSUE_URL.findall(message)
        pulls = [a or b for a, b in _GH_PR.findall(message)] + _PULL_URL.findall(message)
        return cls(tuple(dict.fromkeys(commits)), tuple(dict.fromkeys(issues)),
                   tuple(dict.fromkeys(pulls)))

    def __bool__(self) -> bool:
        return bool(self.commits or self.issues or self.pulls)


def recorded_pr(record: Mapping) -> str:
    match = _RECORDED.match(str(record.get("pr", "") or "").strip())
    return match.group(1) if match else ""


def link_evidence(detector: Detector, change: PatchChange) -> list[Evidence]:
    """What commit messages of the range and the recorded PR say of ``change``: evidence
    shown beside the state, never a state by itself."""
    record = change.record or {}
    links = Links.parse(change.message or "")
    pr = recorded_pr(record)
    github = record.get("github", {}) if isinstance(record.get("github"), Mapping) else {}
    out: list[Evidence] = []
    if not links and not pr and not github:
        return out
    messages = detector.range_messages() if (links or pr) else []
    for sha in links.commits:
        if detector.ancestor(sha, detector.ref_commit):
            out.append(Evidence(Method.CHERRY_PICK, (detector.git.rev_parse(sha) or sha,),
                                f"the commit it was cherry-picked from is in {detector.ref}"))
            continue
        picks = [c for c, body in messages
                 if any(p.startswith(sha) or sha.startswith(p) for p in CHERRY.findall(body))]
        if picks:
            out.append(Evidence(Method.CHERRY_PICK, tuple(picks[:5]),
                                f"cherry-picked from {sha[:12]} like the patch"))
    if links.issues or links.pulls:
        issues, pulls = set(links.issues), set(links.pulls)
        hits = []
        for sha, body in messages:
            found = Links.parse(body)
            if issues & set(found.issues) or pulls & set(found.pulls):
                hits.append(sha)
        if hits:
            named = ", ".join([f"gh-{n}" for n in links.issues] +
                              [f"GH-{n}" for n in links.pulls])
            out.append(Evidence(Method.GH_LINK, tuple(hits[:5]),
                                f"commit messages in {detector.ref} name {named}"))
    if pr:
        hits = [sha for sha, body in messages if pr in Links.parse(body).pulls]
        merge = str(github.get("pr_merge_commit", "") or "")
        if merge and detector.ancestor(merge, detector.ref_commit):
            hits.insert(0, detector.git.rev_parse(merge) or merge)
        if hits:
            out.append(Evidence(Method.PR_MERGE, tuple(dict.fromkeys(hits))[:5],
                                f"the recorded PR #{pr} is merged into {detector.ref}"))
    if str(github.get("pr_state", "")) == "merged":
        merge = str(github.get("pr_merge_commit", "") or "")
        base = str(github.get("pr_base", "") or "?")
        out.append(Evidence(Method.GITHUB, (merge,) if merge else (),
                            f"GitHub: PR #{pr or '?'} merged into {base}"))
    return out
