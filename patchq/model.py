"""The domain model: plain immutable values, no I/O, nothing else of patchq imported.

>>> slug_of("0003-Public-pymain_run_python.patch")
'Public-pymain_run_python'
>>> slug_of("debian/deb-locations.diff")
'deb-locations'
>>> slug_of("min-pyrepl-import.dff")
'min-pyrepl-import.dff'
>>> slugify_subject("gh-1234: Fix `sys.stdout` on WASI!")
'gh-1234-Fix-sys.stdout-on-WASI'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

SLUG_TRAILER = "Patchq-Slug"

_NUMBER_PREFIX = re.compile(r"^[0-9]+-")
_SUFFIXES = (".patch", ".diff")
_SLUG_OK = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+@-]*$")
_TRACK_OK = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+-]*$")


class Outcome(str, Enum):
    """What a rebase did to one patch (docs/commands.md, "Rebase")."""

    UNCHANGED = "unchanged"
    OFFSET = "offset"
    REFRESHED = "refreshed"
    MODIFIED = "modified"
    UPSTREAM = "upstream"
    PARTIAL = "partial"
    OBSOLETE = "obsolete"
    DROPPED = "dropped"  # a person chose to drop it: never counted as upstream
    CONFLICT = "conflict"

    @property
    def removes(self) -> bool:
        """Does the patch leave the series (its file deleted, ``carried = false``)?"""
        return self in (Outcome.UPSTREAM, Outcome.OBSOLETE, Outcome.DROPPED)

    @property
    def upstream_has_it(self) -> bool:
        """Did the rebase find its change upstream (all of it, or part)? Never ``dropped``."""
        return self in (Outcome.UPSTREAM, Outcome.PARTIAL)


class Method(str, Enum):
    """How a piece of evidence was found (docs/upstream_map.md, "Evidence")."""

    PATCH_ID = "patch-id"
    HUNKS = "hunks"
    REVERSE_APPLY = "reverse-apply"
    EMPTY_APPLY = "empty-apply"
    CHERRY_PICK = "cherry-pick"
    GH_LINK = "gh-link"
    PR_MERGE = "pr-merge"
    GITHUB = "github"
    RELEASE_NOTES = "release-notes"  # the new base's release notes list the patch's issue
    FILES_GONE = "files-gone"
    PERSON = "person"  # a person's decision during a rebase


class Confidence(str, Enum):
    """How sure a decision or a piece of evidence is."""

    HIGH = "high"      # the tree or the history says so
    MEDIUM = "medium"  # the patch's declared identity, with part of its change found
    LOW = "low"        # the declared identity alone


@dataclass(frozen=True)
class Evidence:
    """One reason for an outcome or an upstream state: how it was found, the commits it
    names, what it saw, and (when it alone decides) how sure it is."""

    method: Method
    commits: tuple[str, ...] = ()
    detail: str = ""
    confidence: Confidence | None = None

    def as_json(self) -> dict:
        out: dict = {"method": self.method.value, "commits": list(self.commits),
                     "detail": self.detail}
        if self.confidence is not None:
            out["confidence"] = self.confidence.value
        return out

    @classmethod
    def from_json(cls, data) -> Evidence:
        """The inverse of :meth:`as_json`; an unknown method or confidence is refused.

        >>> Evidence.from_json({"method": "hunks", "commits": ["ab"], "confidence": "low"})
        Evidence(method=<Method.HUNKS: 'hunks'>, commits=('ab',), detail='', confidence=<Confidence.LOW: 'low'>)
        """
        confidence = data.get("confidence")
        return cls(Method(data["method"]), tuple(data.get("commits", ())),
                   str(data.get("detail", "") or ""),
                   Confidence(confidence) if confidence else None)

    def line(self) -> str:
        shown = ", ".join(c[:12] for c in self.commits)
        text = self.method.value + (f" {shown}" if shown else "")
        return f"{text} ({self.detail})" if self.detail else text


class UpstreamState(str, Enum):
    """Whether a patch's change is present in an upstream ref."""

    ABSENT = "absent"
    PARTIAL = "partial"
    PRESENT = "present"


class Submission(str, Enum):
    """Where a patch stands in upstream's process."""

    NONE = "none"
    ISSUE = "issue"
    DRAFT_PR = "draft-pr"
    OPEN_PR = "open-pr"
    MERGED_PR = "merged-pr"
    CLOSED_PR = "closed-pr"


