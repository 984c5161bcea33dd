"""`patchq rebase`: outcomes, evidence, the series and map it writes, conflicts, bad input."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from helpers import git, load_map, patchq, refs_snapshot
from rebase_data import ALL_KINDS, NOW, build_demo, build_synth


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):
    root = tmp_path_factory.mktemp("rebase-demo")
    return build_demo(root / "demo", root / "home")


@pytest.fixture(scope="module")
def synth_template(tmp_path_factory):
    root = tmp_path_factory.mktemp("rebase-synth")
    return build_synth(root / "synth", root / "home", **ALL_KINDS)


@pytest.fixture
def demo(demo_template, tmp_path, monkeypatch):
    monkeypatch.setenv("PATCHQ_NOW", NOW)
    return demo_template.copy(tmp_path / "demo")


@pytest.fixture
def syn(synth_template, tmp_path, monkeypatch):
    monkeypatch.setenv("PATCHQ_NOW", NOW)
    return synth_template.copy(tmp_path / "synth")


def outcomes(data: dict) -> dict[str, str]:
    return {p["slug"]: p["outcome"] for p in data["patches"]}


def series_files(repos) -> dict[str, bytes]:
    directory = repos.patches / "series" / repos.track
    return {p.name: p.read_bytes() for p in directory.iterdir()}


def resolve_keeping_both(path) -> None:
    text = path.read_text()
    path.write_text("".join(line for line in text.splitlines(keepends=True)
                            if not re.match(r"^(<<<<<<<|=======|>>>>>>>)", line)))


def changed_lines(patch: bytes) -> list[bytes]:
    """The +/- lines of a patch file's diff (not ---/+++ headers, not a signature)."""
    diff = patch[patch.index(b"\ndiff --git"):]
    return [ln for ln in diff.splitlines() if ln[:1] in (b"+", b"-")
            and not ln.startswith((b"+++ ", b"--- ")) and ln != b"-- "]


# -- the demo: the sample the issue describes ---------------------------------------------------


def test_demo_rebase_outcomes_files_and_map(demo):
    before = series_files(demo)
    res = demo.run("rebase", "3.11", "--onto", "v3.11.3", "--json")
    assert res.code == 0, res.text
    data = json.loads(res.out)
    assert data["state"] == "done"
    assert outcomes(data) == demo.expected
    assert data["counts"] == {"unchanged": 3, "offset": 1, "upstream": 1}

    dropped = next(p for p in data["patches"] if p["outcome"] == "upstream")
    methods = {e["method"] for e in dropped["evidence"]}
    assert "empty-apply" in methods
    in_range = set(git(demo.upstream, "rev-list", "v3.11.2..v3.11.3").split())
    named = {c for e in dropped["evidence"] for c in e["commits"]}
    backport = git(demo.upstream, "log", "--format=%H", "--grep=gh-101234", "v3.11.2..v3.11.3")
    assert backport in named and named <= in_range | {git(demo.upstream, "rev-parse",
                                                            "v3.11.3")}

    after = series_files(demo)
    for name, data_before in before.items():
        slug = re.sub(r"^\d{4}-|\.patch$", "", name)
        outcome = demo.expected.get(slug)
        if outcome == "unchanged":
            assert after[name] == data_before, name  # byte for byte
        elif outcome == "offset":
            assert after[name] != data_before
            assert changed_lines(data_before) == changed_lines(after[name])
        elif outcome == "upstream":
            assert name not in after
    assert b"gh-101234" not in after["series"]

    umap = load_map(demo)
    track = umap["tracks"]["3.11"]
    assert track["base"] == "v3.11.3"
    assert track["base_commit"] == git(demo.upstream, "rev-parse", "v3.11.3")
    assert track["last_rebase"]["counts"] == {"unchanged": 3, "offset": 1, "upstream": 1}
    assert track["last_rebase"]["from"] == "v3.11.2"
    gone = umap["patches"]["gh-101234-Fix-platform.system-on-Emscripten"]["tracks"]["3.11"]
    assert gone["carried"] is False and gone["outcome"] == "upstream" and gone["dropped"]
    assert {e["method"] for e in gone["evidence"]} == methods
    assert gone["upstream"]["v3.11.3"]["state"] == "present"
    kept = umap["patches"]["Public-pymain_run_python"]["tracks"]["3.11"]
    assert kept["outcome"] == "unchanged" and kept["carried"] is True
    assert "v3.11.3" not in kept.get("upstream", {})  # nothing of it upstream: no table

    # the upstream clone: queue branch on the new base, checked out, clean
    tip = git(demo.upstream, "rev-parse", "patchq/3.11")
    assert tip == data["tip"]
    assert git(demo.upstream, "merge-base", "--is-ancestor", "v3.11.3", tip) == ""
    assert len(git(demo.upstream, "rev-list", "v3.11.3..patchq/3.11").split()) == 4
    assert git(demo.upstream, "status", "--porcelain", "--untracked-files=no") == ""
    assert not (demo.upstream / ".git" / "patchq" / "operation.json").exists()
    assert not (demo.upstream / ".git" / "patchq" / "rebase-backup").exists()

    # round trip: the written series builds on the new base and exports without a change
    snap = series_files(demo)
    assert demo.run("checkout", "3.11").code == 0
    res = demo.run("export", "3.11")
    assert res.code == 0 and "nothing to write" in res.out, res.text
    assert series_files(demo) == snap
    assert demo.run("lint", "3.11").code == 0


