"""checkout and export: the round trip changes nothing, and an edit changes only what it must."""

from __future__ import annotations

import os
import subprocess

import pytest
from helpers import commit, git, patchq, refs_snapshot, tree_snapshot
from spine_data import EDGE_COMMITS, build_sources, fresh

from patchq.upstream_map import UpstreamMap

KINDS = ("format-patch", "quilt", "mbox", "range")


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    return build_sources(tmp_path_factory.mktemp("sources"))


def source_arg(sources, kind: str) -> str:
    return {"format-patch": str(sources.format_patch), "quilt": str(sources.quilt),
            "mbox": str(sources.mbox), "range": "v1..downstream"}[kind]


def imported(sources, tmp_path, kind: str = "format-patch", track: str = "3.11"):
    """A patch repo with ``kind`` imported as ``track`` on v1, committed: (upstream, repo)."""
    upstream, repo = fresh(sources, tmp_path)
    assert patchq("-C", str(repo), "init", "--upstream", "../cpython").code == 0
    res = patchq("-C", str(repo), "import", source_arg(sources, kind), "--track", track,
                 "--base", "v1")
    assert res.code == 0, res.text
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "import")
    return upstream, repo


def run_ok(repo, *args):
    res = patchq("-C", str(repo), *args)
    assert res.code == 0, res.text
    return res


def changed_files(repo) -> list[str]:
    """What changed in the patch repo since its last commit (status lines)."""
    git(repo, "add", "-A")
    out = git(repo, "status", "--porcelain")
    return sorted(out.splitlines())


def queue_commit(upstream, slug, branch="patchq/3.11") -> str:
    return git(upstream, "log", "--format=%H", f"--grep=^Patchq-Slug: {slug}$", branch)


def rewrite(upstream, slug, files=None, message=None, branch="patchq/3.11"):
    """Edit one commit of the queue like a user would: git rebase -i, edit, amend, continue."""
    sha = queue_commit(upstream, slug, branch)
    assert sha, f"no commit for {slug}"
    env = dict(os.environ, GIT_SEQUENCE_EDITOR=f"sed -i 's/^pick {sha[:7]}/edit {sha[:7]}/'",
               GIT_EDITOR="true")

    def run(*args):
        subprocess.run(["git", *args], cwd=upstream, env=env, check=True, capture_output=True)

    run("rebase", "-i", "v1")
    if files:
        commit_files = {k: v for k, v in files.items()}
        from helpers import write

        write(upstream, commit_files)
        run("add", "-A")
    if message is not None:
        run("commit", "-q", "--amend", "-m", message)
    else:
        run("commit", "-q", "--amend", "--no-edit")
    run("rebase", "--continue")


# -- the round trip ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_checkout_then_export_changes_no_file(sources, tmp_path, kind):
    upstream, repo = imported(sources, tmp_path, kind)
    before = tree_snapshot(repo)
    res = run_ok(repo, "checkout", "3.11")
    count = 3 if kind == "quilt" else EDGE_COMMITS
    assert f"patchq/3.11: built, {count} patches on v1" in res.out
    assert git(upstream, "symbolic-ref", "--short", "HEAD") == "patchq/3.11"
    if kind != "quilt":  # the queue is exactly the downstream branch's content
        assert git(upstream, "rev-parse", "patchq/3.11^{tree}") == \
            git(upstream, "rev-parse", "downstream^{tree}")
    res = run_ok(repo, "export", "3.11")
    assert "nothing to write" in res.out
    assert tree_snapshot(repo) == before
    # without the cache of which commit came from which file, still nothing changes
    os.unlink(upstream / ".git" / "patchq" / "queue-3.11.json")
    run_ok(repo, "export", "3.11")
    assert tree_snapshot(repo) == before
    assert run_ok(repo, "lint", "3.11", "--check-export").out.strip() == "no problems found"


