"""The outcome decision, one row per rule: no repository needed (patchq.decide.decide).

Every outcome a rebase gives has a row; the diff comparison of a clean merge
(rebase_compare.classify) is fed from bytes to the decision here too, also without a
repository."""

from __future__ import annotations

import pytest

from patchq.decide import Facts, Identity, Move, Person, asks_detection, asks_identity, decide
from patchq.model import Confidence, Outcome, UpstreamState
from patchq.rebase_compare import classify
from patchq.rebase_result import PatchResult
from patchq.rebasing import regenerated

H, M = Confidence.HIGH, Confidence.MEDIUM
O, S = Outcome, UpstreamState

BACKPORT_LISTED = Identity(backport=True, listed=True, summary="gh-1 is fixed upstream")
BACKPORT_OWN_NOTE = Identity(backport=True, listed=True, own_note_found=True)
BACKPORT_COMMIT = Identity(backport=True, commit_in_base=True)
BACKPORT_LISTED_BEFORE = Identity(backport=True, listed=True, listed_before=True)
DOWNSTREAM_LISTED = Identity(backport=False, listed=True, summary="gh-1 is fixed upstream")

ROWS = [
    # (name, facts, outcome, confidence, needs_person)
    ("no merge needed", Facts(Move.SAME), O.UNCHANGED, None, False),
    ("no merge, file rewritten", Facts(Move.SAME, regenerated=True), O.OFFSET, None, False),
    ("empty merge", Facts(Move.EMPTY), O.UPSTREAM, H, False),
    ("files and content gone", Facts(Move.GONE), O.OBSOLETE, H, False),
    ("clean: offset", Facts(Move.MERGED, O.OFFSET), O.OFFSET, None, False),
    ("clean: refreshed", Facts(Move.MERGED, O.REFRESHED), O.REFRESHED, None, False),
    ("clean: unchanged, rewritten", Facts(Move.MERGED, O.UNCHANGED, regenerated=True),
     O.OFFSET, None, False),
    ("clean: ported, same lines", Facts(Move.MERGED, O.OFFSET, ported=True), O.REFRESHED,
     None, False),
    ("clean: ported, unchanged", Facts(Move.MERGED, O.UNCHANGED, ported=True), O.REFRESHED,
     None, False),
    ("clean: partial, absent", Facts(Move.MERGED, O.PARTIAL, S.PARTIAL), O.PARTIAL, None, False),
    ("clean: partial, detection finds all", Facts(Move.MERGED, O.PARTIAL, S.PRESENT),
     O.UPSTREAM, H, False),
    ("clean: modified, detection finds all", Facts(Move.MERGED, O.MODIFIED, S.PRESENT),
     O.UPSTREAM, H, False),
    ("clean: modified, not found", Facts(Move.MERGED, O.MODIFIED, S.ABSENT), O.MODIFIED,
     None, False),
    ("clean: modified, partly found", Facts(Move.MERGED, O.MODIFIED, S.PARTIAL), O.MODIFIED,
     None, False),
    ("clean: modified, ported", Facts(Move.MERGED, O.MODIFIED, S.ABSENT, ported=True),
     O.MODIFIED, None, False),
    ("clean: not compared", Facts(Move.MERGED), O.MODIFIED, None, False),
    ("clean: modified backport, issue listed",
     Facts(Move.MERGED, O.MODIFIED, S.ABSENT, identity=BACKPORT_LISTED), O.MODIFIED, None,
     False),
    ("clean: partial backport, issue listed",
     Facts(Move.MERGED, O.PARTIAL, S.PARTIAL, identity=BACKPORT_LISTED), O.UPSTREAM, M, False),
    ("clean: partial downstream patch, issue listed",
     Facts(Move.MERGED, O.PARTIAL, S.PARTIAL, identity=DOWNSTREAM_LISTED), O.PARTIAL, None,
     False),
    ("conflict, nothing found", Facts(Move.CONFLICT, state=S.ABSENT), O.CONFLICT, None, True),
    ("conflict, detection finds all", Facts(Move.CONFLICT, state=S.PRESENT), O.UPSTREAM, H,
     False),
    ("conflict, backport commit in history",
     Facts(Move.CONFLICT, state=S.ABSENT, identity=BACKPORT_COMMIT), O.UPSTREAM, H, False),
    ("conflict, backport listed, own NEWS entry found",
     Facts(Move.CONFLICT, state=S.PARTIAL, identity=BACKPORT_OWN_NOTE), O.UPSTREAM, H, False),
    ("conflict, backport listed, partly there",
     Facts(Move.CONFLICT, state=S.PARTIAL, identity=BACKPORT_LISTED), O.UPSTREAM, M, False),
    ("conflict, backport listed, nothing found: a note only",
     Facts(Move.CONFLICT, state=S.ABSENT, identity=BACKPORT_LISTED), O.CONFLICT, None, True),
    ("conflict, backport listed in the old base too",
     Facts(Move.CONFLICT, state=S.PARTIAL, identity=BACKPORT_LISTED_BEFORE), O.CONFLICT, None,
     True),
    ("conflict, downstream patch whose issue is listed: a note only",
     Facts(Move.CONFLICT, state=S.PARTIAL, identity=DOWNSTREAM_LISTED), O.CONFLICT, None, True),
    ("conflict, downstream patch whose upstream commit is in history: a note only",
     Facts(Move.CONFLICT, state=S.ABSENT, identity=Identity(commit_in_base=True)), O.CONFLICT,
     None, True),
    ("a person resolved it", Facts(Move.CONFLICT, person=Person.RESOLVED), O.MODIFIED, None,
     False),
    ("a person resolved it to nothing", Facts(Move.CONFLICT, person=Person.RESOLVED_EMPTY),
     O.DROPPED, None, False),
    ("a person dropped it", Facts(Move.CONFLICT, person=Person.DROPPED), O.DROPPED, None,
     False),
    ("a person set it aside", Facts(Move.CONFLICT, state=S.PRESENT, person=Person.SET_ASIDE),
     O.CONFLICT, None, True),
]


