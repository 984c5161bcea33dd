"""An upstream that moves files, rewrites backported fixes and lists issues in its release notes,
and a quilt (DEP-3) series against it: the rebase must tell the truth about each patch.

Upstream, branch main: ``v1.0``; a commit "gh-101: Fix fixme (GH-102)" (the fix a backport
is cherry-picked from), a later commit that rewrites that line again, and a restructuring
commit; tag ``v2.0``. From v1.0 to v2.0:

- ``Lib/renamed_old.py`` -> ``Lib/renamed_new.py`` (git's rename detection finds it);
- ``Lib/zipmod.py`` became a package: ``Lib/zipmod/__init__.py``, ``_alpha.py``, ``_beta.py``,
  ``_gamma.py`` (a third of the module each: no rename); its ``delta`` part is gone; upstream
  changed ``alpha line 5`` in ``_alpha.py``;
- ``Lib/gone.py`` deleted; ``Lib/news.py`` line 10 fixed as the backport does, line 30
  rewritten; ``Lib/other.py`` and ``Lib/drop.c`` line 10 changed;
- ``Misc/NEWS`` (a release tarball's) lists gh-201 and gh-301 under "2.0 final".

The series (``EXPECTED``: the outcome of each patch rebased onto v2.0, in series order) is
written as Debian writes patches: DEP-3 headers, ``diff -u`` bodies without ``index`` lines.
The first conflict sits below patches that apply: set aside, it is in the middle of the stack.
"""

from __future__ import annotations

import difflib
import shutil
from dataclasses import dataclass
from pathlib import Path

from helpers import commit, git, patchq
from spine_data import hermetic_env

NOW = "2026-01-02T03:04:05Z"


def block(name: str, count: int = 10) -> str:
    return "".join(f"{name} line {i}\n" for i in range(1, count + 1))


def change(text: str, old: str, new: str) -> str:
    assert old + "\n" in text, old
    return text.replace(old + "\n", new + "\n", 1)


NEWS_V1 = ("+++++++++++\nPython News\n+++++++++++\n\nWhat's New in Python 1.0 final?\n"
           "================================\n\nLibrary\n-------\n\n- gh-1: An old fix.\n")
NEWS_V2 = NEWS_V1.replace("\n\nWhat's New in Python 1.0 final?", (
    "\n\nWhat's New in Python 2.0 final?\n================================\n\nLibrary\n"
    "-------\n\n- gh-201: Fix news when the line is long.\n\n- gh-301: Fix other for "
    "everyone.\n\nWhat's New in Python 1.0 final?"), 1)

ZIPMOD = block("alpha") + block("beta") + block("gamma") + block("delta")
V1 = {
    "Lib/renamed_old.py": block("renamed", 40),
    "Lib/zipmod.py": ZIPMOD,
    "Lib/gone.py": block("gone", 20),
    "Lib/fixme.py": block("fixme", 20),
    "Lib/news.py": block("news", 40),
    "Lib/other.py": block("other", 20),
    "Lib/drop.c": block("drop", 20),
    "Misc/NEWS": NEWS_V1,
}

# (file name, header, path, old text, new text)
PATCHES = [
    ("port-rename.diff", "Description: Patch the renamed module\n",
     "Lib/renamed_old.py", "renamed line 5", "renamed line 5 patched"),
    ("port-package-conflict.diff", "Description: Patch alpha, which upstream changed too\n",
     "Lib/zipmod.py", "alpha line 5", "alpha line 5 patched"),
    ("port-package.diff", "Description: Patch beta, which moved into a package\n",
     "Lib/zipmod.py", "beta line 5", "beta line 5 patched"),
    ("content-gone.diff", "Description: Patch a module upstream removed\n",
     "Lib/gone.py", "gone line 5", "gone line 5 patched"),
    ("package-content-gone.diff", "Description: Patch delta, gone from the package\n",
     "Lib/zipmod.py", "delta line 5", "delta line 5 patched"),
    ("backport-commit.diff", ("Description: [1.0] gh-101: Fix fixme (GH-102)\n"
     " (cherry picked from commit {fix})\nOrigin: upstream, "
     "https://github.com/python/cpython/commit/{fix}\n"),
     "Lib/fixme.py", "fixme line 10", "fixme line 10 fixed"),
    ("backport-news.diff", ("Description: [1.0] gh-201: Fix news (GH-202)\n"
     "Bug-Upstream: https://github.com/python/cpython/issues/201\n"),
     "Lib/news.py", None, None),
    ("downstream-listed.diff", ("Description: Debian: use our own other\n"
     "Bug-Upstream: https://github.com/python/cpython/issues/301\nForwarded: not-needed\n"),
     "Lib/other.py", "other line 10", "other line 10 debian"),
    ("will-drop.diff", "Description: Change drop for the build\nForwarded: not-needed\n",
     "Lib/drop.c", "drop line 10", "drop line 10 patched"),
]