def test_every_queue_commit_carries_its_slug_and_author(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path)
    run_ok(repo, "checkout", "3.11")
    log = git(upstream, "log", "--reverse", "--format=%an|%ae|%ad|%B%x00", "--date=iso-strict",
              "v1..patchq/3.11").split("\x00")
    first = log[0]
    assert first.startswith("Ben Wasmer|ben@pyodide.invalid|2023-02-21T11:30:00+00:00|"
                            "Make the standard streams configurable for an embedder\n\n"
                            "A browser has no file descriptors 0, 1 and 2 of its own.\n\n"
                            "Patchq-Slug: Make-the-standard-streams-configurable-for-an-embedd")
    assert "François Lefèvre|" in log[6]


def test_checkout_is_deterministic_and_idempotent(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path)
    run_ok(repo, "checkout", "3.11")
    tip = git(upstream, "rev-parse", "patchq/3.11")
    res = run_ok(repo, "checkout", "3.11")
    assert "already up to date" in res.out
    assert git(upstream, "rev-parse", "patchq/3.11") == tip
    other = tmp_path / "again"
    other.mkdir()
    _, repo2 = imported(sources, other)
    run_ok(repo2, "checkout", "3.11")
    assert git(other / "cpython", "rev-parse", "patchq/3.11") == tip


def test_checkout_other_branch_name_and_dry_run_export(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path)
    run_ok(repo, "checkout", "3.11", "--branch", "wasm/queue")
    assert git(upstream, "symbolic-ref", "--short", "HEAD") == "wasm/queue"
    rewrite(upstream, "Update-the-logo-a-binary-file", message="Update the logo",
            branch="wasm/queue")
    before = tree_snapshot(repo)
    res = run_ok(repo, "export", "3.11", "--branch", "wasm/queue", "--dry-run")
    assert "would write 1 files" in res.out and "0006-Update-the-logo-a-binary-file.patch" in res.out
    assert tree_snapshot(repo) == before


# -- edits in the queue -------------------------------------------------------------------------


def test_a_new_message_rewrites_only_that_file_and_keeps_extra_headers(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path)
    run_ok(repo, "checkout", "3.11")
    slug = "Make-the-standard-streams-configurable-for-an-embedd"
    rewrite(upstream, slug, message=f"Let an embedder choose the standard streams\n\n"
                                    f"Pyodide needs it.\n\nPatchq-Slug: {slug}\n")
    name = f"0001-{slug}.patch"
    old = (sources.format_patch / name).read_bytes()
    res = run_ok(repo, "export", "3.11")
    assert "7 unchanged, 1 changed" in res.out
    assert changed_files(repo) == [f"M  series/3.11/{name}"]
    new = (repo / "series" / "3.11" / name).read_bytes()
    assert b"X-Pyodide-Reviewed-By: Ada\n" in new
    assert b"Subject: Let an embedder choose the standard streams\n" in new
    assert b"\n\nPyodide needs it.\n---\n" in new
    assert new[new.index(b"\n---\n"):] == old[old.index(b"\n---\n"):]  # the diff part is kept
    assert run_ok(repo, "lint", "3.11", "--check-export").out.strip() == "no problems found"


def test_a_new_diff_rewrites_only_that_file_and_keeps_dep3_fields(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path, "quilt")
    run_ok(repo, "checkout", "3.11")
    lines = (upstream / "Python" / "pylifecycle.c").read_text()
    rewrite(upstream, "embedder-streams",
            {"Python/pylifecycle.c": lines.replace("line 7\n", "line 7 (and more)\n")})
    queue_tree = git(upstream, "rev-parse", "patchq/3.11^{tree}")
    res = run_ok(repo, "export", "3.11")
    assert "2 unchanged, 1 changed" in res.out
    assert changed_files(repo) == ["M  series/3.11/embedder-streams.diff"]
    new = (repo / "series" / "3.11" / "embedder-streams.diff").read_bytes()
    old_header = sources.quilt.joinpath("embedder-streams.diff").read_bytes().split(b"\n\n")[0]
    assert new.startswith(old_header + b"\n\n---\n Python/pylifecycle.c | 4 ++--\n")
    assert b"+pylifecycle line 7 (and more)\n" in new
    # the exported series builds the same tree as the edited queue
    git(repo, "commit", "-q", "-am", "export")
    run_ok(repo, "checkout", "3.11")
    assert git(upstream, "rev-parse", "patchq/3.11^{tree}") == queue_tree
    assert run_ok(repo, "export", "3.11").out.startswith("series/3.11: nothing to write")


