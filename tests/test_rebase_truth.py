"""A rebase tells the truth about each patch: moved files are followed (a rename, a module
that became a package), a backport's declared identity is evidence (its upstream commit in the
history, its issue in the release notes), a person's drop is ``dropped`` (never upstream),
``lint --onto`` warns CI, and patches set aside stay workable (push, goto, edit, applied,
unapplied, checkout, a second rebase). The data: tests/truth_data.py."""

from __future__ import annotations

import json
import re

import pytest
from helpers import commit, git, load_map, refs_snapshot, tree_snapshot
from truth_data import CONFLICTS, EXPECTED, NOW, build


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("truth")
    return build(root / "repos", root / "home")


@pytest.fixture
def repos(template, tmp_path, monkeypatch):
    monkeypatch.setenv("PATCHQ_NOW", NOW)
    return template.copy(tmp_path / "repos")


def by_slug(data: dict) -> dict[str, dict]:
    return {p["slug"]: p for p in data["patches"]}


def snapshot(repos) -> tuple:
    return (tree_snapshot(repos.patches), refs_snapshot(repos.upstream),
            git(repos.upstream, "status", "--porcelain"))


def file_of(repos, slug: str) -> str:
    return next(p for p in repos.series().iterdir() if p.name.startswith(slug + ".")).read_text()


def resolve_ours(path) -> None:
    """Keep both sides of every conflict, without the markers."""
    text = path.read_text()
    path.write_text("".join(line for line in text.splitlines(keepends=True)
                            if not re.match(r"^(<<<<<<<|=======|>>>>>>>|\|\|\|\|\|\|\|)", line)))


# -- outcomes --------------------------------------------------------------------------------------


def test_outcomes_with_their_evidence(repos):
    before = snapshot(repos)
    res = repos.run("rebase", "1.0", "--onto", "v2.0", "--dry-run", "--json")
    assert res.code == 0, res.text
    assert snapshot(repos) == before
    data = by_slug(json.loads(res.out))
    assert {slug: p["outcome"] for slug, p in data.items()} == EXPECTED

    # moved files: a git rename, a module that became a package; ported 3-way
    assert data["port-rename"]["moved"] == [{"from": "Lib/renamed_old.py",
                                             "to": ["Lib/renamed_new.py"]}]
    assert data["port-package"]["moved"] == [{"from": "Lib/zipmod.py",
                                              "to": ["Lib/zipmod/_beta.py"]}]
    conflict = data["port-package-conflict"]
    assert conflict["files"] == ["Lib/zipmod/_alpha.py"]  # the conflict names the new file
    assert "ported Lib/zipmod.py -> Lib/zipmod/_alpha.py" in conflict["detail"]

    # obsolete only when the content is gone too
    assert data["content-gone"]["evidence"][0]["method"] == "files-gone"
    gone = data["package-content-gone"]["evidence"][0]
    assert gone["method"] == "files-gone" and "none of its lines is in Lib/zipmod/" in \
        gone["detail"]

    # a backport whose upstream commit is in the new base's history: upstream, high
    picked = data["backport-commit"]
    assert picked["confidence"] == "high"
    assert any(e["method"] == "cherry-pick" and e["commits"] == [repos.fix]
               for e in picked["evidence"])

    # a backport whose issue the new base's NEWS lists, partly there: upstream, medium, quoted
    news = data["backport-news"]
    assert news["confidence"] == "medium"
    assert news["upstream"]["state"] == "partial"
    quoted = news["evidence"][0]
    assert quoted["method"] == "release-notes" and quoted["confidence"] == "medium"
    assert "v2.0's Misc/NEWS (2.0 final)" in quoted["detail"]
    assert "Fix news when the line is long." in quoted["detail"]

    # not a backport: the same kind of hit is a note on the conflict, never a drop
    listed = data["downstream-listed"]
    assert listed["needs_person"] is True
    assert "gh-301 is fixed upstream in v2.0 (Misc/NEWS, 2.0 final)" in listed["detail"]
    assert "probably drop" in listed["detail"]
    assert data["will-drop"]["detail"].startswith("set aside: CONFLICT")


def test_text_shows_confidence_and_ports(repos):
    res = repos.run("rebase", "1.0", "--onto", "v2.0", "--dry-run")
    assert res.code == 0, res.text
    assert re.search(r"backport-news\s+upstream\s+\[medium confidence\] release-notes", res.out)
    assert re.search(r"port-package\s+refreshed\s+ported Lib/zipmod.py -> Lib/zipmod/_beta.py",
                     res.out)