EXPECTED = {
    "port-rename": "refreshed",
    "port-package-conflict": "conflict",
    "port-package": "refreshed",
    "content-gone": "obsolete",
    "package-content-gone": "obsolete",
    "backport-commit": "upstream",
    "backport-news": "upstream",
    "downstream-listed": "conflict",
    "will-drop": "conflict",
}
CONFLICTS = [s for s, o in EXPECTED.items() if o == "conflict"]


def unified(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 f"a/{path}", f"b/{path}", n=3)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def build_upstream(path: Path) -> tuple[Path, str]:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    commit(path, V1, "Python 1.0")
    git(path, "tag", "v1.0")
    git(path, "branch", "1.0")
    fix = commit(path, {"Lib/fixme.py": change(V1["Lib/fixme.py"], "fixme line 10",
                                                "fixme line 10 fixed upstream")},
                 "gh-101: Fix fixme (GH-102)")
    commit(path, {"Lib/fixme.py": change(V1["Lib/fixme.py"], "fixme line 10",
                                          "fixme line 10 rewritten later")},
           "gh-150: Rewrite fixme")
    git(path, "mv", "Lib/renamed_old.py", "Lib/renamed_new.py")
    commit(path, {
        "Lib/renamed_new.py": change(V1["Lib/renamed_old.py"], "renamed line 35",
                                     "renamed line 35 upstream"),
        "Lib/zipmod.py": None,
        "Lib/zipmod/__init__.py": "from ._alpha import *\nfrom ._beta import *\n"
                                  "from ._gamma import *\n",
        "Lib/zipmod/_alpha.py": change(block("alpha"), "alpha line 5", "alpha line 5 upstream"),
        "Lib/zipmod/_beta.py": block("beta"),
        "Lib/zipmod/_gamma.py": block("gamma"),
        "Lib/gone.py": None,
        "Lib/news.py": change(change(V1["Lib/news.py"], "news line 10", "news line 10 fixed"),
                              "news line 30", "news line 30 upstream style"),
        "Lib/other.py": change(V1["Lib/other.py"], "other line 10", "other line 10 upstream"),
        "Lib/drop.c": change(V1["Lib/drop.c"], "drop line 10", "drop line 10 upstream"),
        "Misc/NEWS": NEWS_V2,
    }, "Python 2.0: zipmod becomes a package")
    git(path, "tag", "v2.0")
    return path, fix


def write_series(directory: Path, fix: str) -> None:
    directory.mkdir(parents=True)
    for name, header, path, old, new in PATCHES:
        before = V1[path]
        if old is None:  # backport-news: two hunks, one upstream has, one it rewrote
            after = change(change(before, "news line 10", "news line 10 fixed"),
                           "news line 30", "news line 30 fixed")
        else:
            after = change(before, old, new)
        text = header.format(fix=fix) + "\n" + unified(path, before, after)
        (directory / name).write_text(text)
    (directory / "series").write_text("".join(p[0] + "\n" for p in PATCHES))


@dataclass
class Repos:
    root: Path
    upstream: Path
    patches: Path
    fix: str  # the upstream commit backport-commit is cherry-picked from

    def copy(self, dest: Path) -> Repos:
        shutil.copytree(self.root, dest, symlinks=True)
        return Repos(dest, dest / "cpython", dest / "patches", self.fix)

    def run(self, *args: str):
        return patchq("-C", str(self.patches), *args)

    def series(self) -> Path:
        return self.patches / "series" / "1.0"


def build(root: Path, home: Path) -> Repos:
    with hermetic_env(home):
        upstream, fix = build_upstream(root / "cpython")
        write_series(root / "quilt", fix)
        patches = root / "patches"
        patches.mkdir()
        git(patches, "init", "-q", "-b", "main")
        c = ("-C", str(patches))
        for args in (("init", "--upstream", "../cpython", "--github", "python/cpython"),
                     ("import", str(root / "quilt"), "--track", "1.0", "--base", "v1.0",
                      "--follows", "1.0"),
                     ("checkout", "1.0")):
            res = patchq(*c, *args)
            assert res.code == 0, res.text
        git(patches, "add", "-A")
        git(patches, "commit", "-q", "-m", "Import")
    return Repos(root, upstream, patches, fix)
