"""Opt-in (PATCHQ_REALDATA): real series apply in patchq exactly where the downstream's own
build applies them. The reference is GNU patch itself, run side by side (fuzz 2, the patches in
series order, a refused one skipped), and conda-build's line-ending tolerance on the blobs
CPython's git stores (its .gitattributes keeps PCbuild files LF in the repository)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import conda_forge_dir, git, patchq, real_patch_repo

from patchq.seriesdir import slug_of

GNU_PATCH = shutil.which("patch")
_CRLF_IN_GIT = re.compile(r"\.(props|vcxproj|vcxproj\.filters|sln|proj|bat|ps1)$")


def _entries(directory: Path) -> list[tuple[str, int]]:
    out = []
    for line in (directory / "series").read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            out.append((words[0], 0 if "-p0" in words[1:] else 1))
    return out


def _gnu_refuses(clone: Path, tag: str, directory: Path, tmp: Path) -> set[str]:
    """The files GNU patch refuses when the series is applied in order on ``tag``."""
    work = tmp / "gnu"
    git(clone, "worktree", "add", "-q", "--detach", str(work), tag)
    refused = set()
    for name, strip in _entries(directory):
        args = [GNU_PATCH or "patch", f"-p{strip}", "--fuzz=2", "-f", "-s",
                "--no-backup-if-mismatch", "-i", str(directory / name)]
        if subprocess.run([*args, "--dry-run"], cwd=work, capture_output=True,
                          check=False).returncode:
            refused.add(name)
        else:
            subprocess.run(args, cwd=work, capture_output=True, check=True)
    return refused


def _import(repo: Path, directory: Path, track: str, base: str):
    res = patchq("-C", str(repo), "import", str(directory), "--track", track, "--base", base)
    assert res.code == 0, res.text
    return res


@pytest.fixture
def cf(realdata):
    found = conda_forge_dir(realdata)
    if found is None:
        pytest.skip("conda-forge's series are not there (PATCHQ_CONDA_FORGE)")
    return found


@pytest.mark.skipif(GNU_PATCH is None, reason="GNU patch is not installed")
@pytest.mark.parametrize(("which", "version", "tag"), [
    ("conda-forge", "3.13.14", "v3.13.15"),
    ("conda-forge", "3.13.5", "v3.13.15"),
    ("debian", "3.13.5", "v3.13.15"),
    ("debian", "3.13.15", "v3.13.15"),
    ("debian", "3.11.2", "v3.11.2"),
    ("debian", "3.11.2", "v3.13.5"),
])
def test_patchq_applies_exactly_what_gnu_patch_applies(realdata, cf, tmp_path, which, version,
                                                        tag):
    directory = (cf if which == "conda-forge" else realdata / "debian") / version
    repo, clone = real_patch_repo(realdata, tmp_path)
    res = _import(repo, directory, "t", tag)
    gnu = _gnu_refuses(clone, tag, directory, tmp_path)
    match = re.search(r"^(\d+) do not apply on ", res.out, re.MULTILINE)
    ours = int(match.group(1)) if match else 0
    listed = set(re.findall(r"^  (\S+): ", res.out.split("apply only as GNU")[0], re.MULTILINE))
    slugs = {slug_of(name) for name in gnu}
    print(f"\n{which} {version} on {tag}: GNU patch refuses {len(gnu)}, patchq {ours}; "
          f"{res.out.count('applied with fuzz')} hunks with fuzz")
    assert ours == len(gnu)
    assert listed == slugs


def test_conda_forge_3135_on_its_base_applies_all_and_export_changes_nothing(realdata, cf,
                                                                           tmp_path):
    repo, _ = real_patch_repo(realdata, tmp_path)
    res = _import(repo, cf / "3.13.5", "3.13", "v3.13.5")
    assert "all 24 apply on v3.13.5" in res.out
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "import")
    assert patchq("-C", str(repo), "checkout", "3.13").code == 0
    res = patchq("-C", str(repo), "export", "3.13")
    assert res.code == 0 and "nothing to write" in res.out, res.text
    assert git(repo, "status", "--porcelain") == ""


def test_conda_forge_crlf_patches_apply_to_the_lf_blobs_cpythons_git_stores(realdata, cf,
                                                                           tmp_path):
    repo, clone = real_patch_repo(realdata, tmp_path)
    # as in CPython's own repository: the PCbuild/PC files .gitattributes marks eol=crlf are
    # stored with LF (the work tree gets CRLF); a tarball-built tree has CRLF
    git(clone, "checkout", "-q", "--detach", "v3.13.5")
    names = [n for n in git(clone, "ls-tree", "-r", "--name-only", "v3.13.5").splitlines()
             if _CRLF_IN_GIT.search(n)]
    for name in names:
        path = clone / name
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    git(clone, "add", "-A")
    git(clone, "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-qm",
        "LF in git, as .gitattributes stores them")
    git(clone, "tag", "v3.13.5-lf")
    git(clone, "checkout", "-q", "main")
    res = _import(repo, cf / "3.13.5", "3.13", "v3.13.5-lf")
    reconciled = re.findall(r"line endings reconciled in (\S+) \(CRLF patch on an LF file\)",
                            res.out)
    print(f"\nconda-forge 3.13.5 on LF-stored PCbuild files: {len(reconciled)} files reconciled")
    assert "all 24 apply on v3.13.5-lf" in res.out, res.out
    assert reconciled and all(_CRLF_IN_GIT.search(n) for n in reconciled)
    assert patchq("-C", str(repo), "checkout", "3.13").code == 0
    for name in set(reconciled):
        blob = subprocess.run(["git", "show", f"patchq/3.13:{name}"], cwd=clone,
                              capture_output=True, check=True).stdout
        assert b"\r\n" not in blob, name  # the file keeps its own (LF) endings
