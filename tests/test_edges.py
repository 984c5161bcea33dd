"""Inputs refused at the edge, each with one line and nothing changed: branch names git would
read as options, branches patchq did not build (the user's own main, another patch repo's
queue), paths git refuses, symbolic links out of the patch repo, binary data as a patch."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from helpers import commit, format_patch, git, make_upstream, patchq, refs_snapshot, tree_snapshot

GOOD = "0001-Tune-the-platform.patch"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """An upstream with one downstream commit, and a patch repo with it imported as 3.11."""
    root = tmp_path_factory.mktemp("edges")
    up = make_upstream(root / "cpython")
    git(up, "checkout", "-q", "-b", "work")
    commit(up, {"Lib/platform.py": "tuned\n"}, "Tune the platform")
    format_patch(up, "v1.0..work", root / "incoming")
    git(up, "checkout", "-q", "main")
    git(up, "branch", "-D", "work")
    repo = root / "patches"
    repo.mkdir()
    git(repo, "init", "-q")
    assert patchq("-C", str(repo), "init", "--upstream", "../cpython").code == 0
    res = patchq("-C", str(repo), "import", str(root / "incoming"), "--track", "3.11",
                 "--base", "v1.0")
    assert res.code == 0, res.text
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "import")
    return root


@pytest.fixture
def ws(template, tmp_path) -> tuple[Path, Path]:
    """A fresh copy: (patch repo, upstream clone)."""
    shutil.copytree(template, tmp_path / "w", symlinks=True)
    return tmp_path / "w" / "patches", tmp_path / "w" / "cpython"


def pq(repo: Path, *args: str):
    return patchq("-C", str(repo), *args)


def refused(res, *words: str) -> str:
    assert res.code == 1, res.text
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.text, res.err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def unchanged(repo: Path, up: Path):
    """A context: nothing in the patch repo or in the clone's refs changes."""
    class Same:
        def __enter__(self):
            self.files, self.refs = tree_snapshot(repo), refs_snapshot(up)

        def __exit__(self, *exc):
            if exc[0] is None:
                assert tree_snapshot(repo) == self.files
                assert refs_snapshot(up) == self.refs
    return Same()


# -- branch names -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["--detach", "--orphan=x", "-f", "HEAD", "@", "a..b",
                                  "refs/heads/x", "x.lock", "a b", "-"])
