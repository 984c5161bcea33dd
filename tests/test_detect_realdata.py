"""Opt-in (PATCHQ_REALDATA): Debian's 62 patches for CPython 3.13.5 checked against v3.13.15.

Debian's own series for 3.13.15 says what is still needed: every patch it still carries must
read absent or partial. The CPython backports it dropped (subjects in CPython's backport
form, ``[3.13] gh-N: ...``) are in 3.13.15 and must read present, with evidence. In this
repository every release is one commit, so the range's patch-ids cannot help: the tree
decides. The confusion table is printed (``-s``) and kept in docs/performance.md.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter

import pytest
from helpers import patchq

BACKPORT = re.compile(r"^\s*(\[PATCH[^\]]*\]\s*)?\[3\.\d+\]|\bgh-\d+\b")


@pytest.mark.realdata
def test_debian_3_13_5_against_3_13_15(realdata, tmp_path):
    upstream = tmp_path / "cpython"
    subprocess.run(["git", "clone", "-q", str(realdata / "cpython"), str(upstream)], check=True)
    repo = tmp_path / "patches"
    repo.mkdir()
    assert patchq("-C", str(repo), "init", "--upstream", str(upstream)).code == 0
    res = patchq("-C", str(repo), "import", str(realdata / "debian" / "3.13.5"), "--track",
                 "3.13", "--base", "v3.13.5")
    assert res.code == 0, res.text
    res = patchq("-C", str(repo), "status", "3.13", "--against", "v3.13.15", "--json")
    assert res.code == 0, res.err
    patches = json.loads(res.out)["tracks"][0]["patches"]
    assert len(patches) == 62

    kept_files = {line.split()[0] for line in
                  (realdata / "debian" / "3.13.15" / "series").read_text().splitlines()
                  if line.strip() and not line.startswith("#")}
    table: Counter = Counter()
    wrong = []
    for patch in patches:
        found = patch["refs"]["v3.13.15"]
        state = found["state"]
        if patch["file"] in kept_files:
            kind = "kept by Debian"
            if state == "present":
                wrong.append(f"{patch['slug']} is still carried by Debian but reads present")
        elif BACKPORT.search(patch["subject"]):
            kind = "dropped backport"
            if state != "present" or not found["evidence"]:
                wrong.append(f"{patch['slug']} is in 3.13.15 but reads {state}")
        else:
            kind = "dropped, other"
        table[(kind, state)] += 1
    print("\nDebian 3.13.5 series against v3.13.15:")
    for kind in ("kept by Debian", "dropped backport", "dropped, other"):
        row = ", ".join(f"{table[(kind, s)]} {s}" for s in ("present", "partial", "absent"))
        print(f"  {kind:18} {row}")
    assert not wrong, wrong
    assert sum(n for (kind, _), n in table.items() if kind == "kept by Debian") == 25
    assert table[("dropped backport", "present")] >= 35
