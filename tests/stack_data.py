"""A small upstream and a five-patch series, for the stack, compare and port tests.

``build_template(root)`` makes, once per test module:

- ``root/cpython``: an upstream with files a.txt .. e.txt (40 numbered lines each), tag v1 on
  main, branch 3.11 at v1 and branch 3.13 one commit further (lines inserted at the top of
  a.txt, line 12 of b.txt changed: context the patches see moves);
- ``root/incoming``: five format-patch files made on v1:

  ==========  ===================================  ============================
  slug        change                               note
  ==========  ===================================  ============================
  p-one       a.txt line 5                         moves on 3.13 (offset)
  p-two       b.txt line 10                        context changes on 3.13
  p-three     a.txt line 20
  p-four      c.txt line 3
  p-five      b.txt line 11                        needs p-two (adjacent line)
  ==========  ===================================  ============================

- ``root/patches``: a patch repo (committed) with track 3.11 imported on v1 and its queue
  branch patchq/3.11 checked out in the upstream clone.

``fresh(template, tmp)`` copies it all, so one build serves a module.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import commit, format_patch, git, patchq
from spine_data import hermetic_env

SLUGS = ["p-one", "p-two", "p-three", "p-four", "p-five"]
FILES = ("a.txt", "b.txt", "c.txt", "d.txt", "e.txt")


def lines(name: str, changes: dict[int, str] | None = None, count: int = 40) -> str:
    out = [f"{name} line {i}\n" for i in range(1, count + 1)]
    for number, text in (changes or {}).items():
        out[number - 1] = text + "\n"
    return "".join(out)


def build_upstream(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    commit(path, {name: lines(name) for name in FILES} | {"README": "upstream\n"}, "Initial")
    git(path, "tag", "v1")
    git(path, "branch", "3.11")
    git(path, "checkout", "-q", "-b", "3.13")
    commit(path, {"a.txt": "new 1\nnew 2\nnew 3\n" + lines("a.txt"),
                  "b.txt": lines("b.txt", {12: "b.txt line 12 (3.13)"})}, "Python 3.13")
    git(path, "checkout", "-q", "main")
    return path


def patch_commits(upstream: Path, out: Path) -> list[Path]:
    """The five patches, made as commits on v1 and written with format-patch."""
    git(upstream, "checkout", "-q", "-b", "downstream", "v1")
    a, b = {}, {}
    a[5] = "a.txt line 5 (one)"
    commit(upstream, {"a.txt": lines("a.txt", a)}, "p-one\n\nChange line 5 of a.")
    b[10] = "b.txt line 10 (two)"
    commit(upstream, {"b.txt": lines("b.txt", b)}, "p-two\n\nChange line 10 of b.",
           author="Ben Wasmer <ben@pyodide.invalid>")
    a[20] = "a.txt line 20 (three)"
    commit(upstream, {"a.txt": lines("a.txt", a)}, "p-three")
    commit(upstream, {"c.txt": lines("c.txt", {3: "c.txt line 3 (four)"})}, "p-four")
    b[11] = "b.txt line 11 (five)"
    commit(upstream, {"b.txt": lines("b.txt", b)}, "p-five\n\nNext to p-two.")
    files = format_patch(upstream, "v1..downstream", out)
    git(upstream, "checkout", "-q", "main")
    git(upstream, "branch", "-q", "-D", "downstream")
    return files


def run_ok(repo: Path, *args: str):
    res = patchq("-C", str(repo), *args)
    assert res.code == 0, res.text
    return res


def build_template(root: Path) -> Path:
    upstream = build_upstream(root / "cpython")
    patch_commits(upstream, root / "incoming")
    repo = root / "patches"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    run_ok(repo, "init", "--upstream", "../cpython")
    run_ok(repo, "import", str(root / "incoming"), "--track", "3.11", "--base", "v1")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "import")
    run_ok(repo, "checkout", "3.11")
    return root


def fresh(template: Path, tmp: Path) -> tuple[Path, Path]:
    """A copy of the template: (upstream clone, patch repo)."""
    target = tmp / "work"
    shutil.copytree(template, target, symlinks=True)
    return target / "cpython", target / "patches"


def patch_file(repo: Path, slug: str, track: str = "3.11") -> Path:
    found = [p for p in (repo / "series" / track).iterdir() if slug in p.name and
             p.name.endswith((".patch", ".diff"))]
    assert len(found) == 1, found
    return found[0]


def series_names(repo: Path, track: str = "3.11") -> list[str]:
    text = (repo / "series" / track / "series").read_text()
    return [ln.split()[0] for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def state_file(upstream: Path) -> Path:
    return upstream / ".git" / "patchq" / "operation.json"


# -- fixtures: a test module imports them (``from stack_data import template, work``) ----------


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The sample above, built once per test module."""
    root = tmp_path_factory.mktemp("stack")
    with hermetic_env(tmp_path_factory.mktemp("home")):
        return build_template(root)


@pytest.fixture
def work(template, tmp_path, monkeypatch):
    """A fresh copy of the sample for one test: (upstream clone, patch repo), patchq's clock
    fixed (PATCHQ_NOW) for the dates it writes."""
    monkeypatch.setenv("PATCHQ_NOW", "2024-05-06T07:08:09Z")
    return fresh(template, tmp_path)
