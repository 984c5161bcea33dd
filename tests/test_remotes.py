"""The remotes, read through GitPython (``Git.repo``), and the hot commands that never import
it: ``-X importtime`` in a real patchq process shows what each one loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit
from helpers import git, make_upstream, patchq
from spine_data import build_sources, imported

from patchq.commands.draft import resolve_target
from patchq.git import Git
from patchq.workspace import Workspace

GITHUB = "https://github.com/python/cpython.git"


@pytest.fixture
def clone(tmp_path):
    path = make_upstream(tmp_path / "cpython")
    git(path, "remote", "add", "origin", GITHUB)
    git(path, "remote", "add", "fork", "git@github.com:someone/cpython.git")
    git(path, "config", "url.https://mirror.invalid/.insteadOf", "mirror:")
    git(path, "remote", "add", "mirror", "mirror:cpython")
    return path


def test_remotes_and_their_urls_are_git_s(clone):
    repo = Git(clone)
    assert repo.remotes() == git(clone, "remote").split() == ["fork", "mirror", "origin"]
    for name in repo.remotes():
        assert repo.remote_url(name) == git(clone, "remote", "get-url", name)
    assert repo.remote_url("mirror") == "https://mirror.invalid/cpython"  # insteadOf applied
    assert repo.remote_url("origin") == GITHUB
    assert repo.remote_url("nowhere") is None
    assert repo.remote_url("--help") is None
    assert Path(repo.repo.working_tree_dir).resolve() == clone.resolve()
    assert repo.repo is repo.repo  # made once


def test_a_bare_clone_and_one_without_remotes(tmp_path, clone):
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(clone), str(bare)], check=True)
    assert Git(bare).remotes() == ["origin"]
    assert Git(bare).remote_url("origin") == str(clone)
    alone = make_upstream(tmp_path / "alone")
    assert Git(alone).remotes() == [] and Git(alone).remote_url("origin") is None


def _map(root: Path) -> dict:
    return tomlkit.parse((root / "upstream_map.toml").read_text()).unwrap()


def test_init_and_upstream_add_record_the_origin_and_its_github_repository(tmp_path, clone):
    root = tmp_path / "patches"
    root.mkdir()
    res = patchq("-C", str(root), "init", "--upstream", str(clone))
    assert res.code == 0, res.text
    upstream = _map(root)["upstream"]
    assert upstream["url"] == GITHUB and upstream["github"] == "python/cpython"
    other = make_upstream(tmp_path / "other")
    git(other, "remote", "add", "origin", "git@github.com:pyodide/cpython.git")
    res = patchq("-C", str(root), "upstream", "add", "pyodide", str(other))
    assert res.code == 0, res.text
    added = _map(root)["upstreams"]["pyodide"]
    assert added["url"] == "git@github.com:pyodide/cpython.git"
    assert added["github"] == "pyodide/cpython"


def test_draft_targets_the_branch_of_the_remote_whose_url_the_map_names(tmp_path, clone):
    root = tmp_path / "patches"
    root.mkdir()
    assert patchq("-C", str(root), "init", "--upstream", str(clone)).code == 0
    main = git(clone, "rev-parse", "main")
    git(clone, "update-ref", "refs/remotes/origin/main", main)
    git(clone, "update-ref", "refs/remotes/fork/main", main)
    git(clone, "update-ref", "-d", "refs/heads/main")
    ws = Workspace.locate(root)
    assert resolve_target(ws, Git(clone), "main") == ("origin/main", main)
    doc = (root / "upstream_map.toml").read_text().replace(GITHUB,
                                                           "git@github.com:someone/cpython.git")
    (root / "upstream_map.toml").write_text(doc)
    assert resolve_target(Workspace.locate(root), Git(clone), "main") == ("fork/main", main)


# -- the hot paths never import GitPython ----------------------------------------------------


def _imports_gitpython(repo: Path, *args: str) -> tuple[subprocess.CompletedProcess, bool]:
    """Run ``patchq -C repo ARGS`` in its own interpreter with ``-X importtime``: (the process,
    whether the top-level package ``git`` was imported)."""
    res = subprocess.run([sys.executable, "-X", "importtime", "-m", "patchq", "-C", str(repo),
                          *args], capture_output=True, text=True, check=False)
    names = [line.rsplit("|", 1)[1].strip() for line in res.stderr.splitlines()
             if line.startswith("import time:") and line.count("|") == 2]
    assert "patchq.cli" in names, res.stderr[-2000:]  # the import log is there
    return res, "git" in names


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    return build_sources(tmp_path_factory.mktemp("sources"))


def test_help_list_checkout_push_pop_rebase_and_status_do_not_import_gitpython(sources,
                                                                              tmp_path):
    _, repo = imported(sources, tmp_path)
    steps = {("--help",): "Usage: patchq",
             ("list", "3.11"): "subprocess-plain",
             ("checkout", "3.11"): "patchq/3.11: built, 3 patches on v1",
             ("pop",): "Now at patch setup-p0",
             ("push",): "Now at patch subprocess-plain",
             ("rebase", "3.11", "--onto", "v2", "--on-conflict", "skip"): "rebased 3.11 from v1",
             ("status",): "3.11: 2 patches on v2"}
    for args, says in steps.items():
        res, loaded = _imports_gitpython(repo, *args)
        assert res.returncode == 0 and says in res.stdout, (args, res.stdout, res.stderr[-2000:])
        assert not loaded, f"patchq {' '.join(args)} imported GitPython"
    # the cold command that reads the remotes does import it: the check sees an import
    res, loaded = _imports_gitpython(repo, "upstream", "add", "again", "../cpython")
    assert res.returncode == 0 and loaded, res.stderr[-2000:]