def test_a_reworded_dep3_patch_keeps_its_diff_and_fields(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path, "quilt")
    run_ok(repo, "checkout", "3.11")
    rewrite(upstream, "setup-p0", message="Skip the modules wasm cannot build\n\n"
                                          "Patchq-Slug: setup-p0\n")
    run_ok(repo, "export", "3.11")
    assert changed_files(repo) == ["M  series/3.11/setup-p0.diff"]
    new = (repo / "series" / "3.11" / "setup-p0.diff").read_bytes()
    old = sources.quilt.joinpath("setup-p0.diff").read_bytes()
    assert new == old.replace(b"Skip modules a WebAssembly target cannot build",
                              b"Skip the modules wasm cannot build")


def test_a_p0_patch_with_a_new_diff_becomes_p1_in_the_series(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path, "quilt")
    run_ok(repo, "checkout", "3.11")
    text = (upstream / "Modules" / "Setup.stdlib.in").read_text()
    rewrite(upstream, "setup-p0", {"Modules/Setup.stdlib.in": text + "# and more\n"})
    run_ok(repo, "export", "3.11")
    assert changed_files(repo) == ["M  series/3.11/series", "M  series/3.11/setup-p0.diff"]
    series = (repo / "series" / "3.11" / "series").read_text()
    assert series == sources.quilt.joinpath("series").read_text().replace(
        "setup-p0.diff -p0\n", "setup-p0.diff\n")
    assert b"Forwarded: not-needed\n" in (repo / "series" / "3.11" / "setup-p0.diff").read_bytes()
    git(repo, "commit", "-q", "-am", "export")
    assert run_ok(repo, "lint", "3.11", "--check-export").out.strip() == "no problems found"


@pytest.mark.parametrize("slug, files", [
    ("Update-the-logo-a-binary-file", {"Doc/logo.png": b"\x89PNG\x00\x00\x07\x08\xff"}),
    ("Change-a-batch-file-with-CRLF-lines", {"PC/build.bat": b"@echo off\r\nset A=7\r\n"
                                                             b"set B=3\r\n"}),
    ("Change-a-file-that-has-no-final-newline", {"Misc/nonl.txt": b"changed, no newline"}),
    ("Thank-Fran-ois-in-a-Latin-1-file", {"Misc/ACKS.latin1": b"Jos\xe9\nFran\xe7ois\nR\xe9mi\n"}),
    ("Rename-old_name-to-new_name", {"Lib/new_name.py": "renamed and changed\n"}),
    ("Replace-obsolete.py-by-_emscripten_info.py",
     {"Lib/_emscripten_info.py": "platform = 'wasi'\n"}),
])
def test_edited_edge_cases_export_to_files_that_rebuild_the_queue(sources, tmp_path, slug, files):
    upstream, repo = imported(sources, tmp_path)
    run_ok(repo, "checkout", "3.11")
    rewrite(upstream, slug, files)
    queue_tree = git(upstream, "rev-parse", "patchq/3.11^{tree}")
    run_ok(repo, "export", "3.11")
    changed = changed_files(repo)
    assert len(changed) == 1 and changed[0].startswith("M  series/3.11/") and slug in changed[0]
    git(repo, "commit", "-q", "-am", "export")
    run_ok(repo, "checkout", "3.11")
    assert git(upstream, "rev-parse", "patchq/3.11^{tree}") == queue_tree
    assert tree_snapshot(repo) == tree_snapshot(repo)  # nothing written by checkout
    assert run_ok(repo, "export", "3.11").out.startswith("series/3.11: nothing to write")