def test_demo_text_summary(demo):
    res = demo.run("rebase", "3.11", "--onto", "v3.11.3")
    assert res.code == 0, res.text
    assert "rebased 3.11 from v3.11.2" in res.out
    assert "3 unchanged, 1 offset, 1 upstream" in res.out
    assert re.search(r"gh-101234-Fix-platform.system-on-Emscripten\s+upstream\s+\S", res.out)
    assert "range-diff" in res.out and "< -:" in res.out
    assert "patchq/3.11 is now at" in res.out


def test_default_onto_is_the_followed_branch(demo):
    res = demo.run("rebase", "3.11", "--json")
    assert res.code == 0, res.text
    data = json.loads(res.out)
    assert data["to"]["commit"] == git(demo.upstream, "rev-parse", "3.11")
    assert data["to"]["ref"] == "v3.11.3"  # the branch tip is exactly that tag


def test_already_on_the_base_changes_nothing(demo):
    before = demo.snapshot()
    res = demo.run("rebase", "3.11", "--onto", "v3.11.2")
    assert res.code == 0 and "already on" in res.out
    assert demo.snapshot() == before


def test_dry_run_changes_nothing_at_all(demo):
    before = demo.snapshot()
    objects = sorted(p.name for p in (demo.upstream / ".git" / "objects").rglob("*"))
    res = demo.run("rebase", "3.11", "--onto", "v3.11.3", "--dry-run", "--json")
    assert res.code == 0, res.text
    data = json.loads(res.out)
    assert data["state"] == "dry-run"
    assert outcomes(data) == demo.expected
    assert demo.snapshot() == before
    assert sorted(p.name for p in (demo.upstream / ".git" / "objects").rglob("*")) == objects
    assert not (demo.upstream / ".git" / "patchq" / "operation.json").exists()


# -- every kind of upstream change --------------------------------------------------------------


def test_synth_every_outcome(syn):
    res = syn.run("rebase", "main", "--onto", "v1.1", "--dry-run", "--json")
    assert res.code == 0, res.text
    data = json.loads(res.out)
    assert outcomes(data) == syn.expected
    by = {p["slug"]: p for p in data["patches"]}
    for slug, outcome in syn.expected.items():
        patch = by[slug]
        if outcome in ("upstream", "partial", "obsolete"):
            assert patch["evidence"], slug
            assert any(e["commits"] for e in patch["evidence"]), patch
        if outcome == "obsolete":
            assert patch["evidence"][0]["method"] == "files-gone"
        if outcome == "conflict":
            assert patch["needs_person"] and patch["files"]


