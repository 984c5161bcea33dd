"""`patchq import` records what each patch's whole header says into [patches.<slug>] (issue, pr,
origin_commit, news, forwarded, downstream-only for Forwarded: not-needed) and never replaces
what people recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit
from helpers import make_upstream, numbered_lines, patch_repo, patchq

from patchq.upstream_map import UpstreamMap

BASE = numbered_lines("platform")


def diff(n: int) -> bytes:
    """A hunk of its own for patch ``n`` (they touch different lines)."""
    line = 2 * n + 5
    return (f"--- a/Lib/platform.py\n+++ b/Lib/platform.py\n@@ -{line} +{line} @@\n"
            f"-platform line {line}\n+platform line {line} (patch {n})\n").encode()


NEWS = (b"--- /dev/null\n+++ b/Misc/NEWS.d/next/Build/2024-12-04-10-00-35.gh-issue-127545."
        b"t0THjE.rst\n@@ -0,0 +1 @@\n+Fix the build on m68k.\n")

PATCHES = {
    # a multi-paragraph description, then Forwarded after a blank line
    "layout.diff": b"Description: Add an install layout\n Why.\n .\n More.\n\n"
                   b"Forwarded: not-needed\n\n" + diff(1),
    # Forwarded in the mail body names the PR; the subject's gh-N is that PR
    "abi.diff": b"From c5b58a47f342e067d7de44eb4aeb3385552314e8 Mon Sep 17 00:00:00 2001\n"
                b"From: Jane Doe <jane@x.invalid>\nDate: Sun, 11 Aug 2024 10:43:45 +0200\n"
                b"Subject: [PATCH] gh-122917 Allow a multiarch tuple\n\nWhy.\n\n"
                b"Forwarded: https://github.com/python/cpython/pull/122917\n"
                b"Bug-Upstream: https://github.com/python/cpython/issues/122931\n---\n"
                b" Lib/platform.py | 2 +-\n\n" + diff(2),
    # its own NEWS entry names the issue, Bug-Upstream too; Bug-Debian is no upstream issue
    "align.diff": b"From: Finn Example <finn@x.invalid>\nDate: Tue, 3 Dec 2024 11:32:55 +1100\n"
                  b"Subject: Specify the minimum alignment\n\nWhy.\n\n"
                  b"Origin: Backported from upstream, https://github.com/someone/cpython/commit/"
                  b"a173b50b22b2f884853fcde45fec9bffb0fc5aae\n"
                  b"Bug-Upstream: https://github.com/python/cpython/issues/127545\n"
                  b"Bug-Debian: https://bugs.debian.org/1105110\n\n---\n\n" + diff(3) + NEWS,
    # a backport: fields after the diffstat, the PR that made it, the commit it came from
    "revert.diff": b"From c148a68efe54b4452cfec6a65205b83bff5fefb3 Mon Sep 17 00:00:00 2001\n"
                   b"From: Bot <bot@x.invalid>\nDate: Wed, 25 Jun 2025 20:24:55 +0200\n"
                   b"Subject: [PATCH] [3.13] gh-91555: Revert it (GH-135858) (GH-135911)\n\n---\n"
                   b" Lib/platform.py | 2 +-\n\n"
                   b"Origin: upstream, https://github.com/python/cpython/commit/"
                   b"c148a68efe54b4452cfec6a65205b83bff5fefb3\n"
                   b"Bug-Upstream: https://github.com/python/cpython/issues/91555\n\n" + diff(4),
    "cherry.diff": b"Description: [3.11] GH-102126: fix deadlock (GH-102222)\n"
                   b" (cherry picked from commit 5f11478ce7fda826d399530af4c5ca96c592f144)\n"
                   b"Bug-Debian: https://bugs.debian.org/1032019\n\n" + diff(5),
    "plain.diff": b"# DP: needs forwarding.\n\n" + diff(6),
}


@pytest.fixture
def quilt(tmp_path) -> tuple[Path, Path]:
    upstream = make_upstream(tmp_path / "cpython", {"Lib/platform.py": BASE}, tag="v3.13.5")
    repo = patch_repo(tmp_path, upstream, "--github", "python/cpython")
    source = tmp_path / "debian"
    source.mkdir()
    for name, data in PATCHES.items():
        (source / name).write_bytes(data)
    (source / "series").write_text("".join(f"{name}\n" for name in PATCHES))
    return repo, source


def records(repo: Path) -> dict:
    return UpstreamMap.load(repo / "upstream_map.toml").doc.unwrap()["patches"]


def people(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "tracks"}


def test_import_records_what_the_headers_say(quilt):
    repo, source = quilt
    res = patchq("-C", str(repo), "import", str(source), "--track", "3.13", "--base", "v3.13.5")
    assert res.code == 0, res.text
    assert ("recorded from the headers: 1 downstream-only (Forwarded: not-needed), 4 issues, "
            "3 PRs, 2 upstream commits, 1 NEWS entries, 2 Forwarded fields") in res.out
    got = {slug: people(r) for slug, r in records(repo).items()}
    assert got["layout"] == {"disposition": "downstream-only", "forwarded": "not-needed",
                             "reason": "Forwarded: not-needed (from the patch header)"}
    assert got["abi"] == {"disposition": "undecided", "issue": "python/cpython#122931",
                          "pr": "python/cpython#122917",
                          "forwarded": "https://github.com/python/cpython/pull/122917"}
    assert got["align"] == {
        "disposition": "undecided", "issue": "python/cpython#127545",
        "news": "Misc/NEWS.d/next/Build/2024-12-04-10-00-35.gh-issue-127545.t0THjE.rst"}
    assert got["revert"] == {"disposition": "undecided", "issue": "python/cpython#91555",
                             "pr": "python/cpython#135911",
                             "origin_commit": "c148a68efe54b4452cfec6a65205b83bff5fefb3"}
    assert got["cherry"] == {"disposition": "undecided", "issue": "python/cpython#102126",
                             "pr": "python/cpython#102222",
                             "origin_commit": "5f11478ce7fda826d399530af4c5ca96c592f144"}
    assert got["plain"] == {"disposition": "undecided"}


def test_import_never_replaces_what_people_recorded(quilt, tmp_path):
    repo, source = quilt
    path = repo / "upstream_map.toml"
    doc = tomlkit.parse(path.read_text())
    patches = tomlkit.table(is_super_table=True)
    patches["abi"] = {"disposition": "upstreamable", "issue": "python/cpython#1",
                      "pr": "python/cpython#2", "forwarded": "mailed to the list"}
    patches["layout"] = {"disposition": "upstreamable", "reason": "we changed our mind"}
    doc["patches"] = patches
    path.write_text(tomlkit.dumps(doc))
    res = patchq("-C", str(repo), "import", str(source), "--track", "3.13", "--base", "v3.13.5")
    assert res.code == 0, res.text
    got = {slug: people(r) for slug, r in records(repo).items()}
    assert got["abi"] == {"disposition": "upstreamable", "issue": "python/cpython#1",
                          "pr": "python/cpython#2", "forwarded": "mailed to the list"}
    assert got["layout"] == {"disposition": "upstreamable", "reason": "we changed our mind",
                             "forwarded": "not-needed"}
    # a second track of the same patches seeds nothing new and changes nothing
    before = got
    res = patchq("-C", str(repo), "import", str(source), "--track", "3.13b", "--base", "v3.13.5")
    assert res.code == 0, res.text
    assert {slug: people(r) for slug, r in records(repo).items()} == before
    assert "recorded from the headers" not in res.out
