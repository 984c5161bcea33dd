"""A SHA-256 clone: patchq refuses it in one line and changes nothing (its in-process object
reader and writer know SHA-1 ids only)."""

from __future__ import annotations

import pytest
from helpers import (
    commit,
    format_patch,
    git,
    make_upstream,
    numbered_lines,
    patchq,
    refs_snapshot,
    tree_snapshot,
)

from patchq.errors import GitError
from patchq.git import Git, Oid


def sha256_upstream(path):
    """The same files as make_upstream, in a repository with SHA-256 object ids, v1.0 and a
    v1.1 one commit later."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "--object-format=sha256", "-b", "main")
    commit(path, {"Python/pylifecycle.c": numbered_lines("pylifecycle"),
                  "Lib/platform.py": numbered_lines("platform"),
                  "README.rst": "This is Python\n"}, "Initial")
    git(path, "tag", "v1.0")
    git(path, "branch", "3.11")
    commit(path, {"README.rst": "This is Python 1.1\n"}, "Release 1.1")
    git(path, "tag", "v1.1")
    return path


def test_opening_a_sha256_clone_is_one_clear_error(tmp_path):
    upstream = sha256_upstream(tmp_path / "cpython")
    assert len(git(upstream, "rev-parse", "HEAD")) == 64
    with pytest.raises(GitError) as caught:
        Git(upstream)
    assert "SHA-256 object ids" in caught.value.message
    assert caught.value.hint and "SHA-1" in caught.value.hint


@pytest.mark.parametrize("command", [("checkout", "3.11"), ("rebase", "3.11", "--onto", "v1.1")])
def test_checkout_and_rebase_on_a_sha256_clone_refuse_and_change_nothing(tmp_path, command):
    # a series imported against a SHA-1 clone, then the clone replaced by a SHA-256 one
    sha1 = make_upstream(tmp_path / "cpython")
    commit(sha1, {"Lib/platform.py": numbered_lines("platform").replace("line 3\n", "three\n")},
           "Fix platform")
    patches = format_patch(sha1, "v1.0..HEAD", tmp_path / "patches-in")
    repo = tmp_path / "patches"
    repo.mkdir()
    assert patchq("-C", str(repo), "init", "--upstream", str(sha1)).code == 0
    res = patchq("-C", str(repo), "import", str(patches[0].parent), "--track", "3.11",
                 "--base", "v1.0")
    assert res.code == 0, res.text
    sha1.rename(tmp_path / "sha1")
    upstream = sha256_upstream(tmp_path / "cpython")
    files, refs = tree_snapshot(repo), refs_snapshot(upstream)

    res = patchq("-C", str(repo), *command)

    assert res.code == 1, res.text
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "SHA-256 object ids" in lines[0], res.text
    assert "Traceback" not in res.text
    assert tree_snapshot(repo) == files
    assert refs_snapshot(upstream) == refs


def test_oid_knows_its_hash_by_its_length():
    assert Oid("a" * 40).algorithm == "sha1" and Oid("a" * 64).algorithm == "sha256"
    assert Oid.null().is_null and not Oid("0" * 39 + "1").is_null
    assert Oid("ab" * 32).raw_length == 32
