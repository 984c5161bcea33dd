"""A hostile user's editor: an $EDITOR that fails (exits non-zero) makes `header -e` and
`refresh -e` fail with one patchq error line (exit 1), nothing changed."""

from __future__ import annotations

import pytest
from helpers import patchq, refs_snapshot, tree_snapshot
from stack_data import fresh, template  # noqa: F401 (fixtures)


@pytest.fixture
def work(template, tmp_path, monkeypatch):
    monkeypatch.setenv("PATCHQ_NOW", "2024-05-06T07:08:09Z")
    monkeypatch.setenv("VISUAL", "false")
    monkeypatch.setenv("EDITOR", "false")
    return fresh(template, tmp_path)


@pytest.mark.parametrize("args", [("header", "-e"), ("header", "-e", "p-two"),
                                  ("refresh", "-e")])
def test_a_failing_editor_is_one_error_line_and_changes_nothing(work, args):
    upstream, repo = work
    (upstream / "extra.txt").write_text("work in progress\n")
    before = (tree_snapshot(repo), tree_snapshot(upstream), refs_snapshot(upstream))
    res = patchq("-C", str(repo), *args)
    assert res.code == 1, res.text
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("patchq: error: the editor failed"), res.err
    assert (tree_snapshot(repo), tree_snapshot(upstream), refs_snapshot(upstream)) == before