def test_added_dropped_and_renamed_patches_follow_into_series_and_map(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path)
    umap = UpstreamMap.load(repo / "upstream_map.toml")
    umap.ensure_patch("Rename-old_name-to-new_name")["reason"] = "people wrote this"
    umap.save()
    git(repo, "commit", "-q", "-am", "a reason")
    run_ok(repo, "checkout", "3.11")
    # add a commit on top (no trailer), drop the logo commit, rename one through its trailer
    commit(upstream, {"README.rst": "This is Python in a browser\n"},
           "Say where this Python runs")
    logo = queue_commit(upstream, "Update-the-logo-a-binary-file")
    git(upstream, "rebase", "-q", "--onto", f"{logo}^", logo)
    rewrite(upstream, "Rename-old_name-to-new_name",
            message="Rename old_name to new_name\n\nPatchq-Slug: rename-old-name\n")
    res = run_ok(repo, "export", "3.11")
    assert "1 added, 1 removed, 1 renamed" in res.out
    assert changed_files(repo) == [
        "A  series/3.11/0009-Say-where-this-Python-runs.patch",
        "D  series/3.11/0006-Update-the-logo-a-binary-file.patch",
        "M  series/3.11/series",
        "M  upstream_map.toml",
        ("R  series/3.11/0004-Rename-old_name-to-new_name.patch -> "
        "series/3.11/0004-rename-old-name.patch"),
    ]
    series = (repo / "series" / "3.11" / "series").read_text().split()
    assert "0004-rename-old-name.patch" in series and series[-1] == \
        "0009-Say-where-this-Python-runs.patch"
    assert "0006-Update-the-logo-a-binary-file.patch" not in series
    umap = UpstreamMap.load(repo / "upstream_map.toml")
    assert umap.patch("rename-old-name")["reason"] == "people wrote this"
    assert umap.patch("Rename-old_name-to-new_name") == {}
    assert umap.patch("Say-where-this-Python-runs")["tracks"]["3.11"]["carried"] is True
    assert umap.patch("Update-the-logo-a-binary-file")["tracks"]["3.11"]["carried"] is False
    git(repo, "commit", "-q", "-am", "export")
    assert run_ok(repo, "lint", "3.11", "--check-export").out.strip() == "no problems found"


def test_reordered_patches_only_change_the_series_file(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path, "quilt")
    run_ok(repo, "checkout", "3.11")
    # swap the last two (independent) patches
    subprocess.run(["git", "rebase", "-q", "-i", "v1"], cwd=upstream, check=True,
                   env=dict(os.environ, GIT_SEQUENCE_EDITOR="sed -i '2{h;d};3G'"))
    run_ok(repo, "export", "3.11")
    assert changed_files(repo) == ["M  series/3.11/series"]
    series = (repo / "series" / "3.11" / "series").read_text()
    assert series.splitlines()[0] == "# Debian-style series: comments, -p0, a disabled patch"
    assert [ln.split()[0] for ln in series.splitlines() if ln and not ln.startswith("#")] == \
        ["embedder-streams.diff", "subprocess-plain.diff", "setup-p0.diff"]
    assert "setup-p0.diff -p0" in series


# -- what checkout refuses ----------------------------------------------------------------------


def test_a_patch_that_does_not_apply_stops_checkout_naming_it(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path, "quilt")
    patch = repo / "series" / "3.11" / "subprocess-plain.diff"
    # a removed line that is not there: neither git nor GNU patch's fuzz can place it
    patch.write_bytes(patch.read_bytes().replace(b"-set A=1", b"-set A=7"))
    refs = refs_snapshot(upstream)
    res = patchq("-C", str(repo), "checkout", "3.11")
    assert res.code == 1
    assert res.err.startswith("patchq: error: patch subprocess-plain does not apply on v1: ")
    assert "PC/build.bat" in res.err and len(res.err.strip().splitlines()) == 1
    assert "--partial" in res.err
    assert refs_snapshot(upstream) == refs


