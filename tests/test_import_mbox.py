"""`patchq import` of an mbox: messages that are not patches are left out, and counted."""

from __future__ import annotations

import pytest
from helpers import patchq
from spine_data import EDGE_COMMITS, build_sources, fresh

EMPTY = b"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n" \
        b"From: Ben Wasmer <ben@pyodide.invalid>\nSubject: [PATCH] nothing here\n\n"


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    return build_sources(tmp_path_factory.mktemp("sources"))


@pytest.fixture
def repo(sources, tmp_path):
    _, repo = fresh(sources, tmp_path)
    res = patchq("-C", str(repo), "init", "--upstream", "../cpython")
    assert res.code == 0, res.text
    return repo


def test_mbox_import_says_how_many_empty_messages_it_skipped(sources, repo, tmp_path):
    data = sources.mbox.read_bytes()
    second = data.index(b"\nFrom ", 1) + 1
    mbox = tmp_path / "with-empty.mbox"
    mbox.write_bytes(data[:second] + EMPTY + data[second:] + EMPTY)
    res = patchq("-C", str(repo), "import", str(mbox), "--track", "3.11", "--base", "v1")
    assert res.code == 0, res.text
    assert f"imported {EDGE_COMMITS} patches (mbox)" in res.out
    assert "skipped 1 cover letter and 2 empty messages of the mbox" in res.out
    names = (repo / "series" / "3.11" / "series").read_text().split()
    assert len(names) == EDGE_COMMITS
    assert not any("nothing-here" in name for name in names)


def test_mbox_of_only_empty_messages_is_refused(repo, tmp_path):
    mbox = tmp_path / "empty.mbox"
    mbox.write_bytes(EMPTY * 2)
    res = patchq("-C", str(repo), "import", str(mbox), "--track", "3.11", "--base", "v1")
    assert res.code == 1
    assert "holds no patches" in res.err and "empty" in res.err
    assert not (repo / "series" / "3.11").exists()


LIST_COVER = b"From nobody Mon Sep 17 00:00:00 2001\nFrom: Ben Wasmer <ben@pyodide.invalid>\n" \
             b"Subject: [PATCH 0/2] the series\n\nWhat these do.\n"
REPLY = b"From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: Rev Iewer <rev@python.invalid>\n" \
        b"Subject: Re: [PATCH 1/2] the first\n\n> quoted\nLooks good to me.\n"


def test_a_list_archives_mbox_skips_its_cover_letter_and_the_replies(sources, repo, tmp_path):
    """Archives write `From nobody ...` or `From mboxrd@z ...` envelopes, not commit ids, and
    keep the review replies of the thread: neither is a patch to carry."""
    data = sources.mbox.read_bytes()
    second = data.index(b"\nFrom ", 1) + 1
    mbox = tmp_path / "thread.mbox"
    mbox.write_bytes(LIST_COVER + data[:second] + REPLY + data[second:] + REPLY)
    res = patchq("-C", str(repo), "import", str(mbox), "--track", "3.11", "--base", "v1")
    assert res.code == 0, res.text
    assert f"imported {EDGE_COMMITS} patches (mbox)" in res.out
    assert "skipped 2 cover letters and 2 replies of the mbox" in res.out
    names = (repo / "series" / "3.11" / "series").read_text().split()
    assert len(names) == EDGE_COMMITS and not any("Re-" in n or "nobody" in n for n in names)