def test_ported_patches_are_written_for_the_new_files(repos):
    res = repos.run("rebase", "1.0", "--onto", "v2.0", "--on-conflict", "skip", "--json")
    assert res.code == 0, res.text
    text = file_of(repos, "port-package")
    assert text.startswith("Description: Patch beta, which moved into a package\n")
    assert "+++ b/Lib/zipmod/_beta.py" in text and "Lib/zipmod.py" not in text
    assert "+beta line 5 patched" in text
    assert "+++ b/Lib/renamed_new.py" in file_of(repos, "port-rename")
    assert "beta line 5 patched" in git(repos.upstream, "show", "patchq/1.0:Lib/zipmod/_beta.py")
    umap = load_map(repos)
    record = umap["patches"]["backport-news"]["tracks"]["1.0"]
    assert record["outcome"] == "upstream" and record["confidence"] == "medium"
    assert record["carried"] is False
    assert record["upstream"]["v2.0"]["evidence"][0]["confidence"] == "medium"
    # the new series builds and exports without a change
    assert repos.run("checkout", "1.0").code == 0
    res = repos.run("export", "1.0")
    assert res.code == 0 and "nothing to write" in res.out, res.text


# -- dropped: a person's choice, both ways ----------------------------------------------------


def test_dropped_by_resolving_to_nothing_and_by_drop(repos):
    first, second, third = CONFLICTS
    res = repos.run("rebase", "1.0", "--onto", "v2.0")
    assert res.code == 1, res.text
    assert f"stopped at patch 2/9 {first}: it conflicts in Lib/zipmod/_alpha.py" in res.out
    assert "<<<<<<<" in (repos.upstream / "Lib/zipmod/_alpha.py").read_text()
    assert "`patchq rebase --drop`" in res.out

    res = repos.run("rebase", "--drop")  # drop it from the series
    assert res.code == 1 and f"{second}: it conflicts in Lib/other.py" in res.out, res.text
    git(repos.upstream, "checkout", "-q", "HEAD", "--", ".")  # resolve it to nothing at all
    git(repos.upstream, "reset", "-q")
    res = repos.run("rebase", "--continue")
    assert res.code == 1 and f"{third}: it conflicts" in res.out, res.text
    res = repos.run("rebase", "--skip", "--json")  # set aside: kept for later
    assert res.code == 0, res.text
    data = json.loads(res.out)
    got = by_slug(data)
    assert got[first]["outcome"] == got[second]["outcome"] == "dropped"
    assert got[third]["outcome"] == "conflict"
    assert "--drop" in got[first]["evidence"][0]["detail"]
    assert "no change" in got[second]["evidence"][0]["detail"]
    assert data["counts"]["dropped"] == 2 and data["counts"]["upstream"] == 2

    umap = load_map(repos)
    assert umap["tracks"]["1.0"]["last_rebase"]["counts"]["dropped"] == 2
    for slug in (first, second):
        record = umap["patches"][slug]["tracks"]["1.0"]
        assert record["outcome"] == "dropped" and record["carried"] is False
        assert "upstream" not in record or "v2.0" not in record["upstream"]
        assert "confidence" not in record
        assert not any(p.name.startswith(slug + ".") for p in repos.series().iterdir())
    # the report never counts them as merged upstream
    res = repos.run("report", "--format", "json")
    assert res.code == 0, res.text
    track = next(t for t in json.loads(res.out)["tracks"] if t["name"] == "1.0")
    merged = {item["slug"] for item in track["newly_merged"]}
    assert first not in merged and second not in merged
    assert {"backport-commit", "backport-news"} <= merged


# -- CI: the early warning ------------------------------------------------------------------------


def test_lint_onto_names_the_patches_that_would_conflict(repos):
    before = snapshot(repos)
    res = repos.run("lint", "1.0", "--onto", "v2.0")
    assert res.code == 1, res.text
    lines = res.out.strip().splitlines()
    assert [re.match(r"1\.0/(\S+):", line).group(1) for line in lines] == CONFLICTS
    assert all("[would-conflict]" in line for line in lines)
    assert "would conflict on v2.0 in Lib/zipmod/_alpha.py" in lines[0]
    assert "gh-301 is fixed upstream" in lines[1]
    res = repos.run("lint", "1.0", "--onto", "v2.0", "--json")
    assert {p["slug"] for p in json.loads(res.out)["problems"]} == set(CONFLICTS)
    assert snapshot(repos) == before
    assert repos.run("lint", "1.0", "--onto", "v1.0").code == 0  # its own base: nothing
    res = repos.run("rebase", "1.0", "--onto", "v2.0", "--dry-run", "--check")
    assert res.code == 1 and "would conflict: " + ", ".join(CONFLICTS) in res.err
    assert snapshot(repos) == before
    assert repos.run("rebase", "1.0", "--onto", "v2.0", "--check").code == 2


# -- set-aside patches stay workable ------------------------------------------------------------


@pytest.fixture
def aside(repos):
    res = repos.run("rebase", "1.0", "--onto", "v2.0", "--on-conflict", "skip")
    assert res.code == 0, res.text
    assert "`patchq push PATCH`" in res.out
    return repos


