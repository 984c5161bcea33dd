"""Opt-in (PATCHQ_REALDATA): rebases across CPython minor versions tell the truth.

- Debian's 3.11.2 series (83 patches) onto v3.13.5: no patch to a file upstream moved
  (``Lib/pathlib.py`` -> ``Lib/pathlib/``, ``Lib/zipfile.py`` -> ``Lib/zipfile/``, renames) is
  ``obsolete``; the backports whose issue v3.13.5's release notes list are found upstream
  (the fraction is printed); none of the patches Debian still carries in 3.13.5 is called
  upstream or obsolete. The moved files and the listed issues are worked out here, from git
  and Misc/NEWS, not from patchq's answers.
- conda-forge's 3.13.5 series (its own ``series`` order; PATCHQ_CONDA_FORGE, default
  ``../shared/realdata/conda-forge`` beside the checkout) onto v3.13.15 drops none: the
  feedstock still carried all 24 patches at 3.13.14.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from helpers import conda_forge_dir, git, patchq
from spine_data import hermetic_env

from patchq import patchfile
from patchq.identity import declared_identity
from patchq.model import slug_of
from patchq.patchfile import diff_stats

pytestmark = pytest.mark.realdata
ROOT = Path(__file__).resolve().parent.parent


def _series(directory: Path) -> list[tuple[str, int]]:
    out = []
    for line in (directory / "series").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            words = line.split()
            strip = next((int(w[2:]) for w in words[1:] if w.startswith("-p")), 1)
            out.append((words[0], strip))
    return out


def _rebase(realdata: Path, tmp: Path, source: Path, base: str, onto: str) -> dict:
    upstream, repo = tmp / "cpython", tmp / "patches"
    with hermetic_env(tmp / "home"):
        subprocess.run(["git", "clone", "-q", str(realdata / "cpython"), str(upstream)],
                       check=True)
        repo.mkdir()
        c = ("-C", str(repo))
        assert patchq(*c, "init", "--upstream", str(upstream), "--github",
                      "python/cpython").code == 0
        res = patchq(*c, "import", str(source), "--track", "t", "--base", base)
        assert res.code == 0, res.text
        res = patchq(*c, "rebase", "t", "--onto", onto, "--dry-run", "--json")
        assert res.code == 0, res.text
    return {"upstream": upstream, "data": json.loads(res.out), "repo": repo}


@pytest.fixture(scope="module")
def debian_311(tmp_path_factory):
    realdata = Path(os.environ.get("PATCHQ_REALDATA", "/nonexistent"))
    if not (realdata / "debian" / "3.11.2" / "series").is_file():
        pytest.skip("no Debian 3.11.2 series")
    return _rebase(realdata, tmp_path_factory.mktemp("deb311"), realdata / "debian" / "3.11.2",
                   "v3.11.2", "v3.13.5")


def _moved_files(upstream: Path) -> set[str]:
    """Files of v3.11.2 not in v3.13.5 that went somewhere: git's renames, and modules that
    became packages (``X.py`` with a directory ``X/`` in v3.13.5)."""
    old = set(git(upstream, "ls-tree", "-r", "--name-only", "v3.11.2").splitlines())
    new = set(git(upstream, "ls-tree", "-r", "--name-only", "v3.13.5").splitlines())
    dirs = {p.rsplit("/", 1)[0] for p in new if "/" in p}
    dirs |= {d.rsplit("/", i)[0] for d in list(dirs) for i in range(1, d.count("/") + 1)}
    renamed = {line.split("\t")[1] for line in git(
        upstream, "diff", "-M", "--name-status", "--diff-filter=R", "v3.11.2", "v3.13.5"
    ).splitlines()}
    return {p for p in old - new if p in renamed or (p.endswith(".py") and p[:-3] in dirs)}


def test_debian_311_no_moved_file_is_obsolete(realdata, debian_311):
    moved = _moved_files(debian_311["upstream"])
    outcomes = {p["slug"]: p for p in debian_311["data"]["patches"]}
    assert len(outcomes) == 83
    source = realdata / "debian" / "3.11.2"
    touching = {}
    for name, strip in _series(source):
        parsed = patchfile.parse((source / name).read_bytes(), name)
        paths = {f.path for f in diff_stats(parsed.diff, strip)}
        if paths & moved:
            touching[slug_of(name)] = sorted(paths & moved)
    print("\npatches to moved files:", {s: outcomes[s]["outcome"] for s in touching})
    assert {"ntpath-import", "CVE-2024-8088"} <= set(touching)
    assert {s: outcomes[s]["outcome"] for s in touching
            if outcomes[s]["outcome"] == "obsolete"} == {}
    assert outcomes["ntpath-import"]["files"] == ["Lib/pathlib/_local.py"]


def _listed(upstream: Path, ref: str) -> set[str]:
    news = git(upstream, "show", f"{ref}:Misc/NEWS")
    return set(re.findall(r"^- (gh-\d+):", news, re.MULTILINE))


def test_debian_311_backports_found_upstream(realdata, debian_311):
    listed = _listed(debian_311["upstream"], "v3.13.5")
    source = realdata / "debian" / "3.11.2"
    outcomes = {p["slug"]: p for p in debian_311["data"]["patches"]}
    backports = {}
    for name, _ in _series(source):
        parsed = patchfile.parse((source / name).read_bytes(), name)
        declared = declared_identity(parsed.description.subject,
                                     parsed.header.decode("utf-8", "replace"), {}, "python/cpython")
        if declared.backport and set(declared.issues) & listed:
            backports[slug_of(name)] = outcomes[slug_of(name)]
    found = {s for s, p in backports.items() if p["outcome"] in ("upstream", "partial")}
    print(f"\nDebian 3.11.2 backports found upstream in v3.13.5: {len(found)}/{len(backports)} "
          f"of those whose issue v3.13.5's Misc/NEWS lists; not found: "
          f"{sorted(set(backports) - found)}")
    assert len(found) * 10 >= len(backports) * 9
    gh91133 = outcomes["CVE-2023-6597"]
    assert gh91133["outcome"] == "upstream" and gh91133["confidence"] in ("high", "medium")
    notes = next(e for e in gh91133["evidence"] if e["method"] == "release-notes")
    assert "v3.13.5's Misc/NEWS (3.13.0 alpha 3)" in notes["detail"]
    for slug in set(backports) - found:  # the rest: a conflict that says what it saw
        assert backports[slug]["outcome"] == "conflict"
        assert "fixed upstream in v3.13.5" in backports[slug]["detail"]


def test_debian_311_nothing_debian_carries_in_313_is_dropped(realdata, debian_311):
    if not (realdata / "debian" / "3.13.5" / "series").is_file():
        pytest.skip("no Debian 3.13.5 series")
    source = realdata / "debian" / "3.13.5"
    carried_slugs, carried_issues = set(), set()
    for name, _ in _series(source):
        slug = slug_of(name)
        carried_slugs |= {slug, slug.removeprefix("min-")}
        parsed = patchfile.parse((source / name).read_bytes(), name)
        carried_issues |= set(declared_identity(parsed.description.subject, parsed.header.decode(
            "utf-8", "replace"), {}, "python/cpython").issues)
    wrong = {}
    for patch in debian_311["data"]["patches"]:
        if patch["outcome"] not in ("upstream", "obsolete"):
            continue
        parsed_issues = {m for m in re.findall(r"gh-\d+", patch["slug"])}
        if patch["slug"] in carried_slugs or parsed_issues & carried_issues:
            wrong[patch["slug"]] = patch["outcome"]
    assert wrong == {}


def test_conda_forge_3135_onto_31315_drops_none(realdata, tmp_path):
    source = conda_forge_dir(realdata)
    if source is None:
        pytest.skip("set PATCHQ_CONDA_FORGE to conda-forge's series (3.13.5/series)")
    done = _rebase(realdata, tmp_path, source / "3.13.5", "v3.13.5", "v3.13.15")
    data = done["data"]
    assert data["total"] == 24
    print("\nconda-forge 3.13.5 -> v3.13.15:", data["counts"])
    dropped = {p["slug"]: p["outcome"] for p in data["patches"]
               if p["outcome"] in ("upstream", "obsolete", "dropped")}
    assert dropped == {}