def test_on_conflict_skip_sets_patches_aside(syn):
    before = series_files(syn)
    res = syn.run("rebase", "main", "--onto", "v1.1", "--on-conflict", "skip", "--json")
    assert res.code == 0, res.text
    data = json.loads(res.out)
    assert outcomes(data) == syn.expected
    after = series_files(syn)
    umap = load_map(syn)
    aside = [s for s, o in syn.expected.items() if o == "conflict"]
    assert aside
    series = after["series"].decode().split()
    for slug in aside:
        name = next(n for n in before if slug in n)
        assert after[name] == before[name]  # kept, byte for byte
        assert name in series
        record = umap["patches"][slug]["tracks"]["main"]
        assert record["needs_person"] is True and record["carried"] is True
        assert record["outcome"] == "conflict"
    # the series keeps its order
    assert series == [n for n in before["series"].decode().split() if n in series]
    for slug, outcome in syn.expected.items():
        record = umap["patches"][slug]["tracks"]["main"]
        assert record["outcome"] == outcome
        assert record["carried"] is (outcome not in ("upstream", "obsolete"))
    # a later export keeps the set-aside patches; checkout builds the rest and names them
    res = syn.run("export", "main")
    assert res.code == 0 and "nothing to write" in res.out, res.text
    assert series_files(syn) == after
    res = syn.run("checkout", "main")
    assert res.code == 0, res.text
    assert "set aside by a rebase: " + ", ".join(aside) in res.out


def test_partial_patch_keeps_only_the_missing_hunk(syn):
    res = syn.run("rebase", "main", "--onto", "v1.1", "--on-conflict", "skip")
    assert res.code == 0, res.text
    slug = next(s for s, o in syn.expected.items() if o == "partial")
    text = next(p for p in (syn.patches / "series" / "main").iterdir() if slug in p.name) \
        .read_text()
    assert "downstream change B" in text and "downstream change A" not in text


# -- conflicts -------------------------------------------------------------------------------------


def first_conflict(repos) -> str:
    return next(s for s, o in repos.expected.items() if o == "conflict")


def test_stop_at_conflict_then_continue_skip(syn):
    res = syn.run("rebase", "main", "--onto", "v1.1")
    assert res.code == 1, res.text
    slug = first_conflict(syn)
    number = int(slug.split("-")[2])
    conflicted = syn.upstream / f"src/p{number:05d}.c"
    assert f"stopped at patch {number}/12 {slug}" in res.out
    assert f"src/p{number:05d}.c" in res.out
    assert "patchq rebase --continue" in res.out and "--abort" in res.out
    assert git(syn.upstream, "symbolic-ref", "--short", "HEAD") == "patchq/main"
    assert "<<<<<<<" in conflicted.read_text()
    assert git(syn.upstream, "ls-files", "-u")

    # while stopped: status, and everything else refused with one line
    status = syn.run("rebase", "--status", "--json")
    assert status.code == 0
    assert json.loads(status.out)["stopped"]["slug"] == slug
    for args in (("rebase", "main"), ("checkout", "main"), ("export", "main")):
        refused = syn.run(*args)
        assert refused.code == 1 and "in progress" in refused.err
        assert len(refused.err.strip().splitlines()) == 1
    again = syn.run("rebase", "--continue")
    assert again.code == 1 and "unresolved conflicts remain in" in again.err
    assert f"src/p{number:05d}.c" in again.err

    resolve_keeping_both(conflicted)
    git(syn.upstream, "add", "-A")
    res = syn.run("rebase", "--continue")
    assert res.code == 1  # stops at the second conflict
    second = [s for s, o in syn.expected.items() if o == "conflict"][1]
    assert f"{second}: it conflicts" in res.out
    res = syn.run("rebase", "--skip", "--json")
    assert res.code == 0, res.text
    data = json.loads(res.out)
    expected = dict(syn.expected, **{slug: "modified"})
    assert outcomes(data) == expected
    modified = next(p for p in data["patches"] if p["slug"] == slug)
    assert modified["new_commit"]
    diff = git(syn.upstream, "show", modified["new_commit"])
    assert "upstream's own change B" in diff and "downstream change B" in diff
    umap = load_map(syn)
    assert umap["patches"][slug]["tracks"]["main"]["outcome"] == "modified"
    assert umap["patches"][second]["tracks"]["main"]["needs_person"] is True
    assert git(syn.upstream, "status", "--porcelain", "--untracked-files=no") == ""
    assert syn.run("rebase", "--status").out.strip() == "no rebase in progress"