def test_checkout_branch_names_git_would_misread(ws, name):
    repo, up = ws
    with unchanged(repo, up):
        line = refused(pq(repo, "checkout", "3.11", f"--branch={name}"), "--branch", "refused")
    assert git(up, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert git(up, "diff", "--cached", "--name-only") == ""
    assert repr(name) in line


@pytest.mark.parametrize("verb", ["export", "checkout"])
def test_a_queue_name_from_the_map_is_checked_too(ws, verb):
    repo, up = ws
    text = (repo / "upstream_map.toml").read_text()
    text = text.replace("[tracks.\"3.11\"]\n", "[tracks.\"3.11\"]\nqueue = \"--detach\"\n") \
        if "[tracks.\"3.11\"]\n" in text else text.replace("[tracks.3.11]\n", "")
    assert "queue = \"--detach\"" in text, "the map's track table moved"
    (repo / "upstream_map.toml").write_text(text)
    with unchanged(repo, up):
        refused(pq(repo, verb, "3.11"), "[tracks.3.11] queue '--detach' is refused")


@pytest.mark.parametrize("args", [
    ("rebase", "3.11", "--onto=--output=/tmp/x"),
    ("lint", "3.11", "--onto=-x"),
    ("status", "3.11", "--against", "--all"),
])
def test_revisions_are_never_options(ws, args):
    repo, up = ws
    before = refs_snapshot(up)
    res = pq(repo, *args)
    if args[0] == "lint":  # a problem of the track, on stdout
        assert res.code == 1 and "--onto '-x' is refused" in res.out and "[onto-failed]" in res.out
    elif res.code != 2:  # click may take it for an unknown option itself
        line = refused(res)
        assert "is refused" in line or "does not resolve" in line
    assert refs_snapshot(up) == before


def test_import_base_and_follows(ws, template):
    repo, up = ws
    with unchanged(repo, up):
        refused(pq(repo, "import", str(template / "incoming"), "--track", "t2", "--base", "-x"),
                "base '-x' is refused")
        refused(pq(repo, "import", str(template / "incoming"), "--track", "t2", "--base", "v1.0",
                   "--follows", "--x"), "--follows '--x' is refused")


# -- only queue branches patchq built ---------------------------------------------------------


def test_export_never_takes_the_users_own_branch_for_the_queue(ws):
    repo, up = ws
    assert pq(repo, "checkout", "3.11").code == 0
    git(repo, "add", "-A")
    with unchanged(repo, up):
        refused(pq(repo, "export", "3.11", "--branch", "main"),
                "branch main", "not a queue branch patchq built for track 3.11")
        refused(pq(repo, "export", "3.11", "--branch", "3.11", "--dry-run"), "not a queue branch")
    assert (repo / "series" / "3.11" / GOOD).is_file()
    assert "carried = false" not in (repo / "upstream_map.toml").read_text()


def test_checkout_force_never_rewrites_the_users_own_branch(ws):
    repo, up = ws
    main = git(up, "rev-parse", "main")
    with unchanged(repo, up):
        refused(pq(repo, "checkout", "3.11", "--branch", "main", "--force"),
                "not a queue branch patchq built")
    assert git(up, "rev-parse", "main") == main


def test_a_branch_checkout_built_is_recorded_and_usable(ws):
    repo, up = ws
    assert pq(repo, "checkout", "3.11", "--branch", "mine/3.11").code == 0
    assert git(up, "config", "branch.mine/3.11.patchqtrack") == "3.11"
    assert git(up, "config", "branch.mine/3.11.patchqowner") == "../patches"
    res = pq(repo, "export", "3.11", "--branch", "mine/3.11")
    assert res.code == 0, res.text
    assert pq(repo, "checkout", "3.11", "--branch", "mine/3.11", "--force").code == 0
    # another track of the same repo may not take it
    (repo / "series" / "t2").mkdir()
    shutil.copy(repo / "series" / "3.11" / GOOD, repo / "series" / "t2")
    (repo / "series" / "t2" / "series").write_text(GOOD + "\n")
    res = pq(repo, "import", str(repo / "series" / "t2"), "--track", "t3", "--base", "v1.0")
    assert res.code == 0, res.text
    refused(pq(repo, "export", "t3", "--branch", "mine/3.11"), "queue branch of track 3.11")


def test_a_branch_built_before_owners_were_recorded_is_adopted(ws):
    repo, up = ws
    assert pq(repo, "checkout", "3.11").code == 0
    git(up, "config", "--remove-section", "branch.patchq/3.11")
    res = pq(repo, "export", "3.11")
    assert res.code == 0, res.text  # the manifest names the branch: patchq built it
    assert pq(repo, "pop", "-q").code == 0


def test_a_copy_of_patch_repo_and_clone_keeps_its_record(ws, tmp_path):
    repo, _up = ws
    assert pq(repo, "checkout", "3.11").code == 0
    shutil.copytree(tmp_path / "w", tmp_path / "copy", symlinks=True)
    res = pq(tmp_path / "copy" / "patches", "export", "3.11")
    assert res.code == 0, res.text


def test_two_patch_repos_on_one_clone(ws, tmp_path):
    repo_a, up = ws
    assert pq(repo_a, "checkout", "3.11").code == 0
    repo_b = tmp_path / "w" / "other"
    shutil.copytree(repo_a, repo_b, symlinks=True)
    tip = git(up, "rev-parse", "patchq/3.11")
    for args in (("export", "3.11"), ("checkout", "3.11", "--force"), ("pop",),
                 ("rebase", "3.11", "--onto", "v1.0^{}")):
        with unchanged(repo_b, up):
            refused(pq(repo_b, *args), "patchq/3.11", "queue branch of another patch repo",
                    str(repo_a))
    assert git(up, "rev-parse", "patchq/3.11") == tip
    # repo B gets its own queue branch, and A keeps working on its own
    res = pq(repo_b, "checkout", "3.11", "--branch", "other/3.11")
    assert res.code == 0, res.text
    assert pq(repo_b, "export", "3.11", "--branch", "other/3.11").code == 0
    git(up, "checkout", "-q", "patchq/3.11")
    assert pq(repo_a, "export", "3.11").code == 0
    # a record naming a patch repo that is gone is taken over
    shutil.rmtree(repo_a)
    res = pq(repo_b, "checkout", "3.11", "--force")
    assert res.code == 0, res.text
    assert git(up, "config", "branch.patchq/3.11.patchqowner") == "../other"


# -- paths git refuses ------------------------------------------------------------------------

HOOK = """From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001
From: Evil <evil@example.com>
Date: Mon, 1 Jan 2024 00:00:00 +0000
Subject: [PATCH] hook

---
diff --git a/{path} b/{path}
new file mode 100644
--- /dev/null
+++ b/{path}
@@ -0,0 +1 @@
+#!/bin/sh
"""


@pytest.mark.parametrize("path", [".git/hooks/post-checkout", "Lib/.git/config", ".GIT/x",
                                  "./x", "Lib/../x", "Lib/.git./x", "git~1/x"])
def test_import_refuses_paths_git_refuses(ws, tmp_path, path):
    repo, up = ws
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "0001-hook.patch").write_text(HOOK.format(path=path))
    with unchanged(repo, up):
        line = refused(pq(repo, "import", str(evil), "--track", "evil", "--base", "v1.0"),
                       "0001-hook.patch", "which git refuses")
    assert repr(path) in line
    assert not (up / ".git" / "hooks" / "post-checkout").exists()


