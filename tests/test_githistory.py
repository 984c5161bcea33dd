"""The repository's history methods (patchq.githistory) against what git itself says."""

from __future__ import annotations

import os
import subprocess

import pytest
from helpers import commit, git, make_upstream, numbered_lines

from patchq.git import Git


@pytest.fixture
def upstream(tmp_path):
    return make_upstream(tmp_path / "cpython")


def _counting(monkeypatch) -> list[list[str]]:
    started: list[list[str]] = []
    real = subprocess.Popen

    def counting(*args, **kw):
        started.append(args[0])
        return real(*args, **kw)

    monkeypatch.setattr(subprocess, "Popen", counting)
    return started


def test_file_entries_are_ls_tree_s_read_through_the_reader(upstream, monkeypatch):
    (upstream / "Tools").mkdir()
    (upstream / "Tools" / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(upstream / "Tools" / "run.sh", 0o755)
    os.symlink("run.sh", upstream / "Tools" / "link")
    head = commit(upstream, {}, "Tools")
    sub = git(upstream, "rev-parse", "HEAD~0")
    git(upstream, "update-index", "--add", "--cacheinfo", f"160000,{sub},Modules/sub")
    git(upstream, "commit", "-q", "-m", "a submodule")
    head = git(upstream, "rev-parse", "HEAD")
    paths = ["Tools/run.sh", "Tools/link", "Modules/sub", "Lib/platform.py", "Lib",
             "Lib/platform.py/x", "no/such", "README.rst"]
    listed = {}
    for item in git(upstream, "ls-tree", "-r", "-z", "--full-tree", head, "--",
                    *(f":(literal){p}" for p in paths)).split("\0"):
        meta, _, name = item.partition("\t")
        if name:
            mode, _, sha = meta.split(" ")
            listed[name] = (mode, sha)
    repo = Git(upstream)
    started = _counting(monkeypatch)
    assert repo.file_entries(head, paths) == listed
    assert set(listed) == {"Tools/run.sh", "Tools/link", "Modules/sub", "Lib/platform.py",
                           "README.rst"}
    assert started == [["git", "cat-file", "--batch"]]


def test_blobs_and_messages_through_the_reader(upstream, monkeypatch):
    picked = commit(upstream, {"README.rst": "Python 2\n"},
                    "Fix it\n\n(cherry picked from commit " + "a" * 40 + ")\n")
    shown = git(upstream, "show", "-s", "--format=%B", picked)
    repo = Git(upstream)
    repo.reader()  # started before counting
    started = _counting(monkeypatch)
    assert repo.read_blobs(picked, ["README.rst", "Lib", "gone.txt"]) == \
        [b"Python 2\n", None, None]
    assert repo.messages([picked, "0" * 40]) == {picked: shown}
    assert started == []


def test_touched_files_names_every_file_unquoted_and_leaves_merges_out(upstream):
    base = git(upstream, "rev-parse", "HEAD")
    one = commit(upstream, {"Lib/platform.py": numbered_lines("p2"), "Lib/ünï code.py": "x\n",
                            "Doc/a.rst": "a\n"}, "one")
    two = commit(upstream, {"Doc/a.rst": "b\n"}, "two")
    git(upstream, "checkout", "-q", "-b", "side", base)
    commit(upstream, {"Python/pylifecycle.c": numbered_lines("p3")}, "side")
    git(upstream, "checkout", "-q", "main")
    git(upstream, "merge", "-q", "--no-edit", "side")
    found = Git(upstream).touched_files(f"{base}..main", ["Lib/platform.py", "Lib/ünï code.py",
                                                          "Python/pylifecycle.c"])
    side = git(upstream, "rev-parse", "side")
    assert sorted(sha for sha, _ in found) == sorted([one, side]) and two not in dict(found)
    assert dict(found)[one] == {"Lib/platform.py", "Lib/ünï code.py", "Doc/a.rst"}
    assert dict(found)[side] == {"Python/pylifecycle.c"}


def test_a_commit_s_binary_diff_checks_in_reverse_on_its_tree(upstream):
    base = git(upstream, "rev-parse", "HEAD")
    tip = commit(upstream, {"Lib/platform.py": numbered_lines("changed"),
                            "Lib/data.bin": b"\x00\x01binary\n"}, "change")
    repo = Git(upstream)
    diffs = repo.binary_diffs([tip, base])
    assert set(diffs) == {tip} and b"GIT binary patch" in diffs[tip]
    with repo.scratch_index(repo.tree_of(tip)) as index:
        assert repo.check_apply(diffs[tip], index, reverse=True)
        assert not repo.check_apply(diffs[tip], index)
    with repo.scratch_index(repo.tree_of(base)) as index:
        assert repo.check_apply(diffs[tip], index)
    ids = repo.patch_ids(repo.commit_patches([tip]))
    assert ids == [(git(upstream, "patch-id", "--stable",
                        input=git(upstream, "show", tip).encode() + b"\n").split()[0], tip)]


def test_the_patch_repo_s_history_and_status(upstream):
    first = commit(upstream, {"series/3.11/0001-a.patch": "a\n"}, "add a")
    git(upstream, "mv", "series/3.11/0001-a.patch", "series/3.11/0002-a.patch")
    second = commit(upstream, {}, "rename a")
    repo = Git(upstream)
    log = repo.file_log("series/3.11/0002-a.patch", follow=True)
    assert [c.sha for c in log] == [second, first]
    assert log[0].changes == (("R100", "series/3.11/0001-a.patch", "series/3.11/0002-a.patch"),)
    assert log[1].changes == (("A", "series/3.11/0001-a.patch"),)
    assert log[0].time == int(git(upstream, "log", "-1", "--format=%ct", second))
    assert repo.logged_paths("series/3.11/") == ["series/3.11/0002-a.patch",
                                                 "series/3.11/0001-a.patch"]
    assert repo.status_of("series/") == []
    (upstream / "series" / "3.11" / "0002-a.patch").write_text("b\n")
    (upstream / "series" / "3.11" / "new.patch").write_text("n\n")
    assert repo.status_of("series/") == [(" M", "series/3.11/0002-a.patch"),
                                         ("??", "series/3.11/new.patch")]
