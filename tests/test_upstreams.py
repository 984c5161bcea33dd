"""Several upstreams in one patch repo: CPython-like [upstream] plus [upstreams.emsdk], each
track in its own upstream's clone (queue branches, store, rebase, stack verbs, sync's repo)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomlkit
from fake_github import fake_github_fixture  # noqa: F401
from helpers import commit, format_patch, git, make_upstream, numbered_lines, patch_repo, patchq

EMSDK_FILES = {"emsdk.py": numbered_lines("emsdk"), "tools/shared.py": numbered_lines("shared")}


def _series(repo: Path, base: str, changes: list[tuple[dict, str]], out: Path) -> list[Path]:
    git(repo, "checkout", "-q", "-b", "work", base)
    for files, message in changes:
        commit(repo, files, message)
    patches = format_patch(repo, f"{base}..work", out)
    git(repo, "checkout", "-q", "main")
    git(repo, "branch", "-q", "-D", "work")
    return patches


@pytest.fixture
def two(tmp_path):
    """A patch repo with track 3.11 on the default upstream (cpython) and track emsdk-3.1 on
    upstream emsdk: (patch repo, cpython clone, emsdk clone)."""
    cpython = make_upstream(tmp_path / "cpython")
    _series(cpython, "v1.0", [({"Lib/platform.py": numbered_lines("platform").replace(
        "platform line 3\n", "platform line 3 (browser)\n")}, "Platform for the browser")],
        tmp_path / "cp-patches")
    emsdk = make_upstream(tmp_path / "emsdk", EMSDK_FILES, tag="3.1.0")
    _series(emsdk, "3.1.0", [
        ({"emsdk.py": EMSDK_FILES["emsdk.py"].replace("emsdk line 2\n", "emsdk line 2 (pyodide)\n")},
         "Pin the node version"),
        ({"tools/shared.py": EMSDK_FILES["tools/shared.py"].replace(
            "shared line 20\n", "shared line 20 (pyodide)\n")}, "Quiet the cache warning")],
        tmp_path / "em-patches")
    repo = patch_repo(tmp_path, cpython)
    text = (repo / "upstream_map.toml").read_text()
    (repo / "upstream_map.toml").write_text(text + "# people's comment at the end\n")
    return repo, cpython, emsdk


def run(repo: Path, *args: str, code: int = 0, cwd: Path | None = None):
    res = patchq("-C", str(repo), *args, cwd=cwd)
    assert res.code == code, res.text
    return res


def load(repo: Path) -> dict:
    return tomlkit.parse((repo / "upstream_map.toml").read_text()).unwrap()


def setup_both(repo: Path, tmp: Path) -> None:
    run(repo, "upstream", "add", "emsdk", str(tmp / "emsdk"), "--github", "emscripten-core/emsdk")
    run(repo, "import", str(tmp / "cp-patches"), "--track", "3.11", "--base", "v1.0")
    run(repo, "import", str(tmp / "em-patches"), "--track", "emsdk-3.1", "--base", "3.1.0",
        "--follows", "main", "--upstream", "emsdk")


def test_upstream_add_writes_one_table_and_keeps_the_rest(two, tmp_path):
    repo, _, emsdk = two
    before = (repo / "upstream_map.toml").read_text()
    res = run(repo, "upstream", "add", "emsdk", str(emsdk), "--github", "emscripten-core/emsdk")
    assert "added upstream emsdk" in res.out
    after = (repo / "upstream_map.toml").read_text()
    assert after.startswith(before)  # comments and tables as they were, the new one appended
    assert load(repo)["upstreams"] == {"emsdk": {"path": "../emsdk",
                                                 "github": "emscripten-core/emsdk"}}
    listed = json.loads(run(repo, "upstream", "list", "--json").out)
    assert listed["schema"] == "patchq-upstream-list/1"
    assert [(u["name"], u["default"], u["github"]) for u in listed["upstreams"]] == [
        ("default", True, ""), ("emsdk", False, "emscripten-core/emsdk")]
    assert listed["upstreams"][1]["clone"] == str(emsdk.resolve())
    text = run(repo, "upstream", "list").out
    assert "emsdk" in text and "../emsdk" in text and "emscripten-core/emsdk" in text


@pytest.mark.parametrize("name, hint", [("default", "not usable"), ("x..y", "not usable"),
                                        ("a/b", "not usable"), ("emsdk2", None)])
def test_upstream_add_refuses_bad_names_and_non_clones(two, tmp_path, name, hint):
    repo, _, emsdk = two
    before = (repo / "upstream_map.toml").read_bytes()
    target = emsdk if hint else tmp_path / "cp-patches"  # a directory that is no clone
    res = run(repo, "upstream", "add", name, str(target), code=1)
    assert (hint or "git") in res.text
    assert (repo / "upstream_map.toml").read_bytes() == before


def test_upstream_add_refuses_a_name_twice(two):
    repo, _, emsdk = two
    run(repo, "upstream", "add", "emsdk", str(emsdk))
    before = (repo / "upstream_map.toml").read_bytes()
    res = run(repo, "upstream", "add", "emsdk", str(emsdk), code=1)
    assert "already has an upstream 'emsdk'" in res.text
    assert (repo / "upstream_map.toml").read_bytes() == before


def test_import_on_an_unknown_upstream_writes_nothing(two, tmp_path):
    repo = two[0]
    before = (repo / "upstream_map.toml").read_bytes()
    res = run(repo, "import", str(tmp_path / "em-patches"), "--track", "emsdk-3.1", "--base",
              "3.1.0", "--upstream", "nope", code=1)
    assert "unknown upstream 'nope'" in res.text
    assert (repo / "upstream_map.toml").read_bytes() == before
    assert not (repo / "series" / "emsdk-3.1").exists()


def test_each_track_is_built_checked_and_exported_in_its_own_clone(two, tmp_path):
    repo, cpython, emsdk = two
    setup_both(repo, tmp_path)
    data = load(repo)
    assert data["tracks"]["emsdk-3.1"]["upstream"] == "emsdk"
    assert "upstream" not in data["tracks"]["3.11"]
    assert data["tracks"]["emsdk-3.1"]["base_commit"] == git(emsdk, "rev-parse", "3.1.0")
    run(repo, "checkout", "3.11")
    run(repo, "checkout", "emsdk-3.1")
    assert git(cpython, "branch", "--list", "patchq/*").split() == ["*", "patchq/3.11"]
    assert git(emsdk, "branch", "--list", "patchq/*").split() == ["*", "patchq/emsdk-3.1"]
    assert git(emsdk, "log", "--format=%s", "3.1.0..patchq/emsdk-3.1").splitlines() == [
        "Quiet the cache warning", "Pin the node version"]
    assert (emsdk / ".git" / "patchq").is_dir()
    before = {p: p.read_bytes() for p in (repo / "series").rglob("*") if p.is_file()}
    run(repo, "export", "emsdk-3.1")
    run(repo, "export", "3.11")
    assert {p: p.read_bytes() for p in (repo / "series").rglob("*") if p.is_file()} == before
    assert run(repo, "lint", "--check-export").code == 0
    status = json.loads(run(repo, "status", "--json").out)
    assert {t["track"] for t in status["tracks"]} == {"3.11", "emsdk-3.1"}
    listed = json.loads(run(repo, "list", "--json").out)["patches"]
    assert {p["track"] for p in listed} == {"3.11", "emsdk-3.1"}


def test_rebase_and_stack_verbs_work_in_the_tracks_clone(two, tmp_path):
    repo, cpython, emsdk = two
    setup_both(repo, tmp_path)
    new = commit(emsdk, {"README.md": "emsdk 3.1.1\n"}, "Release 3.1.1")  # on main
    run(repo, "checkout", "emsdk-3.1")
    cp_refs = git(cpython, "show-ref")
    result = json.loads(run(repo, "rebase", "emsdk-3.1", "--json").out)
    assert [p["outcome"] for p in result["patches"]] == ["unchanged", "unchanged"]
    assert load(repo)["tracks"]["emsdk-3.1"]["base_commit"] == new
    assert git(emsdk, "merge-base", "patchq/emsdk-3.1", "main") == new
    assert git(cpython, "show-ref") == cp_refs  # the other upstream's clone is untouched
    # without --track: the track whose queue branch is checked out, in the clone we are in
    run(repo, "checkout", "3.11")
    res = run(repo, "pop", cwd=emsdk)
    assert "Quiet-the-cache-warning" in res.text
    assert git(emsdk, "log", "-1", "--format=%s", "HEAD") == "Pin the node version"
    res = run(repo, "pop", "--track", "3.11")
    assert git(cpython, "rev-parse", "HEAD") == git(cpython, "rev-parse", "v1.0")
    res = run(repo, "pop", code=1, cwd=tmp_path)  # two clones on queue branches: which one?
    assert "several upstream clones" in res.text
    run(repo, "push", "--track", "emsdk-3.1")
    assert git(emsdk, "log", "-1", "--format=%s", "HEAD") == "Quiet the cache warning"


def test_port_refuses_tracks_of_two_upstreams(two, tmp_path):
    repo = two[0]
    setup_both(repo, tmp_path)
    res = run(repo, "port", "Pin-the-node-version", "--from", "emsdk-3.1", "--to", "3.11",
              code=1)
    assert "different upstreams" in res.text


def test_upstream_dir_overrides_the_default_upstream_only(two, tmp_path):
    repo, cpython, emsdk = two
    setup_both(repo, tmp_path)
    moved = tmp_path / "elsewhere"
    git(tmp_path, "clone", "-q", str(cpython), str(moved))
    run(repo, "--upstream-dir", str(moved), "checkout", "3.11")
    run(repo, "--upstream-dir", str(moved), "checkout", "emsdk-3.1")
    assert git(moved, "rev-parse", "--abbrev-ref", "HEAD") == "patchq/3.11"
    assert git(emsdk, "rev-parse", "--abbrev-ref", "HEAD") == "patchq/emsdk-3.1"
    assert git(cpython, "rev-parse", "--abbrev-ref", "HEAD") == "main"


def test_a_writer_refuses_while_another_upstream_has_a_rebase_stopped(two, tmp_path):
    repo, _, emsdk = two
    setup_both(repo, tmp_path)
    commit(emsdk, {"emsdk.py": EMSDK_FILES["emsdk.py"].replace("emsdk line 2\n", "other\n")},
           "Change line 2")
    run(repo, "checkout", "emsdk-3.1")
    res = run(repo, "rebase", "emsdk-3.1", code=1)
    assert "Pin-the-node-version" in res.text
    before = (repo / "upstream_map.toml").read_bytes()
    res = run(repo, "checkout", "3.11", code=1)  # the map is one: it waits for the rebase
    assert "in progress in " + str(emsdk.resolve()) in res.text
    assert (repo / "upstream_map.toml").read_bytes() == before
    run(repo, "rebase", "--abort")  # finds the rebase in emsdk's clone
    assert git(emsdk, "rev-parse", "--abbrev-ref", "HEAD") == "patchq/emsdk-3.1"
    run(repo, "checkout", "3.11")


def test_a_track_naming_an_unknown_upstream_is_refused(two):
    repo = two[0]
    path = repo / "upstream_map.toml"
    path.write_text(path.read_text() + '\n[tracks.x]\nfollows = "main"\nbase = "v1.0"\n'
                    'upstream = "nope"\n')
    res = run(repo, "list", code=1)
    assert "names upstream 'nope'" in res.text and "patchq upstream add nope" in res.text


def test_a_map_with_one_upstream_is_never_rewritten(two, tmp_path):
    repo = two[0]
    run(repo, "import", str(tmp_path / "cp-patches"), "--track", "3.11", "--base", "v1.0")
    text = (repo / "upstream_map.toml").read_text()
    assert "upstreams" not in text and "upstream =" not in text
    run(repo, "upstream", "list")
    assert (repo / "upstream_map.toml").read_text() == text


def test_one_report_covers_both_upstreams_with_a_row_and_trend_each(two, tmp_path, monkeypatch):
    repo = two[0]
    setup_both(repo, tmp_path)
    monkeypatch.setenv("PATCHQ_NOW", "2026-11-25T12:00:00Z")
    run(repo, "report", "--format", "json", "--out", str(tmp_path / "first.json"))
    series = repo / "series" / "emsdk-3.1"  # one emsdk patch less
    last = (series / "series").read_text().splitlines()[-1]
    (series / "series").write_text("".join(
        line + "\n" for line in (series / "series").read_text().splitlines()[:-1]))
    (series / last).unlink()
    monkeypatch.setenv("PATCHQ_NOW", "2026-12-02T12:00:00Z")
    data = json.loads(run(repo, "report", "--format", "json", "--no-record").out)
    rows = {u["name"]: u for u in data["upstreams"]}
    assert list(rows) == ["default", "emsdk", "total"]
    assert rows["emsdk"]["github"] == "emscripten-core/emsdk"
    assert rows["default"]["tracks"] == ["3.11"] and rows["emsdk"]["tracks"] == ["emsdk-3.1"]
    assert rows["default"]["counts"]["patches"] == 1 and rows["emsdk"]["counts"]["patches"] == 1
    assert rows["total"]["counts"]["patches"] == 2
    assert rows["emsdk"]["counts"]["patches"] - rows["emsdk"]["baseline_counts"]["patches"] == -1
    assert [p["patches"] for p in rows["emsdk"]["trend"]] == [2, 1]
    assert [p["patches"] for p in rows["total"]["trend"]] == [3, 2]
    assert {t["name"]: t["upstream"] for t in data["tracks"]} == {"3.11": "default",
                                                                  "emsdk-3.1": "emsdk"}
    md = run(repo, "report", "--no-record").out
    assert "## Upstreams" in md and "## Track `emsdk-3.1` (upstream `emsdk`)" in md
    assert "- trend of emsdk (2026-11-25 → 2026-12-02)" in md
    assert "| **total** |" in md
    html = run(repo, "report", "--format", "html", "--no-record").out
    assert '<h2 id="upstreams">Upstreams</h2>' in html and "emscripten-core/emsdk" in html


def test_a_report_of_one_upstream_has_no_upstreams_part(two, tmp_path, monkeypatch):
    repo = two[0]
    run(repo, "import", str(tmp_path / "cp-patches"), "--track", "3.11", "--base", "v1.0")
    monkeypatch.setenv("PATCHQ_NOW", "2026-11-25T12:00:00Z")
    before = run(repo, "report", "--no-record").out
    run(repo, "upstream", "add", "emsdk", str(tmp_path / "emsdk"))  # no track on it yet
    assert run(repo, "report", "--no-record").out == before
    data = json.loads(run(repo, "report", "--format", "json", "--no-record").out)
    assert "upstreams" not in data and "upstream" not in data["tracks"][0]
    assert "Upstreams" not in before and "(upstream" not in before


def test_record_and_sync_use_the_github_repository_of_the_patchs_upstream(two, tmp_path,
                                                                          fake_github):
    repo = two[0]
    setup_both(repo, tmp_path)
    run(repo, "record", "Pin-the-node-version", "issue=gh-5")
    record = load(repo)["patches"]["Pin-the-node-version"]
    assert record["issue"] == "emscripten-core/emsdk#5"
    fake_github.add_issue("emscripten-core/emsdk", 5, "Node is too new for us")
    fake_github.add_pull("emscripten-core/emsdk", 7, "Quiet the cache warning")
    fake_github.add_search_result("Quiet the cache warning", "emscripten-core/emsdk", 7)
    path = repo / "upstream_map.toml"
    path.write_text(path.read_text().replace("[upstream]\n", '[upstream]\ngithub = "python/cpython"\n'))
    run(repo, "sync", "--github-url", fake_github.url)
    data = load(repo)["patches"]
    assert data["Pin-the-node-version"]["github"]["issue_title"] == "Node is too new for us"
    proposed = data["Quiet-the-cache-warning"]["github"]["proposed_prs"]
    assert [p["pr"] for p in proposed] == ["emscripten-core/emsdk#7"]


def test_no_rebase_or_push_starts_while_another_upstream_has_a_rebase_stopped(two, tmp_path):
    repo, cpython, emsdk = two
    setup_both(repo, tmp_path)
    commit(emsdk, {"emsdk.py": EMSDK_FILES["emsdk.py"].replace("emsdk line 2\n", "other\n")},
           "Change line 2")
    commit(cpython, {"README.rst": "Python 1.1\n"}, "Release 1.1")
    run(repo, "checkout", "3.11")
    run(repo, "checkout", "emsdk-3.1")
    run(repo, "rebase", "emsdk-3.1", code=1)  # stops at its conflict
    before = (repo / "upstream_map.toml").read_bytes()
    cp_refs = git(cpython, "show-ref")
    res = run(repo, "rebase", "3.11", "--onto", "main", code=1)
    assert "in progress in " + str(emsdk.resolve()) in res.text
    res = run(repo, "pop", "--track", "3.11", code=1)
    assert "in progress in " + str(emsdk.resolve()) in res.text
    assert (repo / "upstream_map.toml").read_bytes() == before
    assert git(cpython, "show-ref") == cp_refs
    run(repo, "rebase", "--abort")
    run(repo, "rebase", "3.11", "--onto", "main")
