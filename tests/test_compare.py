"""compare: which patches two tracks share, which differ (with an interdiff), which are alone."""

from __future__ import annotations

import json

import pytest
from helpers import patchq
from spine_data import hermetic_env
from stack_data import (
    build_template,
    patch_file,
    run_ok,
    work,  # noqa: F401 (fixtures)
)

from patchq.commands.compare import compare_series
from patchq.queue import load_series


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("stack")
    with hermetic_env(tmp_path_factory.mktemp("home")):
        build_template(root)
        repo = root / "patches"
        run_ok(repo, "import", str(root / "incoming"), "--track", "3.13", "--base", "3.13")
        return root


def replace_in(path, old, new):
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def diverge(repo):
    """Make 3.13's series differ from 3.11's in every way compare knows."""
    d = repo / "series" / "3.13"
    # p-one: same change, reworded description
    replace_in(patch_file(repo, "p-one", "3.13"), "Change line 5 of a.", "Change line five of a.")
    # p-two: same change, its context moved on 3.13
    replace_in(patch_file(repo, "p-two", "3.13"), " b.txt line 12\n", " b.txt line 12 (3.13)\n")
    # p-three: a different change
    replace_in(patch_file(repo, "p-three", "3.13"), "+a.txt line 20 (three)",
               "+a.txt line 20 (three, for 3.13)")
    # p-four: renamed on 3.13, same content
    patch_file(repo, "p-four", "3.13").rename(d / "0004-c-fix.patch")
    replace_in(d / "series", "0004-p-four.patch", "0004-c-fix.patch")
    # p-five: dropped from 3.13; a patch only 3.13 has
    replace_in(d / "series", "0005-p-five.patch\n", "0006-only-new.patch\n")
    (d / "0005-p-five.patch").unlink()
    (d / "0006-only-new.patch").write_text(
        "Subject: Only on 3.13\n\n---\n--- a/d.txt\n+++ b/d.txt\n@@ -1,2 +1,2 @@\n-d.txt line 1\n"
        "+d.txt line 1 (new)\n d.txt line 2\n")


def test_identical_tracks_are_the_same(work):
    _, repo = work
    res = run_ok(repo, "compare", "3.11", "3.13")
    assert res.out.splitlines()[-1] == "5 same, 0 in another context, 0 differ, 0 only in 3.11, " \
                                       "0 only in 3.13"


def test_every_kind_of_difference(work):
    _, repo = work
    diverge(repo)
    res = run_ok(repo, "compare", "3.11", "3.13")
    out = res.out.splitlines()
    assert out[0] == "3.11: 5 patches, 3.13: 5 patches"
    assert "same       p-one  (description differs)" in out
    assert "context    p-two  (same change, other context)" in out
    assert "differs    p-three" in out
    assert "same       p-four  (3.13: c-fix, matched by content)" in out
    assert "only 3.11  p-five" in out
    assert "only 3.13  only-new" in out
    interdiff = out[out.index("differs    p-three") + 1:]
    assert "    --- 3.11/p-three" in interdiff and "    -+a.txt line 20 (three)" in interdiff
    assert "    ++a.txt line 20 (three, for 3.13)" in interdiff
    assert out[-1] == "2 same, 1 in another context, 1 differ, 1 only in 3.11, 1 only in 3.13"
    brief = run_ok(repo, "compare", "3.11", "3.13", "--brief").out
    assert "-+a.txt" not in brief and "differs    p-three" in brief


def test_json(work):
    _, repo = work
    diverge(repo)
    data = json.loads(run_ok(repo, "compare", "3.11", "3.13", "--json").out)
    assert data["counts"] == {"same": 2, "context": 1, "differs": 1, "only-a": 1, "only-b": 1}
    by_a = {p["a"]: p for p in data["pairs"] if p["a"]}
    assert by_a["p-four"]["b"] == "c-fix" and by_a["p-four"]["matched_by"] == "content"
    assert by_a["p-one"]["description_differs"] is True and by_a["p-one"]["interdiff"] is None
    assert by_a["p-three"]["status"] == "differs" and "+a.txt line 20" in \
        by_a["p-three"]["interdiff"]
    assert by_a["p-two"]["files_a"] == ["b.txt"]
    assert [p["b"] for p in data["pairs"] if p["status"] == "only-b"] == ["only-new"]


def test_renamed_and_changed_is_matched_by_changes_or_subject(work):
    _, repo = work
    d = repo / "series" / "3.13"
    # p-two renamed and its context moved: matched by its added and removed lines
    replace_in(patch_file(repo, "p-two", "3.13"), " b.txt line 12\n", " b.txt line 12 (3.13)\n")
    patch_file(repo, "p-two", "3.13").rename(d / "0002-b-fix.patch")
    # p-three renamed and changed: matched by its subject
    replace_in(patch_file(repo, "p-three", "3.13"), "+a.txt line 20 (three)", "+a.txt line 20 (3)")
    patch_file(repo, "p-three", "3.13").rename(d / "0003-a-fix.patch")
    replace_in(d / "series", "0002-p-two.patch", "0002-b-fix.patch")
    replace_in(d / "series", "0003-p-three.patch", "0003-a-fix.patch")
    result = compare_series(load_series(repo / "series" / "3.11", "3.11"),
                            load_series(d, "3.13"))
    pairs = {p.slug_a: p for p in result.pairs}
    assert (pairs["p-two"].slug_b, pairs["p-two"].matched_by, pairs["p-two"].status) == \
        ("b-fix", "changes", "context")
    assert (pairs["p-three"].slug_b, pairs["p-three"].matched_by, pairs["p-three"].status) == \
        ("a-fix", "subject", "differs")


def test_errors(work):
    _, repo = work
    res = patchq("-C", str(repo), "compare", "3.11", "3.11")
    assert res.code == 1 and "both sides are track 3.11" in res.err
    res = patchq("-C", str(repo), "compare", "3.11", "9.9")
    assert res.code == 1 and "unknown track '9.9'" in res.err