def _plant(repo: Path, name: str, data: bytes) -> None:
    """Put a patch into series/3.11 by hand (as a pull request could)."""
    (repo / "series" / "3.11" / name).write_bytes(data)
    series = repo / "series" / "3.11" / "series"
    series.write_text(series.read_text() + name + "\n")
    text = (repo / "upstream_map.toml").read_text()
    slug = name.rsplit(".", 1)[0]
    (repo / "upstream_map.toml").write_text(
        text + f'\n[patches.{slug}]\ntracks."3.11".carried = true\n')


@pytest.mark.parametrize("path, reason", [(".git/hooks/post-checkout", "a '.git' component"),
                                          ("Lib/.Git/config", "a '.git' component"),
                                          ("./x", "a '.' or '..' component")])
def test_lint_checkout_and_push_refuse_them_too(ws, path, reason):
    repo, up = ws
    _plant(repo, "hook.patch", HOOK.format(path=path).encode())
    res = pq(repo, "lint", "3.11", "--check-export")
    assert res.code == 1
    assert f"3.11/hook: hook.patch: it touches {path!r}, which git refuses ({reason}) " \
           "[refused-path]" in res.out, res.out
    assert "does-not-apply" not in res.out  # refused before anything tried to apply it
    before = refs_snapshot(up)
    refused(pq(repo, "checkout", "3.11"), "patch hook", "which git refuses")
    assert refs_snapshot(up) == before
    assert not (up / ".git" / "hooks" / "post-checkout").exists()


def test_the_in_process_apply_refuses_what_git_refuses(ws):
    """queue.build refuses a patch touching Lib/.GIT/x even where fastapply could apply it."""
    from patchq.errors import ApplyError
    from patchq.git import Git
    from patchq.queue import build, load_series

    repo, up = ws
    _plant(repo, "hook.patch", HOOK.format(path="Lib/.GIT/x").encode())
    loaded = load_series(repo / "series" / "3.11", "3.11")
    g = Git(up)
    with pytest.raises(ApplyError, match=r"hook: it touches 'Lib/.GIT/x', which git refuses"):
        build(g, g.resolve("v1.0"), loaded.patches)
    result = build(g, g.resolve("v1.0"), loaded.patches, keep_going=True)
    assert [a.slug for a in result.applied] == ["Tune-the-platform"]
    assert [f.slug for f in result.failed] == ["hook"]


