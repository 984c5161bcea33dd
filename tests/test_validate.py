"""patchq.validate against git itself: the names and paths it refuses are those git refuses
(plus a few names patchq refuses on purpose: HEAD, @, refs/...)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import git

from patchq.errors import InputError
from patchq.validate import branch_name, diff_paths, patch_problems, refused_path, revision

NAMES = ["main", "patchq/3.13", "a/b/c", "x-1.2_3+4", "é", "a.b", "-x", "--detach",
         "--orphan=x", "-f", "a..b", "a.lock", "a/b.lock/c", "x/.y", ".a", "a.", "a b", "a\tb",
         "a~1", "a^", "a:b", "a?", "a*", "a[b", "a\\b", "/a", "a/", "a//b", "a@{b", "@{-1}",
         "", "a\x7fb", "a@b", "lock", "a.lock.b"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("validate")
    git(path, "init", "-q")
    return path


def _git_accepts_branch(repo: Path, name: str) -> bool:
    res = subprocess.run(["git", "check-ref-format", "--branch", name], cwd=repo,
                         capture_output=True, check=False)
    return res.returncode == 0


@pytest.mark.parametrize("name", NAMES)
def test_branch_names_as_git_checks_them(repo, name):
    try:
        branch_name(name)
        ours = True
    except InputError as exc:
        assert "\n" not in str(exc) and repr(name) in str(exc)
        ours = False
    assert ours == _git_accepts_branch(repo, name)


@pytest.mark.parametrize("name", ["HEAD", "@", "refs/heads/main"])
def test_names_refused_on_purpose(name):
    with pytest.raises(InputError, match="names HEAD or a full ref"):
        branch_name(name, "--branch")


@pytest.mark.parametrize("text", ["-x", "--upload-pack=x", "", "a\nb", "v1\x00"])
def test_revisions_never_read_as_options(text):
    with pytest.raises(InputError, match="is refused"):
        revision(text, "--onto")


def test_revisions_pass():
    for text in ("v3.13.5", "origin/3.13", "HEAD~2", "abc123", "v1^{commit}"):
        assert revision(text) == text


PATHS = ["Lib/os.py", ".git/hooks/post-checkout", ".GIT/config", "Lib/.git/config",
         "Lib/.Git", ".git", "a/.git.", "a/.git ", "a/.git. .", "git~1/config", "GIT~1/x",
         "a/.gitignore", ".gitattributes", "a/.github/x", "a/git~10", "./x", "a/./b", "a/../b",
         "..", "../x", "a/..b", "/etc/passwd", "a//b", "a\\.git\\config", "a\\b", ".git\\x",
         "x/.git\\y", "a/...", "a b/c d", "é/ü"]


def _git_accepts_path(repo: Path, blob: str, path: str) -> bool:
    res = subprocess.run(["git", "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}"],
                         cwd=repo, capture_output=True, check=False)
    return res.returncode == 0


@pytest.mark.parametrize("path", PATHS)
def test_paths_as_git_checks_them(repo, path):
    blob = git(repo, "hash-object", "-w", "--stdin", input=b"x\n")
    assert (refused_path(path) is None) == _git_accepts_path(repo, blob, path)


def test_nul_and_empty_paths():
    assert refused_path("a\x00b") == "a NUL character"
    assert refused_path("") == "an empty path"


def test_every_path_of_a_diff_is_read():
    diff = (b"diff --git a/x b/y\nsimilarity index 90%\nrename from x\nrename to .git/y\n"
            b"--- \"a/Lib/\\303\\251.py\"\n+++ \"b/Lib/\\303\\251.py\"\n@@ -1 +1 @@\n-a\n+b\n"
            b"--- /dev/null\n+++ b/./z\t2024-01-01\n@@ -0,0 +1 @@\n+z\n")
    assert diff_paths(diff) == ["x", ".git/y", "Lib/é.py", "./z"]
    assert diff_paths(b"--- .git/a\n+++ .git/a\n", strip=0) == [".git/a"]
    assert diff_paths(b'--- "a/\\056git/x"\n+++ "b/\\056git/x"\n') == [".git/x"]
    problems = patch_problems(diff, diff)
    assert problems == ["it touches '.git/y', which git refuses (a '.git' component)",
                        "it touches './z', which git refuses (a '.' or '..' component)"]


def test_binary_data_is_not_a_patch():
    assert patch_problems(b"\x00\x01junk", b"") == \
        ["it holds NUL bytes: binary data, not a patch"]