def test_checkout_builds_the_rest_and_lists_them(aside):
    git(aside.upstream, "checkout", "-q", "main")
    res = aside.run("checkout", "1.0")
    assert res.code == 0, res.text
    assert "left out, set aside by a rebase: " + ", ".join(CONFLICTS) in res.out
    applied = aside.run("applied")
    assert applied.code == 0 and not set(CONFLICTS) & set(applied.out.split())
    unapplied = aside.run("unapplied")
    assert unapplied.code == 0 and unapplied.out.split() == CONFLICTS
    assert "set aside by a rebase" in unapplied.err


def test_push_goto_edit_merge_a_set_aside_patch_3way(aside):
    first, second, third = CONFLICTS
    top = aside.run("top").out.strip()
    # push: the patches above its place come off, it is merged 3-way with markers
    res = aside.run("push", third)
    assert res.code == 1 and "conflicts in Lib/drop.c" in res.err, res.text
    text = (aside.upstream / "Lib/drop.c").read_text()
    assert "<<<<<<<" in text and "drop line 10 patched" in text and "drop line 10 upstream" in text
    resolve_ours(aside.upstream / "Lib/drop.c")
    git(aside.upstream, "add", "-A")
    res = aside.run("push")
    assert res.code == 0, res.text
    assert aside.run("top").out.strip() == third
    assert not (aside.upstream / ".git" / "CHERRY_PICK_HEAD").exists()
    assert git(aside.upstream, "status", "--porcelain", "--untracked-files=no") == ""

    # goto a set-aside patch: the same
    res = aside.run("goto", second)
    assert res.code == 1 and "conflicts in Lib/other.py" in res.err, res.text
    resolve_ours(aside.upstream / "Lib/other.py")
    git(aside.upstream, "add", "-A")
    assert aside.run("push").code == 0

    # edit: pushed at its place (a module that became a package: ported there), then the
    # rest comes back with edit --continue
    res = aside.run("edit", first)
    assert res.code == 1 and "Lib/zipmod/_alpha.py" in res.text, res.text
    resolve_ours(aside.upstream / "Lib/zipmod/_alpha.py")
    git(aside.upstream, "add", "-A")
    res = aside.run("push")  # finishes the stopped push of the edit
    assert res.code == 0, res.text
    res = aside.run("edit", "--continue")
    assert res.code == 0, res.text
    assert aside.run("push", "-a").code in (0, 2)
    assert aside.run("top").out.strip() in (top, third)

    # export writes them for the new base, DEP-3 headers kept; the map forgets needs_person
    res = aside.run("export", "1.0")
    assert res.code == 0, res.text
    for slug, path in ((first, "Lib/zipmod/_alpha.py"), (second, "Lib/other.py"),
                       (third, "Lib/drop.c")):
        text = file_of(aside, slug)
        assert f"+++ b/{path}" in text
        record = load_map(aside)["patches"][slug]["tracks"]["1.0"]
        assert "needs_person" not in record and "set_aside_on" not in record
        assert record["outcome"] == "modified"
    assert file_of(aside, second).startswith("Description: Debian: use our own other\n")
    assert aside.run("lint", "1.0").code == 0


def test_push_aside_needs_the_branch_checked_out(aside):
    git(aside.upstream, "checkout", "-q", "main")
    before = snapshot(aside)
    res = aside.run("push", CONFLICTS[0], "--track", "1.0")
    assert res.code == 1 and "patchq checkout 1.0" in res.err
    assert len(res.err.strip().splitlines()) == 1
    assert snapshot(aside) == before


def test_a_second_rebase_keeps_them_set_aside(aside):
    git(aside.upstream, "checkout", "-q", "main")
    commit(aside.upstream, {"README": "a file nobody patches\n"}, "Python 2.1")
    git(aside.upstream, "tag", "v2.1")
    files = {p.name: p.read_bytes() for p in aside.series().iterdir()}
    res = aside.run("lint", "1.0", "--onto", "v2.1")
    assert res.code == 1 and res.out.count("[would-conflict]") == 3, res.text
    assert res.out.count("[set-aside]") == 3 and "`patchq push will-drop`" in res.out
    res = aside.run("rebase", "1.0", "--onto", "v2.1", "--json")
    assert res.code == 0, res.text
    data = json.loads(res.out)
    got = by_slug(data)
    assert data["total"] == len(got) == 5
    for slug in CONFLICTS:
        assert got[slug]["outcome"] == "conflict" and got[slug]["needs_person"]
        assert "still set aside" in got[slug]["detail"]
    assert [p["slug"] for p in data["patches"]] == [
        s for s in EXPECTED if EXPECTED[s] in ("refreshed", "conflict")]
    umap = load_map(aside)
    v1 = git(aside.upstream, "rev-parse", "v1.0")
    for slug in CONFLICTS:
        assert umap["patches"][slug]["tracks"]["1.0"]["set_aside_on"] == v1
        name = next(n for n in files if n.startswith(slug + "."))
        assert (aside.series() / name).read_bytes() == files[name]
