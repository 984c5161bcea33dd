"""The rebase outcome of one patch, decided in one place: :func:`decide` of :class:`Facts`.

The engine (:mod:`patchq.rebasing`) moves a patch and gathers what it saw: how the patch
moved (no merge needed, a clean merge, an empty merge, a conflict, its files gone), how a
clean merge compares with the old diff, what upstream detection found in the new base, what
the patch's declared upstream identity found there (its upstream commit in the history, its
issue in the release notes), and what a person chose. :func:`decide` turns that into one
:class:`~patchq.model.Outcome` with its confidence; it reads no repository, so every rule is
a row of a table in ``tests/test_decide.py``. docs/commands.md lists the outcomes,
docs/upstream_map.md the evidence and its confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .model import Confidence, Outcome, UpstreamState


class Move(str, Enum):
    """How the engine moved a patch onto its new parent."""

    SAME = "same"          # none of the files it changes changed under it: no merge needed
    MERGED = "merged"      # a clean 3-way merge that changes something
    EMPTY = "empty"        # a clean 3-way merge that changes nothing: the new base has it
    CONFLICT = "conflict"  # the 3-way merge conflicts
    GONE = "gone"          # the files it changes are gone upstream, and their content too


class Person(str, Enum):
    """What a person did with a patch the rebase stopped at."""

    RESOLVED = "resolved"              # resolved the conflict (a change is left)
    RESOLVED_EMPTY = "resolved-empty"  # resolved it to no change at all
    SET_ASIDE = "set-aside"            # --skip: keep it unchanged, for later
    DROPPED = "dropped"                # --drop: take it out of the series


@dataclass(frozen=True)
class Identity:
    """What the patch's declared upstream identity (a backport's upstream commit and issue)
    found in the new base."""

    backport: bool = False        # it says it is a backport of an upstream change
    commit_in_base: bool = False  # the upstream commit it names is in the new base's history
    listed: bool = False          # the new base's release notes list its issue
    listed_before: bool = False   # the old base's did too: the listing may be an earlier fix
    own_note_found: bool = False  # its own NEWS entry's words are in the new base's notes
    summary: str = ""             # "gh-91133 is in v3.13.5's Misc/NEWS (3.13.0 alpha 3)"

    @property
    def hit(self) -> bool:
        return self.commit_in_base or self.listed


@dataclass(frozen=True)
class Facts:
    """Everything the outcome of one patch depends on."""

    move: Move
    merged_as: Outcome | None = None  # a clean merge compared with the old diff (classify)
    state: UpstreamState | None = None  # upstream detection in the new base, when asked
    ported: bool = False  # its hunks were carried to the files its files became
    identity: Identity = field(default_factory=Identity)
    person: Person | None = None
    regenerated: bool = False  # export had to write the file of an unchanged patch


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    confidence: Confidence | None = None  # for outcomes that take a patch out as upstream
    needs_person: bool = False
    note: str = ""  # a remark to show with the outcome (a declared identity's hit)


def asks_detection(move: Move, merged_as: Outcome | None = None) -> bool:
    """Does the outcome depend on upstream detection? (Detection costs git processes: it is
    asked only for conflicts, and for clean merges that lost hunks or changed +/- lines.)"""
    return move is Move.CONFLICT or merged_as in (Outcome.PARTIAL, Outcome.MODIFIED)


def asks_identity(move: Move, merged_as: Outcome | None, state: UpstreamState | None) -> bool:
    """Does the outcome depend on the declared identity? (For a patch that conflicts or is
    partly there, when detection did not find all of it.)"""
    if state is UpstreamState.PRESENT:
        return False
    return move is Move.CONFLICT or merged_as is Outcome.PARTIAL


def identity_confidence(facts: Facts) -> Confidence | None:
    """How sure the declared identity makes us that the patch's change is upstream."""
    found = facts.identity
    if found.commit_in_base:
        return Confidence.HIGH
    if not found.listed:
        return None
    if found.listed_before:
        return Confidence.LOW
    if found.own_note_found:
        return Confidence.HIGH
    if facts.state is UpstreamState.PARTIAL or facts.merged_as is Outcome.PARTIAL:
        return Confidence.MEDIUM
    return Confidence.LOW


def _by_identity(facts: Facts) -> Decision | None:
    """``upstream`` for a backport whose identity is found with at least medium confidence."""
    confidence = identity_confidence(facts)
    if facts.identity.backport and confidence in (Confidence.HIGH, Confidence.MEDIUM):
        return Decision(Outcome.UPSTREAM, confidence)
    return None


def _note(facts: Facts) -> str:
    """What a conflict (or partial) says about an identity hit that did not decide."""
    found = facts.identity
    if not found.hit:
        return ""
    sure = identity_confidence(facts)
    level = f" ({sure.value} confidence)" if sure else ""
    why = "the old base's notes list it too: check by hand" \
        if found.listed_before and not found.commit_in_base else "probably drop"
    return f"{found.summary or 'its issue is fixed upstream'}{level}: {why}"


def decide(facts: Facts) -> Decision:
    """The outcome of one patch. The rules, in order:

    1. a person's choice: dropped (resolved to nothing, or ``--drop``), modified (resolved),
       conflict (set aside by ``--skip``);
    2. moved without a merge: unchanged (offset when export had to rewrite its file);
    3. an empty clean merge: upstream; its files and their content gone: obsolete;
    4. a clean merge: upstream when detection finds all of a patch that lost hunks or changed
       +/- lines; a backport whose identity is found, partly there: upstream; a ported patch
       whose lines did not change: refreshed; else what the comparison says;
    5. a conflict: upstream when detection finds all of it, or for a backport whose identity
       is found with at least medium confidence; else a conflict for a person, with a note
       when the identity was found (never a silent drop).
    """
    person = facts.person
    if person in (Person.RESOLVED_EMPTY, Person.DROPPED):
        return Decision(Outcome.DROPPED)
    if person is Person.RESOLVED:
        return Decision(Outcome.MODIFIED)
    if person is Person.SET_ASIDE:
        return Decision(Outcome.CONFLICT, needs_person=True, note=_note(facts))
    move = facts.move
    if move is Move.SAME:
        return Decision(Outcome.OFFSET if facts.regenerated else Outcome.UNCHANGED)
    if move is Move.EMPTY:
        return Decision(Outcome.UPSTREAM, Confidence.HIGH)
    if move is Move.GONE:
        return Decision(Outcome.OBSOLETE, Confidence.HIGH)
    present = facts.state is UpstreamState.PRESENT
    if move is Move.MERGED:
        merged = facts.merged_as or Outcome.MODIFIED
        if present and merged in (Outcome.PARTIAL, Outcome.MODIFIED):
            return Decision(Outcome.UPSTREAM, Confidence.HIGH)
        if merged is Outcome.PARTIAL:
            return _by_identity(facts) or Decision(Outcome.PARTIAL, note=_note(facts))
        if facts.ported and merged in (Outcome.UNCHANGED, Outcome.OFFSET):
            return Decision(Outcome.REFRESHED)
        if facts.regenerated and merged is Outcome.UNCHANGED:
            return Decision(Outcome.OFFSET)
        return Decision(merged)
    if present:
        return Decision(Outcome.UPSTREAM, Confidence.HIGH)
    return _by_identity(facts) or Decision(Outcome.CONFLICT, needs_person=True,
                                           note=_note(facts))