class Disposition(str, Enum):
    """Whether a patch is meant to go upstream."""

    UNDECIDED = "undecided"
    UPSTREAMABLE = "upstreamable"
    DOWNSTREAM_ONLY = "downstream-only"


def slug_of(file_name: str) -> str:
    """A patch's stable name: the file name without a number prefix or .patch/.diff."""
    base = file_name.rsplit("/", 1)[-1]
    for suffix in _SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
            break
    stripped = _NUMBER_PREFIX.sub("", base)
    return stripped or base


def valid_slug(slug: str) -> bool:
    """Slugs become branch names and directory names: no options, no paths.

    >>> [valid_slug(s) for s in ("ok-1.2", "--upload-pack=x", "../x", "a/b", "a..b", "")]
    [True, False, False, False, False, False]
    """
    return bool(_SLUG_OK.match(slug)) and ".." not in slug and not slug.endswith(".lock")


def valid_track(name: str) -> bool:
    """Track names become directory and branch names.

    >>> [valid_track(t) for t in ("3.11", "main", "../x", "-x", "a b")]
    [True, True, False, False, False]
    """
    return bool(_TRACK_OK.match(name)) and ".." not in name and not name.endswith(".lock")


def slugify_subject(subject: str, limit: int = 64) -> str:
    """A file-name-safe slug from a subject line, the way format-patch names files."""
    text = re.sub(r"^(\[[^\]]*\]\s*)+", "", subject.strip())
    text = re.sub(r"[^A-Za-z0-9._]+", "-", text)
    text = re.sub(r"\.{2,}", ".", text).strip("-.")
    text = text[:limit].rstrip("-.")
    return text or "patch"


@dataclass(frozen=True)
class SeriesEntry:
    """One line of a quilt series file that names a patch."""

    name: str
    strip: int = 1
    options: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return slug_of(self.name)

    def line(self) -> str:
        parts = [self.name]
        if self.strip != 1:
            parts.append(f"-p{self.strip}")
        parts.extend(self.options)
        return " ".join(parts)


@dataclass(frozen=True)
class Description:
    """What a patch says about itself: the commit message and authorship."""

    subject: str
    body: str = ""
    author_name: str = ""
    author_email: str = ""
    date: str = ""  # RFC 2822 ("Tue, 1 Mar 2022 10:00:00 +0100") or "" when unknown

    def message(self) -> str:
        """The commit message, without patchq's trailer."""
        if self.body.strip():
            return f"{self.subject}\n\n{self.body.strip()}\n"
        return f"{self.subject}\n"

    @property
    def author(self) -> str:
        if self.author_email:
            return f"{self.author_name} <{self.author_email}>"
        return self.author_name


@dataclass(frozen=True)
class FileStat:
    """One file a patch touches."""

    path: str
    added: int
    removed: int
    status: str = "modified"  # added, removed, modified, renamed, binary


@dataclass(frozen=True)
class PatchInfo:
    """A patch of a series as `patchq list` shows it."""

    slug: str
    file: str
    subject: str
    author: str
    files: tuple[FileStat, ...] = ()

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def removed(self) -> int:
        return sum(f.removed for f in self.files)


@dataclass(frozen=True)
class Track:
    """One line of work: the upstream branch it follows and the base its series applies to."""

    name: str
    follows: str
    base: str
    base_commit: str = ""


@dataclass(frozen=True)
class QueueCommit:
    """One commit of a queue branch: a patch applied on top of its parent."""

    sha: str
    parent: str
    tree: str
    slug: str
    message: str  # without the slug trailer
    author_name: str = ""
    author_email: str = ""
    author_date: str = ""


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing `patchq lint` found wrong (an error), or worth knowing (a warning: the
    downstream's own build accepts it, so only ``lint --strict`` fails on it)."""

    track: str
    code: str
    message: str
    slug: str = ""
    extra: dict = field(default_factory=dict, compare=False)
    severity: Severity = field(default=Severity.ERROR, compare=False)

    def line(self) -> str:
        where = f"{self.track}/{self.slug}" if self.slug else self.track
        mark = " (warning)" if self.severity is Severity.WARNING else ""
        return f"{where}: {self.message} [{self.code}]{mark}"
