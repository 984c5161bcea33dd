"""A patch's declared upstream identity, from the header styles real series use (pure)."""

from __future__ import annotations

import pytest

from patchq.identity import Declared, declared_identity

REPO = "python/cpython"


@pytest.mark.parametrize("subject, header, record, issues, pulls, commits, backport", [
    # a git-format-patch backport: subject and cherry-pick line
    ("[3.11] gh-91133: tempfile: fix symlink bug (GH-99930) (GH-112839)",
     "(cherry picked from commit 81c16cd94ec38d61aa478b9a452436dc3b1b524d)\n", {},
     ("gh-91133",), ("99930", "112839"), ("81c16cd94ec38d61aa478b9a452436dc3b1b524d",), True),
    # `git show` output kept as the header: the indented subject counts
    ("commit 5585334d", ("commit 5585334d\nAuthor: A <a@b>\n\n    [3.11] GH-102126: fix deadlock "
     "(GH-102222)\n"), {}, ("gh-102126",), ("102222",), (), True),
    # DEP-3: Origin commit and Bug-Upstream issue
    ("Fix use-after-free crash", ("Origin: upstream, https://github.com/python/cpython/commit/"
     "46cae02085\nBug-Upstream: https://github.com/python/cpython/issues/106092\n"), {},
     ("gh-106092",), (), ("46cae02085",), True),
    ("Fix it", "Applied-Upstream: https://github.com/python/cpython/commit/abcdef1\n", {},
     (), (), ("abcdef1",), True),
    # a vendor's own patch, an issue of another repository: nothing upstream declared
    ("Debian: paths", ("Origin: vendor, https://github.com/python/cpython/commit/abcdef1\n"
     "Bug: https://github.com/jaraco/zipp/issues/119\n"), {}, (), (), (), False),
    # a downstream patch forwarded as a PR, an upstream bug named: related, not a backport
    ("Debian: fix", ("Forwarded: https://github.com/python/cpython/pull/122917\n"
     "Bug-Upstream: https://bugs.python.org/issue45428\n"), {}, ("bpo-45428",), ("122917",),
     (), False),
    # the map's fields (import records them) come first
    ("Fix", "", {"issue": "python/cpython#7", "pr": "python/cpython#8",
                 "origin_commit": "ABCDEF1234"}, ("gh-7",), ("8",), ("abcdef1234",), True),
    ("Fix", "", {"issue": "someone/else#7"}, (), (), (), False),
])
def test_declared_identity(subject, header, record, issues, pulls, commits, backport):
    found = declared_identity(subject, header, record, REPO)
    assert (found.issues, found.pulls, found.commits, found.backport) == \
        (issues, pulls, commits, backport)


def test_round_trip_and_truth():
    found = declared_identity("[3.13] gh-1: x (GH-2)", "", {}, REPO)
    assert Declared.from_json(found.as_json()) == found
    assert found.names() == "gh-1, GH-2"
    assert not Declared() and Declared.from_json(None) == Declared()