@pytest.mark.parametrize("name, facts, outcome, confidence, needs_person", ROWS,
                         ids=[r[0] for r in ROWS])
def test_decide(name, facts, outcome, confidence, needs_person):
    decision = decide(facts)
    assert (decision.outcome, decision.confidence, decision.needs_person) == \
        (outcome, confidence, needs_person)


@pytest.mark.parametrize("facts, words", [
    (Facts(Move.CONFLICT, state=S.ABSENT, identity=DOWNSTREAM_LISTED),
     "gh-1 is fixed upstream (low confidence): probably drop"),
    (Facts(Move.CONFLICT, state=S.ABSENT, identity=BACKPORT_LISTED),
     "gh-1 is fixed upstream (low confidence): probably drop"),
    (Facts(Move.CONFLICT, state=S.PARTIAL, identity=BACKPORT_LISTED_BEFORE),
     "the old base's notes list it too: check by hand"),
    (Facts(Move.MERGED, O.PARTIAL, S.PARTIAL, identity=DOWNSTREAM_LISTED),
     "gh-1 is fixed upstream (medium confidence): probably drop"),
])
def test_a_hit_that_does_not_decide_is_a_note(facts, words):
    decision = decide(facts)
    assert words in decision.note
    assert not decision.outcome.removes  # never a silent drop


def test_no_note_without_a_hit():
    assert decide(Facts(Move.CONFLICT, state=S.ABSENT)).note == ""


@pytest.mark.parametrize("move, merged_as, state, detection, identity", [
    (Move.SAME, None, None, False, False),
    (Move.EMPTY, None, None, False, False),
    (Move.MERGED, O.OFFSET, None, False, False),
    (Move.MERGED, O.PARTIAL, S.PARTIAL, True, True),
    (Move.MERGED, O.MODIFIED, S.ABSENT, True, False),
    (Move.CONFLICT, None, S.ABSENT, True, True),
    (Move.CONFLICT, None, S.PRESENT, True, False),
])
def test_what_is_asked(move, merged_as, state, detection, identity):
    assert asks_detection(move, merged_as) is detection
    assert asks_identity(move, merged_as, state) is identity


def test_dropped_is_never_counted_as_upstream():
    assert O.DROPPED.removes and not O.DROPPED.upstream_has_it
    assert O.UPSTREAM.upstream_has_it and O.PARTIAL.upstream_has_it
    assert [o for o in O if o.upstream_has_it] == [O.UPSTREAM, O.PARTIAL]


def test_every_outcome_has_a_row():
    assert {row[2] for row in ROWS} == set(O)


# -- from the diffs of a clean merge to the outcome ---------------------------------------------

HEAD = b"diff --git a/f.c b/f.c\nindex 1111111..2222222 100644\n--- a/f.c\n+++ b/f.c\n"
OLD = HEAD + b"@@ -8,9 +8,9 @@\n a8\n a9\n-a10\n+X10\n a11\n a12\n a13\n-a14\n+X14\n a15\n a16\n"
# upstream made the patch's first change itself: the merge is clean, its hunk keeps the second
OURS_TOO = HEAD + b"@@ -8,9 +8,9 @@\n a8\n a9\n X10\n a11\n a12\n a13\n-a14\n+X14\n a15\n a16\n"
MOVED = OLD.replace(b"@@ -8,9 +8,9 @@", b"@@ -20,9 +20,9 @@")
CONTEXT = OLD.replace(b" a15\n", b" b15\n")
TWO = HEAD + b"@@ -1,3 +1,3 @@\n a1\n-a2\n+X2\n a3\n@@ -20,3 +20,3 @@\n a20\n-a21\n+X21\n a22\n"
ONE_LEFT = HEAD + b"@@ -20,3 +20,3 @@\n a20\n-a21\n+X21\n a22\n"


@pytest.mark.parametrize("old, new, state, outcome, words", [
    (OLD, OLD, S.ABSENT, O.OFFSET, "index ids changed"),
    (OLD, MOVED, S.ABSENT, O.OFFSET, "1 of 1 hunks moved"),
    (OLD, CONTEXT, S.ABSENT, O.REFRESHED, "context lines changed"),
    (TWO, ONE_LEFT, S.PARTIAL, O.PARTIAL, "1 of 2 hunks already upstream"),
    (TWO, ONE_LEFT, S.PRESENT, O.UPSTREAM, ""),
    (OLD, OURS_TOO, S.PARTIAL, O.MODIFIED, "changed its +/- lines"),
    (OLD, OURS_TOO, S.PRESENT, O.UPSTREAM, ""),
], ids=["ids", "moved", "context", "hunk gone", "hunk gone, rest found", "lines changed",
        "lines changed, all found"])
def test_a_clean_merge_from_bytes_to_outcome(old, new, state, outcome, words):
    merged_as, detail, _, _ = classify(old, new, True)
    state = state if asks_detection(Move.MERGED, merged_as) else None
    assert decide(Facts(Move.MERGED, merged_as, state)).outcome is outcome
    assert words in detail


def test_a_file_export_rewrote_is_decided_again():
    same = PatchResult("a", O.UNCHANGED, "c1", "c2")
    assert regenerated(same).outcome is O.OFFSET
    assert regenerated(same).detail == "file regenerated"
    refreshed = PatchResult("b", O.REFRESHED, "c1", "c2", detail="context lines changed")
    assert regenerated(refreshed) == refreshed
