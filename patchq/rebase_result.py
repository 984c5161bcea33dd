"""The values a rebase works with and keeps in its state: the old queue's patches, what the
rebase did to each one, the stop at a conflict. Frozen; JSON only through ``as_json`` /
``from_json`` (the operation state, ``--json``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .identity import Declared
from .model import Confidence, Evidence, Outcome, UpstreamState


@dataclass(frozen=True)
class OldPatch:
    """A patch of the old queue: its slug, its commit and that commit's parent."""

    slug: str
    commit: str
    parent: str
    has_index: bool = True  # its file carries ``index`` lines (format-patch style)
    declared: Declared = field(default_factory=Declared)  # the identity it declares

    def as_json(self) -> dict:
        out = {"slug": self.slug, "commit": self.commit, "parent": self.parent,
               "has_index": self.has_index}
        if self.declared:
            out["declared"] = self.declared.as_json()
        return out

    @classmethod
    def from_json(cls, data: Mapping) -> OldPatch:
        return cls(data["slug"], data["commit"], data["parent"], data.get("has_index", True),
                   Declared.from_json(data.get("declared")))


@dataclass(frozen=True)
class Upstream:
    """How much of a patch the new base holds (upstream detection's answer)."""

    state: UpstreamState = UpstreamState.ABSENT
    hunks_total: int = 0
    hunks_present: int = 0

    def as_json(self) -> dict:
        out: dict = {"state": self.state.value}
        if self.hunks_total:
            out.update(hunks_total=self.hunks_total, hunks_present=self.hunks_present)
        return out

    @classmethod
    def from_json(cls, data: Mapping | None) -> Upstream:
        data = data or {}
        return cls(UpstreamState(data.get("state", "absent")), int(data.get("hunks_total", 0)),
                   int(data.get("hunks_present", 0)))


@dataclass(frozen=True)
class PatchResult:
    """What the rebase did to one patch."""

    slug: str
    outcome: Outcome
    old_commit: str
    new_commit: str | None = None  # None when it left the series or was set aside
    evidence: tuple[Evidence, ...] = ()
    detail: str = ""
    files: tuple[str, ...] = ()  # conflicted files
    needs_person: bool = False
    upstream: Upstream = field(default_factory=Upstream)
    confidence: Confidence | None = None  # of an outcome that takes it out as upstream
    moved: tuple[tuple[str, tuple[str, ...]], ...] = ()  # files it was ported to

    @property
    def dropped(self) -> bool:
        """Does it leave the series (upstream, obsolete or dropped by a person)?"""
        return self.outcome.removes

    def evidence_line(self) -> str:
        """One line for a table: the confidence, every method with its commits, the first
        one's detail, then the result's own detail."""
        parts = []
        for number, item in enumerate(self.evidence):
            commits = item.commits
            text = item.method.value + "".join(f" {c[:12]}" for c in commits[:2]) + \
                (f" +{len(commits) - 2}" if len(commits) > 2 else "")
            if number == 0 and item.detail:
                text += f" ({item.detail})"
            parts.append(text)
        if self.detail:
            parts.append(self.detail)
        line = "; ".join(parts)
        if self.confidence is not None and self.outcome is not Outcome.UNCHANGED:
            line = f"[{self.confidence.value} confidence] {line}"
        return line

    def as_json(self) -> dict:
        return {"slug": self.slug, "outcome": self.outcome.value, "old_commit": self.old_commit,
                "new_commit": self.new_commit, "evidence": [e.as_json() for e in self.evidence],
                "detail": self.detail, "files": list(self.files),
                "needs_person": self.needs_person, "upstream": self.upstream.as_json(),
                "confidence": self.confidence.value if self.confidence else None,
                "moved": [{"from": old, "to": list(new)} for old, new in self.moved]}

    @classmethod
    def from_json(cls, data: Mapping) -> PatchResult:
        confidence = data.get("confidence")
        return cls(slug=data["slug"], outcome=Outcome(data["outcome"]),
                   old_commit=data["old_commit"], new_commit=data.get("new_commit"),
                   evidence=tuple(Evidence.from_json(e) for e in data.get("evidence", ())),
                   detail=data.get("detail", ""), files=tuple(data.get("files", ())),
                   needs_person=bool(data.get("needs_person")),
                   upstream=Upstream.from_json(data.get("upstream")),
                   confidence=Confidence(confidence) if confidence else None,
                   moved=tuple((m["from"], tuple(m["to"])) for m in data.get("moved", ())))


@dataclass(frozen=True)
class Stop:
    """The engine stopped at a conflict: patch ``index`` does not merge onto ``parent``.
    ``pick`` is the commit to leave in the work tree when it is not the patch's own (its
    hunks ported to the files its files became)."""

    index: int
    slug: str
    parent: str
    files: tuple[str, ...]
    messages: tuple[str, ...]
    pick: str = ""
