"""A patch's declared upstream identity: the upstream issue, pull request and commit it says
it is, read from its header and its map record. Pure: text in, a value out.

A backport says what it is: CPython's subject ``[3.11] gh-91133: ... (GH-99930) (#112839)``,
``(cherry picked from commit 81c16cd...)`` in its message, DEP-3 ``Origin: upstream,
https://github.com/python/cpython/commit/X``, ``Applied-Upstream:``; a downstream patch may
name its upstream issue (``Bug-Upstream:``) or pull request (``Forwarded:``) without being a
backport. The map's ``issue``, ``pr`` and ``origin_commit`` (written by ``import``) come first.
The rebase uses this as evidence (docs/upstream_map.md, "Declared identity").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_VERSION_TAG = re.compile(r"^\s*\[(\d+\.\d+)\]\s*")
_OTHER_TAG = re.compile(r"^\s*\[[^\]]*\]\s*")
_ISSUE_HEAD = re.compile(r"^(gh|bpo)-(\d+)\s*[:,]\s*", re.IGNORECASE)
_CVE_HEAD = re.compile(r"^CVE-\d{4}-\d+\s*[:,]?\s*", re.IGNORECASE)
_SUBJECT_PR = re.compile(r"\((?:GH-|#)(\d+)\)")
_CHERRY = re.compile(r"cherry[ -]picked from commit ([0-9a-f]{7,40})", re.IGNORECASE)
_FIELD = re.compile(r"^(Origin|Bug|Bug-Upstream|Applied-Upstream|Forwarded):[ \t]*(.*)$",
                    re.IGNORECASE | re.MULTILINE)
_URL = re.compile(r"https?://github\.com/([\w.-]+/[\w.-]+)/(commit|issues|pull)/([0-9a-f]+)")
_BPO_URL = re.compile(r"bugs\.python\.org/issue(\d+)")
_RECORDED = re.compile(r"^(?:([\w.-]+/[\w.-]+))?#(\d+)$")
_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_INDENTED_SUBJECT = re.compile(r"^[ \t]+(\[\d+\.\d+\][^\n]*)$", re.MULTILINE)


@dataclass(frozen=True)
class Declared:
    """What a patch says it is upstream. ``issues`` are ``gh-N`` / ``bpo-N``."""

    issues: tuple[str, ...] = ()
    pulls: tuple[str, ...] = ()
    commits: tuple[str, ...] = ()
    backport: bool = False  # it says it is upstream's change (not only related to an issue)

    def __bool__(self) -> bool:
        return bool(self.issues or self.pulls or self.commits)

    def names(self) -> str:
        return ", ".join(self.issues + tuple(f"GH-{p}" for p in self.pulls))

    def as_json(self) -> dict:
        return {"issues": list(self.issues), "pulls": list(self.pulls),
                "commits": list(self.commits), "backport": self.backport}

    @classmethod
    def from_json(cls, data: Mapping | None) -> Declared:
        data = data or {}
        return cls(tuple(data.get("issues", ())), tuple(data.get("pulls", ())),
                   tuple(data.get("commits", ())), bool(data.get("backport")))


def subject_identity(subject: str) -> tuple[list[str], list[str], bool]:
    """(issues, pulls, is a backport) of a CPython-style subject.

    >>> subject_identity("[3.11] gh-113171: gh-65056: Fix IP ranges (GH-113179) (#118227)")
    (['gh-113171', 'gh-65056'], ['113179', '118227'], True)
    >>> subject_identity("[3.11] [CVE-2023-27043] gh-102988: Reject addresses (GH-111116)")
    (['gh-102988'], ['111116'], True)
    >>> subject_identity("Fix a crash, see gh-1234")
    ([], [], False)
    """
    rest, backport = subject, False
    while True:
        match = _VERSION_TAG.match(rest)
        if match:
            backport = True
        else:
            match = _OTHER_TAG.match(rest)
        if not match:
            break
        rest = rest[match.end():]
    issues: list[str] = []
    while True:
        cve = _CVE_HEAD.match(rest)
        if cve:
            rest = rest[cve.end():]
            continue
        match = _ISSUE_HEAD.match(rest)
        if not match:
            break
        issues.append(f"{match.group(1).lower()}-{match.group(2)}")
        rest = rest[match.end():]
    pulls = _SUBJECT_PR.findall(subject) if issues or backport else []
    return issues, pulls, backport


def declared_identity(subject: str, header: str, record: Mapping | None = None,
                      upstream_repo: str = "") -> Declared:
    """The identity a patch declares: its subject, the text of its header (mail or DEP-3
    fields, message body) and its map record. ``upstream_repo`` ("python/cpython") keeps
    URLs of other repositories out.

    >>> d = declared_identity("Fix use-after-free crash in frame_dealloc",
    ...     "Origin: https://github.com/python/cpython/commit/46cae02085\\n"
    ...     "Bug-upstream: https://github.com/python/cpython/issues/106092\\n", {},
    ...     "python/cpython")
    >>> d.issues, d.commits, d.backport
    (('gh-106092',), ('46cae02085',), True)
    >>> declared_identity("Debian: use our paths",
    ...     "Bug-Upstream: https://github.com/python/cpython/issues/1\\n").backport
    False
    """
    record = record or {}
    issues: list[str] = []
    pulls: list[str] = []
    commits: list[str] = []
    backport = False
    recorded_issue = _RECORDED.match(str(record.get("issue", "") or "").strip())
    if recorded_issue and _repo_ok(recorded_issue.group(1), upstream_repo):
        issues.append(f"gh-{recorded_issue.group(2)}")
    recorded_pr = _RECORDED.match(str(record.get("pr", "") or "").strip())
    if recorded_pr and _repo_ok(recorded_pr.group(1), upstream_repo):
        pulls.append(recorded_pr.group(2))
    origin = str(record.get("origin_commit", "") or "").strip().lower()
    if _SHA.match(origin):
        commits.append(origin)
        backport = True
    subjects = [subject] + _INDENTED_SUBJECT.findall(header)
    for text in subjects:
        found, prs, is_backport = subject_identity(text.strip())
        issues += found
        pulls += prs
        backport = backport or is_backport
    for sha in _CHERRY.findall(header):
        commits.append(sha.lower())
        backport = True
    for name, value in _FIELD.findall(header):
        field = name.lower()
        kind = value.partition(",")[0]
        if field == "origin" and kind.strip().lower() in ("vendor", "other"):
            continue
        for repo, what, number in _URL.findall(value):
            if not _repo_ok(repo, upstream_repo):
                continue
            if what == "commit" and field in ("origin", "applied-upstream"):
                commits.append(number.lower())
                backport = True
            elif what == "issues" and field in ("bug", "bug-upstream"):
                issues.append(f"gh-{number}")
            elif what == "pull":
                pulls.append(number)
        if field in ("bug", "bug-upstream"):
            issues += [f"bpo-{n}" for n in _BPO_URL.findall(value)]
    return Declared(_unique(issues), _unique(pulls), _unique(commits), backport)


def _repo_ok(repo: str | None, upstream_repo: str) -> bool:
    return not repo or not upstream_repo or repo.lower() == upstream_repo.lower()


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