def test_checkout_refuses_a_dirty_work_tree(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path)
    (upstream / "README.rst").write_text("local change\n")
    refs = refs_snapshot(upstream)
    res = patchq("-C", str(repo), "checkout", "3.11")
    assert res.code == 1 and "uncommitted changes (README.rst)" in res.err
    assert refs_snapshot(upstream) == refs
    assert (upstream / "README.rst").read_text() == "local change\n"


def test_checkout_refuses_to_drop_unexported_commits_unless_forced(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path)
    run_ok(repo, "checkout", "3.11")
    commit(upstream, {"README.rst": "work in progress\n"}, "Work in progress")
    refs = refs_snapshot(upstream)
    res = patchq("-C", str(repo), "checkout", "3.11")
    assert res.code == 1 and "never exported" in res.err and "--force" in res.err
    assert refs_snapshot(upstream) == refs
    run_ok(repo, "checkout", "3.11", "--force")
    assert "Work in progress" not in git(upstream, "log", "--format=%s", "-1", "patchq/3.11")


def test_checkout_after_export_of_new_commits_is_allowed(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path)
    run_ok(repo, "checkout", "3.11")
    commit(upstream, {"README.rst": "more\n"}, "One more patch")
    run_ok(repo, "export", "3.11")
    res = run_ok(repo, "checkout", "3.11")
    assert f"{EDGE_COMMITS + 1} patches" in res.out
    assert git(upstream, "rev-parse", "patchq/3.11^{tree}") == \
        git(upstream, "rev-parse", "HEAD^{tree}")


def test_checkout_from_another_branch_leaves_it_alone(sources, tmp_path):
    upstream, repo = imported(sources, tmp_path)
    main = git(upstream, "rev-parse", "main")
    downstream = git(upstream, "rev-parse", "downstream")
    res = run_ok(repo, "checkout", "3.11")
    assert "switched from main" in res.out
    assert git(upstream, "rev-parse", "main") == main
    assert git(upstream, "rev-parse", "downstream") == downstream


def test_checkout_reuses_the_build_import_made_and_rebuilds_when_objects_are_gone(sources,
                                                                                 tmp_path):
    import json

    upstream, repo = imported(sources, tmp_path)
    builds = json.loads((upstream / ".git" / "patchq" / "builds.json").read_text())
    (entry,) = builds.values()
    remembered_tip = entry["applied"][-1][1]
    run_ok(repo, "checkout", "3.11")
    assert git(upstream, "rev-parse", "patchq/3.11") == remembered_tip
    # lose one commit of the queue (as git gc might, had it been unreachable): rebuild, same ids
    git(upstream, "checkout", "-q", "main")
    git(upstream, "branch", "-D", "patchq/3.11")
    middle = entry["applied"][3][1]
    obj = upstream / ".git" / "objects" / middle[:2] / middle[2:]
    assert obj.is_file()
    obj.unlink()
    res = run_ok(repo, "checkout", "3.11")
    assert "built, 8 patches" in res.out
    assert git(upstream, "rev-parse", "patchq/3.11") == remembered_tip
    assert obj.is_file()


@pytest.mark.parametrize("kind", KINDS)
def test_in_process_apply_gives_the_commits_git_apply_gives(sources, tmp_path, kind, monkeypatch):
    from patchq import queue
    from patchq.workspace import Workspace

    upstream, repo = imported(sources, tmp_path, kind)
    ws = Workspace.locate(repo)
    loaded = queue.load_series(ws.series_dir("3.11"), "3.11")
    base = git(upstream, "rev-parse", "v1")
    fast = queue.build(ws.git, base, loaded.patches)
    used = []
    real = queue.fast_tree
    monkeypatch.setattr(queue, "fast_tree",
                        lambda *a: used.append(real(*a) is not None))
    slow = queue.build(ws.git, base, loaded.patches)  # every patch through git apply
    assert [a.commit for a in fast.applied] == [a.commit for a in slow.applied]
    assert [a.how for a in fast.applied] == [a.how for a in slow.applied]
    assert any(used) and not all(used)  # both paths were taken (binary, rename: git)
