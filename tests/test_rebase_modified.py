"""A clean 3-way merge that changes a patch's +/- lines: outcome ``modified``, end to end.

Upstream makes one of the two changes of a patch's hunk itself; the merge is clean, and the
patch's hunk keeps only the other change. Nobody was asked, so the rebase says so (the
outcome, its detail, the map) and export writes the new diff."""

from __future__ import annotations

import json

from helpers import commit, format_patch, git, make_upstream, patchq

LINES = "".join(f"a{i}\n" for i in range(1, 31))


def test_a_clean_merge_that_changes_the_lines_is_modified(tmp_path):
    upstream = make_upstream(tmp_path / "up", {"f.c": LINES})
    git(upstream, "checkout", "-q", "-b", "downstream")
    commit(upstream, {"f.c": LINES.replace("a10\n", "X10\n").replace("a14\n", "X14\n")},
           "Change lines 10 and 14")
    format_patch(upstream, "v1.0..downstream", tmp_path / "series")
    git(upstream, "checkout", "-q", "main")
    commit(upstream, {"f.c": LINES.replace("a10\n", "X10\n")}, "Upstream changes line 10")
    git(upstream, "tag", "v1.1")
    git(upstream, "branch", "-q", "-D", "downstream")
    patches = tmp_path / "patches"
    patches.mkdir()
    c = ("-C", str(patches))
    for args in (("init", "--upstream", str(upstream)),
                 ("import", str(tmp_path / "series"), "--track", "main", "--base", "v1.0",
                  "--follows", "main"),
                 ("checkout", "main")):
        res = patchq(*c, *args)
        assert res.code == 0, res.text

    res = patchq(*c, "rebase", "main", "--onto", "v1.1", "--json")
    assert res.code == 0, res.text
    data = json.loads(res.out)
    [patch] = data["patches"]
    assert patch["outcome"] == "modified"
    assert "changed its +/- lines" in patch["detail"]
    assert patch["upstream"]["state"] != "present" and not patch["needs_person"]
    assert data["counts"] == {"modified": 1}
    [written] = sorted((patches / "series" / "main").glob("*.patch"))
    changed = [ln for ln in written.read_text().splitlines()
               if ln[:1] in ("+", "-") and not ln.startswith(("+++", "---"))]
    assert changed == ["-a14", "+X14"]
    assert 'outcome = "modified"' in (patches / "upstream_map.toml").read_text()
