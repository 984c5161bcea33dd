"""What detection says of a patch (docs/design.md §5): a :class:`Finding` per patch and ref,
a :class:`HunkResult` per hunk. Pure values; :mod:`patchq.detect` computes them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from .model import Evidence, Method, UpstreamState

__all__ = ["Finding", "HunkResult", "PatchChange", "Verdict", "is_accessory",
           "is_release_note"]


class Verdict(str, Enum):
    """What the ref says of one hunk."""

    IN = "in"            # its change is there
    OUT = "out"          # its pre-image is there: the change is not
    UNKNOWN = "unknown"  # neither could be found (the code moved or changed)


@dataclass(frozen=True)
class HunkResult:
    """One hunk of a patch in one ref: where it is, and how that was found."""

    path: str
    header: str  # "@@ -38,7 +38,11 @@" or "binary" / "rename" for files without hunks
    verdict: Verdict
    how: str = ""  # "in place", "moved", "changed since", "range", "release notes"...
    commits: tuple[str, ...] = ()

    @property
    def accessory(self) -> bool:
        return is_accessory(self.path)

    def as_json(self) -> dict:
        return {"path": self.path, "header": self.header, "verdict": self.verdict.value,
                "how": self.how, "commits": list(self.commits)}


@dataclass(frozen=True)
class Finding:
    slug: str
    ref: str
    state: UpstreamState
    evidence: tuple[Evidence, ...] = ()
    hunks_total: int = 0
    hunks_present: int = 0
    hunks: tuple[HunkResult, ...] = ()
    ref_commit: str = ""
    notes: tuple[str, ...] = ()

    @property
    def method(self) -> Method | None:
        """The method that found the change (None when absent and nothing links it)."""
        return self.evidence[0].method if self.evidence else None

    def as_json(self) -> dict:
        return {"slug": self.slug, "ref": self.ref, "state": self.state.value,
                "evidence": [e.as_json() for e in self.evidence],
                "hunks_total": self.hunks_total, "hunks_present": self.hunks_present,
                "ref_commit": self.ref_commit, "notes": list(self.notes),
                "hunks": [h.as_json() for h in self.hunks]}

    def as_map(self, checked_at: str) -> dict:
        """The fields of ``patches.<slug>.tracks."<track>".upstream."<ref>"``
        (docs/upstream_map.md)."""
        return {"state": self.state.value,
                "evidence": [e.as_json() for e in self.evidence],
                "hunks_total": self.hunks_total, "hunks_present": self.hunks_present,
                "checked_at": checked_at, "ref_commit": self.ref_commit}


@dataclass(frozen=True)
class PatchChange:
    """What detection needs of a patch: its queue commit (the patch applied on its parent),
    its message and its map record (issue, pr...)."""

    slug: str
    commit: str
    message: str = ""
    record: Mapping = field(default_factory=dict)


# git's diff options pinned for detection; ``git log`` refuses an empty diff.orderFile, so


_NEWS_NEXT = re.compile(r"^(.*/)?NEWS\.d/next/")


_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|_test\.[a-z]+$")


def is_release_note(path: str | None) -> bool:
    """A ``NEWS.d/next/`` entry (upstream moves it into the release notes)."""
    return bool(path) and bool(_NEWS_NEXT.match(path or ""))


def is_accessory(path: str) -> bool:
    """Tests and release notes: upstream usually rewrites them when it takes a fix, so they
    are counted but do not decide whether the change itself is present.

    >>> [is_accessory(p) for p in ("Lib/test/test_ssl.py", "Misc/NEWS.d/next/Library/x.rst",
    ...                            "Lib/ssl.py", "Lib/test/support/__init__.py")]
    [True, True, False, True]
    """
    return is_release_note(path) or bool(_TEST_PATH.search(path))