def test_abort_at_a_conflict_restores_everything(syn):
    before = syn.snapshot()
    assert syn.run("rebase", "main", "--onto", "v1.1").code == 1
    resolve_keeping_both(next((syn.upstream / "src").glob("p*.c")))  # a person started
    res = syn.run("rebase", "--abort")
    assert res.code == 0, res.text
    assert "aborted" in res.out
    assert syn.snapshot() == before


def test_abort_after_continue_restores_everything(syn):
    git(syn.upstream, "checkout", "-q", "main")  # HEAD elsewhere: it comes back there
    before = syn.snapshot()
    assert syn.run("rebase", "main", "--onto", "v1.1").code == 1
    number = int(first_conflict(syn).split("-")[2])
    resolve_keeping_both(syn.upstream / f"src/p{number:05d}.c")
    git(syn.upstream, "add", "-A")
    assert syn.run("rebase", "--continue").code == 1
    assert syn.run("rebase", "--abort").code == 0
    assert syn.snapshot() == before
    assert git(syn.upstream, "symbolic-ref", "--short", "HEAD") == "main"


def test_resolution_committed_by_hand_and_resolution_to_nothing(syn):
    assert syn.run("rebase", "main", "--onto", "v1.1").code == 1
    first, second = [s for s, o in syn.expected.items() if o == "conflict"]
    number = int(first.split("-")[2])
    resolve_keeping_both(syn.upstream / f"src/p{number:05d}.c")
    git(syn.upstream, "commit", "-q", "-am", "resolved")  # git habits: commit it
    assert syn.run("rebase", "--continue").code == 1
    git(syn.upstream, "checkout", "-q", "HEAD", "--", ".")  # keep upstream's side: nothing
    git(syn.upstream, "reset", "-q")
    res = syn.run("rebase", "--continue", "--json")
    assert res.code == 0, res.text
    data = json.loads(res.out)
    got = outcomes(data)
    assert got[first] == "modified"
    # a person resolving to nothing drops the patch: that is not upstream having it
    assert got[second] == "dropped"
    dropped = next(p for p in data["patches"] if p["slug"] == second)
    assert [e["method"] for e in dropped["evidence"]] == ["person"]
    assert "a person resolved the conflict to no change" in dropped["evidence"][0]["detail"]
    assert dropped["upstream"]["state"] == "absent" and dropped["confidence"] is None
    assert data["counts"].get("dropped") == 1
    record = load_map(syn)["patches"][second]["tracks"]["main"]
    assert record["outcome"] == "dropped" and record["carried"] is False
    assert "v1.1" not in record.get("upstream", {})  # nothing said about upstream
    assert not any(second in p.name for p in (syn.patches / "series" / "main").iterdir())


def test_continue_refuses_unstaged_resolution(syn):
    assert syn.run("rebase", "main", "--onto", "v1.1").code == 1
    number = int(first_conflict(syn).split("-")[2])
    path = syn.upstream / f"src/p{number:05d}.c"
    resolve_keeping_both(path)
    git(syn.upstream, "add", "-A")
    path.write_text(path.read_text() + "one more line\n")
    res = syn.run("rebase", "--continue")
    assert res.code == 1 and "not staged" in res.err
    assert syn.run("rebase", "--abort").code == 0


# -- bad input: one line, nothing changed ----------------------------------------------------------


@pytest.mark.parametrize("args, words", [
    (("rebase", "9.99"), "unknown track"),
    (("rebase", "3.11", "--onto", "v9.9.9"), "does not resolve"),
    (("rebase", "--continue"), "no rebase is in progress"),
    (("rebase", "--skip"), "no rebase is in progress"),
    (("rebase", "--abort"), "no rebase is in progress"),
])
def test_bad_input_one_line_nothing_changed(demo, args, words):
    before = demo.snapshot()
    res = demo.run(*args)
    assert res.code == 1, res.text
    assert words in res.err
    assert len(res.err.strip().splitlines()) == 1 and res.err.startswith("patchq: error:")
    assert demo.snapshot() == before