# -- symbolic links and binary data -----------------------------------------------------------


def test_a_series_entry_linked_out_of_the_repo_is_never_read(ws, tmp_path):
    repo, up = ws
    secret = tmp_path / "credentials.txt"
    secret.write_text("AWS_SECRET=abc123-very-secret\n")
    target = repo / "series" / "3.11" / GOOD
    target.unlink()
    target.symlink_to(secret)
    for args in (("list", "3.11"), ("checkout", "3.11"), ("report", "--no-record")):
        res = pq(repo, *args)
        assert "AWS_SECRET" not in res.text
        if args[0] != "report":
            refused(res, "symbolic link leading out of")
    res = pq(repo, "lint", "3.11", "--no-apply")
    assert res.code == 1 and "[outside-link]" in res.out and "AWS" not in res.out
    assert git(up, "branch", "--list", "patchq/3.11") == ""


def test_the_series_file_or_directory_linked_out_is_refused(ws, tmp_path):
    repo, _up = ws
    outside = tmp_path / "elsewhere"
    shutil.copytree(repo / "series" / "3.11", outside)
    (repo / "series" / "3.11" / "series").unlink()
    (repo / "series" / "3.11" / "series").symlink_to(outside / "series")
    refused(pq(repo, "list", "3.11"), "series file", "symbolic link leading out of")
    shutil.rmtree(repo / "series" / "3.11")
    (repo / "series" / "3.11").symlink_to(outside)
    refused(pq(repo, "list", "3.11"), "series directory", "symbolic link leading out of")


def test_a_link_between_tracks_inside_the_repo_is_fine(ws, template):
    repo, _up = ws
    res = pq(repo, "import", str(template / "incoming"), "--track", "3.13", "--base", "v1.0")
    assert res.code == 0, res.text
    (repo / "series" / "3.13" / GOOD).unlink()
    os.symlink(f"../3.11/{GOOD}", repo / "series" / "3.13" / GOOD)
    res = pq(repo, "list", "3.13")
    assert res.code == 0 and "Tune the platform" in res.out
    assert pq(repo, "checkout", "3.13").code == 0


def test_quilt_import_never_copies_a_linked_outside_file_nor_binary_garbage(ws, tmp_path):
    repo, up = ws
    quilt = tmp_path / "q"
    quilt.mkdir()
    shutil.copy(repo / "series" / "3.11" / GOOD, quilt / "good.diff")
    secret = tmp_path / "credentials.txt"
    secret.write_text("AWS_SECRET=abc123\n")
    (quilt / "leak.diff").symlink_to(secret)
    (quilt / "series").write_text("good.diff\nleak.diff\n")
    with unchanged(repo, up):
        refused(pq(repo, "import", str(quilt), "--track", "q", "--base", "v1.0"),
                "leak.diff is a symbolic link leading out of")
    (quilt / "leak.diff").unlink()
    (quilt / "junk.diff").write_bytes(bytes(range(256)) * 8)
    (quilt / "series").write_text("good.diff\njunk.diff\n")
    with unchanged(repo, up):
        refused(pq(repo, "import", str(quilt), "--track", "q", "--base", "v1.0"),
                "junk.diff: it holds NUL bytes")
    # a format-patch directory too
    fp = tmp_path / "fp"
    fp.mkdir()
    (fp / "0001-leak.patch").symlink_to(secret)
    with unchanged(repo, up):
        refused(pq(repo, "import", str(fp), "--track", "q", "--base", "v1.0"),
                "symbolic link leading out of")
    assert not (repo / "series" / "q").exists()
