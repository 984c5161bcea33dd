"""Repositories for the rebase tests, built once per module and copied per test.

- ``demo``: the demo sample after ``init``, ``import`` and ``checkout``: track 3.11 on v3.11.2
  with 5 Pyodide-like patches, the queue branch checked out, the patch repo committed;
- ``synth``: benchmarks/synth.py with every kind of upstream change (12 patches), imported as
  track ``main`` on v1.0 and checked out.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from helpers import git, patchq, refs_snapshot, tree_snapshot
from spine_data import hermetic_env

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import synth

NOW = "2026-01-02T03:04:05Z"


@dataclass
class Repos:
    root: Path
    upstream: Path
    patches: Path
    track: str
    expected: dict[str, str]

    def copy(self, dest: Path) -> Repos:
        shutil.copytree(self.root, dest, symlinks=True)
        return Repos(dest, dest / self.upstream.relative_to(self.root),
                     dest / self.patches.relative_to(self.root), self.track, self.expected)

    def run(self, *args: str):
        return patchq("-C", str(self.patches), *args)

    def snapshot(self) -> tuple:
        """Everything a rebase may touch: files of the patch repo, refs and HEAD, the work tree
        and index of the upstream clone, the manifest."""
        manifest = self.upstream / ".git" / "patchq" / f"queue-{self.track}.json"
        return (tree_snapshot(self.patches), refs_snapshot(self.upstream),
                git(self.upstream, "status", "--porcelain"),
                git(self.upstream, "ls-files", "-s"),
                manifest.read_bytes() if manifest.exists() else None)


def _ok(res) -> None:
    assert res.code == 0, res.text


def build_demo(root: Path, home: Path) -> Repos:
    from patchq.commands.demo import build_sample, commit_patch_repo

    with hermetic_env(home):
        sample = build_sample(root)
        c = ("-C", str(sample.patch_repo))
        _ok(patchq(*c, "init", "--upstream", "../cpython", "--github", "python/cpython"))
        _ok(patchq(*c, "import", str(sample.incoming), "--track", "3.11", "--base", "v3.11.2"))
        _ok(patchq(*c, "checkout", "3.11"))
        commit_patch_repo(sample, "Import")
    expected = {
        "Public-pymain_run_python": "unchanged",
        "Make-the-standard-streams-configurable-for-an-embedd": "unchanged",
        "Skip-modules-a-WebAssembly-target-cannot-build": "offset",
        "gh-101234-Fix-platform.system-on-Emscripten": "upstream",
        "Explain-the-subprocess-error-in-the-browser": "unchanged",
    }
    return Repos(root, sample.upstream, sample.patch_repo, "3.11", expected)


def build_synth(root: Path, home: Path, **knobs) -> Repos:
    with hermetic_env(home):
        made = synth.generate(root, **knobs)
        patches = root / "patches"
        patches.mkdir()
        git(patches, "init", "-q", "-b", "main")
        c = ("-C", str(patches))
        _ok(patchq(*c, "init", "--upstream", "../upstream"))
        _ok(patchq(*c, "import", str(made.series), "--track", "main", "--base", "v1.0",
                   "--follows", "main"))
        _ok(patchq(*c, "checkout", "main"))
        git(patches, "add", "-A")
        git(patches, "commit", "-q", "-m", "Import")
    return Repos(root, made.upstream, patches, "main", dict(made.expected))


ALL_KINDS = {"patches": 12, "upstreamed": 2, "partial": 1, "offset": 2, "refreshed": 1,
             "conflicting": 2, "obsolete": 1, "upstream_files": 20, "history": 3}

# small, for tests that run patchq many times: two conflicts, one of each other kind
FEW_KINDS = {"patches": 4, "upstreamed": 1, "offset": 1, "conflicting": 2, "upstream_files": 5,
             "history": 2}
