"""The demo's upstream and Pyodide-like patch repo, imported as track 3.11 on v3.11.2, for the
draft tests: built once per module (``template``), copied fresh for each test (``fresh``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import demo_sample, patchq

NOW = "2026-03-04T05:06:07Z"
UPSTREAM, FORK = "python/cpython", "pyodide-bot/cpython"


def template(root: Path) -> Path:
    """Build the sample under ``root``: init (github, fork) and import; returns its root."""
    sample = demo_sample(root)
    res = patchq("-C", str(sample.patch_repo), "init", "--upstream", "../cpython", "--github",
                 UPSTREAM, "--fork", FORK)
    assert res.code == 0, res.text
    res = patchq("-C", str(sample.patch_repo), "import", str(sample.incoming), "--track",
                 "3.11", "--base", "v3.11.2")
    assert res.code == 0, res.text
    return sample.root


def fresh(built: Path, tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """A copy of the built sample with the clock fixed: (patch repo, upstream clone)."""
    root = tmp_path / "d"
    shutil.copytree(built, root, symlinks=True)
    monkeypatch.setenv("PATCHQ_NOW", NOW)
    return root / "patches", root / "cpython"


@pytest.fixture(name="draft_template", scope="module")
def draft_template_fixture(tmp_path_factory) -> Path:
    """The sample, built once per module that imports this fixture."""
    return template(tmp_path_factory.mktemp("draft-template"))


@pytest.fixture(name="demo")
def demo_fixture(draft_template, tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A fresh copy of the sample: (patch repo, upstream clone)."""
    return fresh(draft_template, tmp_path, monkeypatch)