@pytest.mark.parametrize("args", [
    ("rebase",), ("rebase", "3.11", "--continue"), ("rebase", "--continue", "--abort"),
    ("rebase", "--skip", "--dry-run"), ("rebase", "3.11", "--on-conflict", "later"),
])
def test_usage_errors(demo, args):
    before = demo.snapshot()
    res = demo.run(*args)
    assert res.code == 2, res.text
    assert demo.snapshot() == before


def test_dirty_work_tree_refused(demo):
    (demo.upstream / "README.rst").write_text("edited\n")
    before = demo.snapshot()
    res = demo.run("rebase", "3.11", "--onto", "v3.11.3")
    assert res.code == 1 and "uncommitted changes" in res.err
    assert demo.snapshot() == before
    res = demo.run("rebase", "3.11", "--onto", "v3.11.3", "--dry-run")  # looking is fine
    assert res.code == 0 and "dry run: nothing was changed" in res.out
    assert demo.snapshot() == before


def test_missing_upstream_clone(demo):
    shutil.move(demo.upstream, demo.root / "elsewhere")
    before = (demo.patches / "upstream_map.toml").read_bytes()
    res = demo.run("rebase", "3.11", "--onto", "v3.11.3")
    assert res.code == 1 and "does not exist" in res.err
    assert len(res.err.strip().splitlines()) == 1
    assert (demo.patches / "upstream_map.toml").read_bytes() == before


def test_unexported_queue_commits_refused(demo):
    (demo.upstream / "README.rst").write_text("a commit nobody exported\n")
    git(demo.upstream, "commit", "-q", "-am", "local work")
    before = demo.snapshot()
    res = demo.run("rebase", "3.11", "--onto", "v3.11.3")
    assert res.code == 1 and "never exported" in res.err
    assert demo.snapshot() == before


def test_without_a_queue_branch(demo):
    git(demo.upstream, "checkout", "-q", "main")
    git(demo.upstream, "branch", "-D", "patchq/3.11")
    res = demo.run("rebase", "3.11", "--onto", "v3.11.3", "--json")
    assert res.code == 0, res.text
    assert outcomes(json.loads(res.out)) == demo.expected
    assert git(demo.upstream, "symbolic-ref", "--short", "HEAD") == "main"
    assert git(demo.upstream, "rev-parse", "patchq/3.11") == json.loads(res.out)["tip"]


# -- quilt files: moved hunks keep a file without index lines --------------------------------------


def test_quilt_patch_stays_byte_for_byte_when_its_file_changed_elsewhere(tmp_path, monkeypatch):
    from helpers import commit, make_upstream, numbered_lines, patch_repo

    monkeypatch.setenv("PATCHQ_NOW", NOW)
    upstream = make_upstream(tmp_path / "up", {"a.c": numbered_lines("a", 60),
                                               "b.c": numbered_lines("b", 60)})
    quilt = tmp_path / "quilt"
    quilt.mkdir()
    body = numbered_lines("a", 60).replace("a line 5\n", "a line 5 patched\n")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "a.c").write_text(numbered_lines("a", 60))
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "a.c").write_text(body)
    import subprocess

    diff = subprocess.run(["diff", "-u", "old/a.c", "new/a.c"], cwd=tmp_path, check=False,
                          capture_output=True, text=True).stdout
    (quilt / "fix-a.diff").write_text("Description: Fix a\nAuthor: Some One <s@o.invalid>\n"
                                      "\n" + diff)
    (quilt / "series").write_text("fix-a.diff\n")
    repo = patch_repo(tmp_path, upstream)
    c = ("-C", str(repo))
    assert patchq(*c, "import", str(quilt), "--track", "3.11", "--base", "v1.0").code == 0
    # upstream changes the end of a.c (far from the hunk) and b.c
    commit(upstream, {"a.c": numbered_lines("a", 60).replace("a line 55\n", "a line 55!\n"),
                      "b.c": "b\n"}, "Upstream work")
    git(upstream, "tag", "v1.1")
    before = (repo / "series" / "3.11" / "fix-a.diff").read_bytes()
    res = patchq(*c, "rebase", "3.11", "--onto", "v1.1", "--json")
    assert res.code == 0, res.text
    assert outcomes(json.loads(res.out)) == {"fix-a": "unchanged"}
    assert (repo / "series" / "3.11" / "fix-a.diff").read_bytes() == before


