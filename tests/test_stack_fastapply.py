"""push applies simple patches in-process: it must give exactly the commits `git apply` gives.

The spine's edge-case series (CRLF lines, no final newline, renames, new, deleted and binary
files, Latin-1, -p0 plain diffs, DEP-3 headers) is built by checkout (git apply), then popped
and pushed again: every commit must come back identical.
"""

from __future__ import annotations

import pytest
from helpers import git, patchq
from spine_data import build_sources, fresh

from patchq import fastapply


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    return build_sources(tmp_path_factory.mktemp("sources"))


@pytest.mark.parametrize("kind", ["format-patch", "quilt"])
def test_push_gives_the_commits_checkout_gives(sources, tmp_path, kind):
    upstream, repo = fresh(sources, tmp_path)
    source = {"format-patch": sources.format_patch, "quilt": sources.quilt}[kind]
    for args in (("init", "--upstream", "../cpython"),
                 ("import", str(source), "--track", "3.11", "--base", "v1"),
                 ("checkout", "3.11"), ("pop", "-a")):
        res = patchq("-C", str(repo), *args)
        assert res.code == 0, res.text
    res = patchq("-C", str(repo), "push", "-a")
    assert res.code == 0, res.text
    pushed = git(upstream, "log", "--format=%H %T", "v1..patchq/3.11")
    # build the same series again the spine's way, on a scratch branch
    res = patchq("-C", str(repo), "checkout", "3.11", "--branch", "rebuilt")
    assert res.code == 0, res.text
    assert git(upstream, "log", "--format=%H %T", "v1..rebuilt") == pushed


def test_unsupported_and_moved_hunks_go_to_git():
    moved = fastapply.parse(b"--- a/x\n+++ b/x\n@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n")
    assert fastapply.apply_file(b"a\nb\nc\nd\n", moved[0]) == b"a\nb\nC\nd\n"
    assert fastapply.apply_file(b"z\na\nb\nc\nd\n", moved[0]) is None  # git finds it
    for diff in (b"diff --git a/x b/y\nsimilarity index 90%\nrename from x\nrename to y\n",
                 b"diff --git a/x b/x\nold mode 100644\nnew mode 100755\n",
                 b"diff --git a/x b/x\nGIT binary patch\nliteral 1\n",
                 b'--- "a/x y"\n+++ "b/x y"\n@@ -1 +1 @@\n-a\n+b\n',
                 b"no diff at all\n"):
        with pytest.raises(fastapply.Unsupported):
            fastapply.parse(diff)


def test_beginning_and_end_anchors_like_git():
    # a hunk starting at line 1 must match at the beginning
    first = fastapply.parse(b"--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+A\n b\n")[0]
    assert fastapply.apply_file(b"a\nb\nc\n", first) == b"A\nb\nc\n"
    assert fastapply.apply_file(b"q\na\nb\n", first) is None
    # a hunk without trailing context must match at the end
    last = fastapply.parse(b"--- a/x\n+++ b/x\n@@ -2,2 +2,2 @@\n b\n-c\n+C\n")[0]
    assert fastapply.apply_file(b"a\nb\nc\nd\n", last) is None
    # new and deleted files
    new = fastapply.parse(b"--- /dev/null\n+++ b/n\n@@ -0,0 +1,2 @@\n+1\n+2\n")[0]
    assert new.old_path is None and fastapply.apply_file(None, new) == b"1\n2\n"
    gone = fastapply.parse(b"--- a/g\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-1\n-2\n")[0]
    assert gone.new_path is None and fastapply.apply_file(b"1\n2\n", gone) == b""
    # CRLF lines stay as they are
    crlf = fastapply.parse(b"--- a/w\n+++ b/w\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+B\r\n")[0]
    assert fastapply.apply_file(b"a\r\nb\r\n", crlf) == b"a\r\nB\r\n"
