"""`patchq lint`: every kind of problem, one line each, exit 1; clean tracks exit 0."""

from __future__ import annotations

import json

import pytest
from helpers import commit, git, patchq
from spine_data import build_sources, imported

from patchq.upstream_map import UpstreamMap


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    return build_sources(tmp_path_factory.mktemp("sources"))


@pytest.fixture
def repo(sources, tmp_path):
    """The quilt sample imported as track 3.11 on v1."""
    _, repo = imported(sources, tmp_path)
    return repo


def lint(repo, *args):
    res = patchq("-C", str(repo), "lint", *args)
    lines = res.out.strip().splitlines()
    return res.code, lines


def series_dir(repo):
    return repo / "series" / "3.11"


def test_a_clean_track(repo):
    assert lint(repo) == (0, ["no problems found"])
    assert lint(repo, "3.11", "--check-export") == (0, ["no problems found"])
    res = patchq("-C", str(repo), "lint", "--json")
    assert res.code == 0 and json.loads(res.out) == {"schema": "patchq-lint/1", "problems": []}


def test_missing_unlisted_and_unparsable_files(repo):
    d = series_dir(repo)
    (d / "setup-p0.diff").unlink()
    (d / "stray.patch").write_text("not listed\n")
    (d / "subprocess-plain.diff").write_bytes(b"Description: x\n\n--- a/x\n+++ b/x\n"
                                              b"@@ -1,9 +1,9 @@\n-a\n+b\n")
    code, lines = lint(repo, "--no-apply")
    assert code == 1
    assert lines == [
        ("3.11/setup-p0: series names setup-p0.diff, which does not exist in "
        f"{d} [missing-file]"),
        ("3.11/subprocess-plain: subprocess-plain.diff: the diff does not parse "
        "(Hunk is shorter than expected) [parse]"),
        "3.11: stray.patch is not in the series file [unlisted]",
        ("3.11/setup-p0: upstream_map.toml says setup-p0 is carried, but the series does not "
        "list it [map-stale]"),
        ("3.11/subprocess-plain: upstream_map.toml says subprocess-plain is carried, but the "
        "series does not list it [map-stale]"),
    ]


def test_duplicate_slugs_and_empty_patches(repo):
    d = series_dir(repo)
    (d / "0001-setup-p0.diff").write_bytes((d / "setup-p0.diff").read_bytes())
    (d / "empty.patch").write_text("Description: to be written\n")
    with (d / "series").open("a") as out:
        out.write("0001-setup-p0.diff -p0\nempty.patch\n")
    code, lines = lint(repo, "--no-apply")
    assert code == 1
    assert "3.11/setup-p0: 0001-setup-p0.diff and setup-p0.diff share one slug [duplicate-slug]" \
        in lines
    assert "3.11/empty: empty.patch has no diff [empty]" in lines
    assert "3.11/empty: upstream_map.toml has no record of empty on this track [map-missing]" \
        in lines


def test_a_series_line_escaping_the_directory(repo):
    with (series_dir(repo) / "series").open("a") as out:
        out.write("../../outside.patch\n")
    code, lines = lint(repo, "--no-apply")
    assert code == 1
    assert lines == [("3.11: patch name '../../outside.patch' escapes the series directory "
                     "[bad-series]")]


def test_map_records_that_do_not_match(repo):
    umap = UpstreamMap.load(repo / "upstream_map.toml")
    umap.remove_patch_track("setup-p0", "3.11")
    umap.patch_track("ghost", "3.11")["carried"] = True
    umap.save()
    code, lines = lint(repo, "--no-apply")
    assert code == 1
    assert sorted(lines) == [
        ("3.11/ghost: upstream_map.toml says ghost is carried, but the series does not list it "
        "[map-stale]"),
        "3.11/setup-p0: upstream_map.toml has no record of setup-p0 on this track [map-missing]",
    ]


def test_patches_that_do_not_apply_name_their_hunks(repo):
    upstream = repo.parent / "cpython"
    commit(upstream, {"Modules/Setup.stdlib.in": "rewritten\n"}, "Upstream rewrote it")
    umap = UpstreamMap.load(repo / "upstream_map.toml")
    table = umap.track_table("3.11")
    table["base"], table["base_commit"] = "main", git(upstream, "rev-parse", "main")
    umap.save()
    code, lines = lint(repo)
    assert code == 1
    assert lines == [("3.11/setup-p0: does not apply on main: patch failed: "
                     "Modules/Setup.stdlib.in:9; Modules/Setup.stdlib.in: patch does not apply "
                     "[does-not-apply]")]


def test_check_export_catches_unexported_queue_commits(repo):
    upstream = repo.parent / "cpython"
    assert patchq("-C", str(repo), "checkout", "3.11").code == 0
    commit(upstream, {"README.rst": "changed in the queue\n"}, "Not exported yet")
    code, lines = lint(repo, "--check-export")
    assert code == 1
    assert lines == [
        ("3.11: export of queue branch patchq/3.11 would create "
        "series/3.11/Not-exported-yet.patch [export-would-change]"),
        ("3.11: export of queue branch patchq/3.11 would write series/3.11/series "
        "[export-would-change]"),
        ("3.11: export of queue branch patchq/3.11 would write upstream_map.toml "
        "[export-would-change]"),
    ]
    assert lint(repo) == (0, ["no problems found"])  # without --check-export: the files are fine


def test_check_export_without_a_queue_branch_flags_a_stale_patch(sources, repo):
    # upstream changed a context line: the patch applies only with the 3-way fallback, so
    # the file is out of date and export would refresh it
    upstream = repo.parent / "cpython"
    text = (upstream / "Python" / "pylifecycle.c").read_text()
    commit(upstream, {"Python/pylifecycle.c": text.replace("line 8\n", "line 8 (moved)\n")},
           "Upstream touched the context")
    res = patchq("-C", str(repo), "import", str(sources.format_patch), "--track", "wasm",
                 "--base", "main")
    assert res.code == 0, res.text
    assert "all 8 apply" in res.out
    code, lines = lint(repo, "wasm", "--check-export")
    assert (code, lines) == (1, [
        ("wasm: export of the series applied on its base would write "
        "series/wasm/0001-Make-the-standard-streams-configurable-for-an-embedd.patch "
        "[export-would-change]")])
    assert lint(repo, "wasm") == (0, ["no problems found"])


def test_directories_without_a_track_and_unknown_tracks(repo):
    (repo / "series" / "3.12").mkdir()
    code, lines = lint(repo, "--no-apply")
    assert (code, lines) == (1, ["3.12: series/3.12 has no track in upstream_map.toml [no-track]"])
    code, lines = lint(repo, "9.9", "--no-apply")
    assert code == 1 and lines == ["9.9: unknown track '9.9' (known: 3.11) [no-track]"]


def test_json_output(repo):
    (series_dir(repo) / "stray.patch").write_text("x\n")
    res = patchq("-C", str(repo), "lint", "--json", "--no-apply")
    assert res.code == 1
    assert json.loads(res.out) == {"schema": "patchq-lint/1", "problems": [
        {"track": "3.11", "slug": "", "code": "unlisted",
         "message": "stray.patch is not in the series file", "severity": "error"}]}


def test_no_upstream_clone_is_one_error_line(repo):
    import shutil

    shutil.rmtree(repo.parent / "cpython")
    res = patchq("-C", str(repo), "lint")
    assert res.code == 1 and res.out == ""
    assert res.err.count("\n") == 1
    assert res.err.startswith("patchq: error: upstream clone ")
    assert "--no-apply" in res.err
    assert lint(repo, "--no-apply") == (0, ["no problems found"])