def test_second_rebase_updates_records_in_place(demo):
    assert demo.run("rebase", "3.11", "--onto", "v3.11.3").code == 0
    text = (demo.patches / "upstream_map.toml").read_text()
    git(demo.upstream, "tag", "v3.11.3-again", "v3.11.3")
    commit_on = git(demo.upstream, "rev-parse", "v3.11.3")
    assert commit_on
    res = demo.run("rebase", "3.11", "--onto", "3.12", "--on-conflict", "skip", "--json")
    assert res.code == 0, res.text
    umap = load_map(demo)
    assert umap["tracks"]["3.11"]["base"] == "3.12"
    assert umap["tracks"]["3.11"]["last_rebase"]["from"] == "v3.11.3"
    new_text = (demo.patches / "upstream_map.toml").read_text()
    assert new_text.count("[tracks.\"3.11\".last_rebase]") == 1
    assert text.count("[patches.Public-pymain_run_python.tracks.\"3.11\"]") == \
        new_text.count("[patches.Public-pymain_run_python.tracks.\"3.11\"]") == 1
    assert refs_snapshot(demo.upstream)


def test_full_disk_while_writing_the_series(demo, monkeypatch):
    """ENOSPC in the middle of writing the series: one clear line; --abort puts everything
    back, and after freeing space --continue finishes."""
    import errno

    import patchq.files

    before = demo.snapshot()
    spare = demo.copy(demo.root.parent / "spare")
    real = patchq.files.atomic_write
    calls = {"n": 0}

    def full(path, data):
        calls["n"] += 1
        if "series" in str(path) and calls["n"] > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data)

    for repos in (demo, spare):
        calls["n"] = 0
        monkeypatch.setattr(patchq.files, "atomic_write", full)
        res = repos.run("rebase", "3.11", "--onto", "v3.11.3")
        monkeypatch.setattr(patchq.files, "atomic_write", real)
        assert res.code == 1, res.text
        assert "No space left on device" in res.err and "--continue" in res.err
        assert len(res.err.strip().splitlines()) == 1
    assert demo.run("rebase", "--abort").code == 0
    assert demo.snapshot() == before
    res = spare.run("rebase", "--continue", "--json")
    assert res.code == 0, res.text
    assert outcomes(json.loads(res.out)) == demo.expected


def test_range_diff_is_not_run_when_every_patch_is_unchanged():
    from patchq.commands.rebase_record import all_unchanged as _all_unchanged
    from patchq.model import Outcome
    from patchq.rebase_result import PatchResult

    same = [PatchResult("a", Outcome.UNCHANGED, ""), PatchResult("b", Outcome.UNCHANGED, "")]
    assert _all_unchanged(same)
    assert not _all_unchanged([*same, PatchResult("c", Outcome.OFFSET, "")])
    assert not _all_unchanged([*same, PatchResult("d", Outcome.UPSTREAM, "")])


@pytest.mark.parametrize("among_values", [False, True])
def test_a_rebase_keeps_people_s_comments_in_the_map(demo_template, tmp_path, monkeypatch,
                                                     among_values):
    """Comments between tables are copied as they are (the map is written section by
    section); one among the values of a table the rebase changes sends the write through
    tomlkit. Either way the data is what a map without comments gets."""
    monkeypatch.setenv("PATCHQ_NOW", NOW)
    plain, commented = (demo_template.copy(tmp_path / name) for name in ("plain", "commented"))
    path = commented.patches / "upstream_map.toml"
    text = path.read_text()
    notes = ["# written by people, at the top", "# the 3.11 line: Pyodide 0.23"]
    text = notes[0] + "\n" + text.replace('[tracks."3.11"]', notes[1] + '\n[tracks."3.11"]')
    if among_values:
        notes.append("# among the values")
        text = text.replace("\ncarried = true\n", "\n" + notes[-1] + "\ncarried = true\n", 1)
    assert all(note in text for note in notes)
    path.write_text(text)
    for repos in (plain, commented):
        res = repos.run("rebase", "3.11", "--onto", "v3.11.3", "--json")
        assert res.code == 0, res.text
    after = path.read_text()
    assert all(note in after for note in notes)
    assert load_map(commented) == load_map(plain)
