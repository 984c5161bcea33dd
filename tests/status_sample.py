"""The demo's sample (a CPython-shaped upstream and five Pyodide-like patches on track 3.11),
imported once per test module and copied for each test."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import demo_sample, git, patchq


def build(root: Path) -> Path:
    """``root``/demo with cpython/ and patches/ (init + import done, committed)."""
    sample = demo_sample(root)
    res = patchq("-C", str(sample.patch_repo), "init", "--upstream", "../cpython",
                 "--github", "python/cpython", "--fork", "pyodide-bot/cpython")
    assert res.code == 0, res.text
    res = patchq("-C", str(sample.patch_repo), "import", str(sample.incoming), "--track", "3.11",
                 "--base", "v3.11.2")
    assert res.code == 0, res.text
    git(sample.patch_repo, "add", "-A")
    git(sample.patch_repo, "commit", "-q", "-m", "Import")
    return sample.root


def copy(built: Path, dest: Path) -> tuple[Path, Path]:
    """A fresh copy of the built sample: (patch repo, upstream clone)."""
    shutil.copytree(built, dest / "demo", symlinks=True)
    return dest / "demo" / "patches", dest / "demo" / "cpython"


SLUGS = ("Public-pymain_run_python", "Make-the-standard-streams-configurable-for-an-embedd",
         "Skip-modules-a-WebAssembly-target-cannot-build",
         "gh-101234-Fix-platform.system-on-Emscripten",
         "Explain-the-subprocess-error-in-the-browser")
FIX = SLUGS[3]
