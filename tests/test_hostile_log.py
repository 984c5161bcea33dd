"""A hostile user's `patchq log`: a track on a second upstream keeps its rebase records in
that upstream's clone (log reads them there), and a record of the wrong shape (edited by
hand) is skipped with a note, never a crash."""

from __future__ import annotations

import json

from helpers import commit, patchq
from test_upstreams import run, setup_both, two  # noqa: F401 (fixture)


def _rebased(repo, emsdk, tmp_path):
    setup_both(repo, tmp_path)
    commit(emsdk, {"README.md": "emsdk 3.1.1\n"}, "Release 3.1.1")
    run(repo, "checkout", "emsdk-3.1")
    run(repo, "rebase", "emsdk-3.1")
    records = sorted((emsdk / ".git" / "patchq" / "history" / "emsdk-3.1").glob("*.json"))
    assert len(records) == 1
    return records[0]


def test_log_reads_the_rebase_record_in_the_tracks_own_clone(two, tmp_path):
    repo, _, emsdk = two
    record = _rebased(repo, emsdk, tmp_path)
    doc = json.loads(run(repo, "log", "Pin-the-node-version", "--json").out)
    rebases = [e for e in doc["events"] if e["kind"] == "rebase"]
    assert len(rebases) == 1
    assert rebases[0]["record"] == str(record) and "from_map" not in rebases[0]
    assert rebases[0]["outcome"] == "unchanged"
    assert rebases[0]["new"]["file"]
    assert not [n for n in doc["notes"] if "record" in n]


def test_a_record_of_the_wrong_shape_is_a_note(two, tmp_path):
    repo, _, emsdk = two
    record = _rebased(repo, emsdk, tmp_path)
    good = json.loads(record.read_text())
    for broken in ({**good, "patches": 5}, {**good, "from": None},
                   {**good, "patches": [{**good["patches"][0], "old_kept": 7}]}):
        record.write_text(json.dumps(broken))
        res = patchq("-C", str(repo), "log", "Pin-the-node-version")
        assert res.code == 0, res.text
        assert f"note: {record}: a patchq.rebase-record/1 record of the wrong shape" in res.out
        doc = json.loads(run(repo, "log", "Pin-the-node-version", "--json").out)
        assert doc["schema"] == "patchq-log/1"
        assert len([n for n in doc["notes"] if "wrong shape" in n]) == 1
