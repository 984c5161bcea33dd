"""Bad input: exit status 1, ONE clear line on stderr, and nothing changed anywhere.

Each case prepares a patch repo (quilt sample imported as track 3.11 on v1, committed) and
returns the command to run; the test checks the error line, the files of the patch repo and of
the upstream clone, and every ref of the clone, before and after.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil

import pytest
from helpers import commit, git, patchq, refs_snapshot, tree_snapshot
from spine_data import build_sources, imported


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    return build_sources(tmp_path_factory.mktemp("sources"))


@pytest.fixture
def env(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "import")
    return sources, upstream, repo, tmp_path


def _fp_dir(tmp, files: dict[str, bytes]):
    d = tmp / "incoming"
    d.mkdir()
    for name, data in files.items():
        (d / name).write_bytes(data)
    return str(d)


def _quilt_dir(tmp, series: str, files: dict[str, bytes] | None = None):
    d = tmp / "quilt-in"
    d.mkdir()
    (d / "series").write_text(series)
    for name, data in (files or {}).items():
        (d / name).write_bytes(data)
    return str(d)


GOOD = b"From: A <a@x>\nSubject: fix\n\n--- a/README.rst\n+++ b/README.rst\n@@ -1 +1 @@\n" \
       b"-This is Python\n+This is Python!\n"


def _edit_map(repo, old: str, new: str) -> None:
    path = repo / "upstream_map.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    git(repo, "commit", "-q", "-am", "edit the map")


def case_missing_source(sources, upstream, repo, tmp):
    return ["import", str(tmp / "nowhere"), "--track", "t", "--base", "v1"], \
        r"\S+/nowhere does not exist; give a patch directory, an mbox file, or a revision range"


def case_file_that_is_not_a_patch(sources, upstream, repo, tmp):
    notes = tmp / "notes.txt"
    notes.write_text("Remember to buy milk.\n")
    return ["import", str(notes), "--track", "t", "--base", "v1"], \
        r"notes.txt is not a patch: no diff and no mail header found"


def case_not_a_patch_in_a_directory(sources, upstream, repo, tmp):
    src = _fp_dir(tmp, {"0001-fix.patch": GOOD, "0002-junk.patch": b"\x00\x01binary junk\n"})
    return ["import", src, "--track", "t", "--base", "v1"], r"0002-junk.patch is not a patch"


def case_empty_patch_file(sources, upstream, repo, tmp):
    src = _fp_dir(tmp, {"0001-fix.patch": GOOD, "0002-empty.patch": b""})
    return ["import", src, "--track", "t", "--base", "v1"], r"0002-empty.patch is an empty file"


def case_series_names_a_missing_patch(sources, upstream, repo, tmp):
    src = _quilt_dir(tmp, "fix.patch\nmissing.patch\n", {"fix.patch": GOOD})
    return ["import", src, "--track", "t", "--base", "v1"], \
        r"the series in \S+ names missing.patch, which does not exist"


def case_series_path_escaping_with_dotdot(sources, upstream, repo, tmp):
    src = _quilt_dir(tmp, "fix.patch\n../../etc/passwd\n", {"fix.patch": GOOD})
    return ["import", src, "--track", "t", "--base", "v1"], \
        r"patch name '../../etc/passwd' escapes the series directory"


def case_series_absolute_path(sources, upstream, repo, tmp):
    src = _quilt_dir(tmp, "/etc/passwd\n")
    return ["import", src, "--track", "t", "--base", "v1"], \
        r"patch name '/etc/passwd' escapes the series directory"


def case_base_that_does_not_exist(sources, upstream, repo, tmp):
    return ["import", str(sources.quilt), "--track", "t", "--base", "v9.9"], \
        r"base 'v9.9' does not resolve to a commit in \S+cpython"


def case_track_that_exists(sources, upstream, repo, tmp):
    return ["import", str(sources.quilt), "--track", "3.11", "--base", "v1"], \
        r"track '3.11' already exists in upstream_map.toml"


def case_duplicate_slugs(sources, upstream, repo, tmp):
    src = _fp_dir(tmp, {"0001-fix.patch": GOOD, "0002-fix.patch": GOOD})
    return ["import", src, "--track", "t", "--base", "v1"], \
        r"0002-fix.patch and 0001-fix.patch share the slug 'fix'"


def case_empty_range(sources, upstream, repo, tmp):
    return ["import", "downstream..v1", "--track", "t", "--base", "v1"], \
        r"range downstream..v1 holds no commits; check the order of A..B"


def case_range_with_unknown_end(sources, upstream, repo, tmp):
    return ["import", "v1..nope", "--track", "t", "--base", "v1"], \
        r"range end 'nope' does not resolve to a commit"


def case_symmetric_range(sources, upstream, repo, tmp):
    return ["import", "v1...downstream", "--track", "t", "--base", "v1"], \
        r"v1...downstream is a symmetric range; give A..B"


def case_unreadable_source(sources, upstream, repo, tmp, monkeypatch):
    src = tmp / "locked.mbox"
    src.write_bytes(GOOD)
    real = pathlib.Path.read_bytes

    def refuse(self):
        if self.name == "locked.mbox":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", refuse)
    return ["import", str(src), "--track", "t", "--base", "v1"], \
        r"cannot read \S+locked.mbox: permission denied"


def case_malformed_map(sources, upstream, repo, tmp):
    _edit_map(repo, "[upstream]", "[upstream")
    return ["list", "3.11"], r"upstream_map.toml:\d+:\d+: .*; fix the TOML syntax"


def case_map_with_wrong_types(sources, upstream, repo, tmp):
    _edit_map(repo, 'base = "v1"', "base = 1")
    return ["checkout", "3.11"], r'upstream_map.toml: tracks."3.11".base must be a string'


def case_unknown_track(sources, upstream, repo, tmp):
    return ["checkout", "3.12"], r"unknown track '3.12' \(known: 3.11\)"


def case_no_map_here(sources, upstream, repo, tmp):
    empty = tmp / "empty"
    empty.mkdir()
    return ["-C", str(empty), "list"], r"no upstream_map.toml here or above \S+; run `patchq init"


def case_dirty_upstream(sources, upstream, repo, tmp):
    (upstream / "README.rst").write_text("edited by hand\n")
    return ["checkout", "3.11"], \
        r"the upstream clone \S+ has uncommitted changes \(README.rst\); commit or stash them"


def case_no_upstream_configured(sources, upstream, repo, tmp):
    _edit_map(repo, 'path = "../cpython"\n', "")
    return ["checkout", "3.11"], r"no upstream clone configured; set \[upstream\] path"


def case_upstream_is_not_a_repository(sources, upstream, repo, tmp):
    (tmp / "plain-dir").mkdir()
    _edit_map(repo, 'path = "../cpython"', 'path = "../plain-dir"')
    return ["checkout", "3.11"], r"\S+plain-dir is not a git repository"


def case_base_commit_gone(sources, upstream, repo, tmp):
    _edit_map(repo, 'base_commit = "', 'base_commit = "0123456789abcdef0123456789abcdef01234567')
    text = (repo / "upstream_map.toml").read_text()
    (repo / "upstream_map.toml").write_text(
        re.sub(r'(base_commit = "0123456789abcdef0123456789abcdef01234567)[0-9a-f]+"', r'\1"',
               text))
    git(repo, "commit", "-q", "-am", "a base that is gone")
    return ["checkout", "3.11"], r"the base of track 3.11 \(v1 = 0123456789ab\) is not in"


def case_unexported_commits(sources, upstream, repo, tmp):
    assert patchq("-C", str(repo), "checkout", "3.11").code == 0
    commit(upstream, {"README.rst": "work\n"}, "Work in progress")
    return ["checkout", "3.11"], \
        (r"branch patchq/3.11 has commits that were never exported \(tip [0-9a-f]{12}\); run " \
        r"`patchq export 3.11` first, or pass --force")


def case_patch_that_does_not_apply(sources, upstream, repo, tmp):
    patch = repo / "series" / "3.11" / "setup-p0.diff"
    # a file upstream does not have (a changed context line would apply with fuzz, as GNU
    # patch applies it)
    patch.write_bytes(patch.read_bytes().replace(b"Setup.stdlib.in", b"Setup.gone.in"))
    git(repo, "commit", "-q", "-am", "break a patch")
    return ["checkout", "3.11"], \
        r"patch setup-p0 does not apply on v1: .*Modules/Setup.gone.in"


def case_diff_path_escaping_the_tree(sources, upstream, repo, tmp):
    patch = repo / "series" / "3.11" / "setup-p0.diff"
    patch.write_bytes(b"--- a/../../outside.txt\n+++ b/../../outside.txt\n@@ -0,0 +1 @@\n+x\n")
    git(repo, "commit", "-q", "-am", "an evil patch")
    return ["checkout", "3.11"], r"patch setup-p0 does not apply on v1: .*outside.txt"


def case_series_file_names_a_missing_patch(sources, upstream, repo, tmp):
    (repo / "series" / "3.11" / "setup-p0.diff").unlink()
    git(repo, "commit", "-q", "-am", "lose a patch")
    return ["checkout", "3.11"], r"series names setup-p0.diff, which does not exist in"


def case_duplicate_slugs_in_a_series(sources, upstream, repo, tmp):
    d = repo / "series" / "3.11"
    shutil.copy(d / "setup-p0.diff", d / "0002-setup-p0.diff")
    with (d / "series").open("a") as out:
        out.write("0002-setup-p0.diff -p0\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a twin")
    return ["checkout", "3.11"], r"0002-setup-p0.diff and setup-p0.diff share the slug 'setup-p0'"


def case_export_without_queue(sources, upstream, repo, tmp):
    return ["export", "3.11"], \
        r"there is no queue branch patchq/3.11 in \S+; run `patchq checkout 3.11` first"


def case_export_of_a_queue_off_its_base(sources, upstream, repo, tmp):
    assert patchq("-C", str(repo), "checkout", "3.11").code == 0
    _edit_map(repo, 'base = "v1"', 'base = "downstream"')
    _edit_map(repo, f'base_commit = "{git(upstream, "rev-parse", "v1")}"', 'base_commit = ""')
    return ["export", "3.11"], \
        (r"patchq/3.11 does not sit on the track's base downstream; move the track with " \
        r"`patchq rebase 3.11` \(not git rebase\)")


def case_init_over_an_existing_map(sources, upstream, repo, tmp):
    return ["init", "--upstream", "../cpython"], \
        r"\S+upstream_map.toml already exists; patchq init never overwrites a map"


def case_init_bad_github(sources, upstream, repo, tmp):
    other = tmp / "other"
    other.mkdir()
    return ["-C", str(other), "init", "--upstream", str(upstream), "--github",
            "https://github.com/python/cpython"], \
        r"--github 'https://github.com/python/cpython' is not OWNER/REPO; for example python/cpython"


def case_init_bad_fork(sources, upstream, repo, tmp):
    other = tmp / "other"
    other.mkdir()
    return ["-C", str(other), "init", "--upstream", str(upstream), "--fork", "just-a-name"], \
        r"--fork 'just-a-name' is not OWNER/REPO"


def case_init_upstream_missing(sources, upstream, repo, tmp):
    other = tmp / "other"
    other.mkdir()
    return ["-C", str(other), "init", "--upstream", str(tmp / "no-clone")], \
        r"upstream clone \S+no-clone does not exist"


def case_demo_into_a_non_empty_directory(sources, upstream, repo, tmp):
    return ["demo", str(repo)], r"\S+patches is not empty; give a new or empty directory"


CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__[5:] for c in CASES])
def test_bad_input_is_one_line_and_changes_nothing(env, case, monkeypatch):
    sources, upstream, repo, tmp = env
    kwargs = {"monkeypatch": monkeypatch} if "monkeypatch" in case.__code__.co_varnames else {}
    argv, expected = case(sources, upstream, repo, tmp, **kwargs)
    before = (tree_snapshot(repo), tree_snapshot(upstream), refs_snapshot(upstream),
              git(repo, "status", "--porcelain"))
    args = argv if argv[0] == "-C" else ["-C", str(repo), *argv]
    res = patchq(*args)
    assert res.code == 1, res.text
    assert res.out == ""
    lines = res.err.splitlines()
    assert len(lines) == 1, res.err
    assert lines[0].startswith("patchq: error: ")
    assert re.search(expected, lines[0]), lines[0]
    assert "Traceback" not in res.err
    after = (tree_snapshot(repo), tree_snapshot(upstream), refs_snapshot(upstream),
             git(repo, "status", "--porcelain"))
    assert after == before


def test_there_are_enough_cases():
    assert len(CASES) >= 15


def test_usage_errors_exit_2(env):
    _, _, repo, _ = env
    res = patchq("-C", str(repo), "import", "x", "--track", "../escape", "--base", "v1")
    assert res.code == 2 and "is not a usable track name" in res.err
    res = patchq("-C", str(repo), "list", "--bogus")
    assert res.code == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_a_source_without_read_permission(env):
    sources, _upstream, repo, tmp = env
    src = tmp / "locked"
    shutil.copytree(sources.quilt, src)
    (src / "setup-p0.diff").chmod(0)
    before = tree_snapshot(repo)
    res = patchq("-C", str(repo), "import", str(src), "--track", "t", "--base", "v1")
    assert res.code == 1 and "permission denied" in res.err
    assert tree_snapshot(repo) == before
