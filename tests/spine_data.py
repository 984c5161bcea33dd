"""Sample upstreams and downstream series in every input format, for the spine's tests.

``build_sources(root)`` makes, once per test module:

- ``root/upstream``: a small CPython-shaped repository; ``v1`` is the base, branch
  ``downstream`` carries commits with every edge case of docs/design.md §4 (CRLF lines, no
  final newline, a rename, a new and a deleted file, a binary file, Latin-1 content, a folded
  subject, an extra mail header, an empty body);
- ``root/format-patch``: those commits as ``git format-patch`` files (Pyodide's layout);
- ``root/mbox``: the same as one mbox with a cover letter;
- ``root/quilt``: a Debian-style quilt directory (series with comments, DEP-3 headers, -p0,
  ``Index:``/``===`` lines, plain diffs, a disabled patch);
- the range ``v1..downstream`` in the upstream clone.

Tests copy what they change (``fresh``), so one build serves a whole module.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import FIXED_DATE, commit, git, numbered_lines, patchq

EDGE_COMMITS = 8  # commits on branch downstream


@contextmanager
def hermetic_env(home: Path):
    """The environment tests/conftest.py gives each test, for module-scoped builders."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "gitconfig"
    config.write_text("[user]\n\tname = Test Person\n\temail = test@example.invalid\n"
                      "[init]\n\tdefaultBranch = main\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_GLOBAL", str(config))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for who in ("AUTHOR", "COMMITTER"):
            mp.setenv(f"GIT_{who}_NAME", "Test Person")
            mp.setenv(f"GIT_{who}_EMAIL", "test@example.invalid")
            mp.setenv(f"GIT_{who}_DATE", FIXED_DATE)
        mp.setenv("TZ", "UTC")
        yield


def upstream_files() -> dict[str, str | bytes]:
    return {
        "Python/pylifecycle.c": numbered_lines("pylifecycle", 40),
        "Lib/platform.py": numbered_lines("platform"),
        "Lib/subprocess.py": numbered_lines("subprocess"),
        "Modules/Setup.stdlib.in": numbered_lines("setup"),
        "Tools/wasm/README.md": "WebAssembly\n",
        "PC/build.bat": b"@echo off\r\nset A=1\r\nset B=2\r\n",
        "Misc/nonl.txt": b"last line without newline",
        "Lib/old_name.py": numbered_lines("old name", 12),
        "Lib/obsolete.py": "x = 1\n",
        "Doc/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "Misc/ACKS.latin1": "Jos\xe9\n".encode("latin-1"),
        "README.rst": "This is Python\n",
    }


def _edge_commits(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "downstream", "v1")
    lines = numbered_lines("pylifecycle", 40).replace("pylifecycle line 5\n",
                                                      "pylifecycle line 5 (embedder)\n")
    commit(repo, {"Python/pylifecycle.c": lines},
           "Make the standard streams configurable for an embedder\n\n"
           "A browser has no file descriptors 0, 1 and 2 of its own.",
           author="Ben Wasmer <ben@pyodide.invalid>", date="2023-02-21T11:30:00+00:00")
    commit(repo, {"PC/build.bat": b"@echo off\r\nset A=1\r\nset B=3\r\n"},
           "Change a batch file with CRLF lines")
    commit(repo, {"Misc/nonl.txt": b"last line, still without newline"},
           "Change a file that has no final newline")
    git(repo, "mv", "Lib/old_name.py", "Lib/new_name.py")
    commit(repo, {"Lib/new_name.py": numbered_lines("old name", 12) + "renamed\n"},
           "Rename old_name to new_name")
    commit(repo, {"Lib/obsolete.py": None, "Lib/_emscripten_info.py": "platform = 'emscripten'\n"},
           "Replace obsolete.py by _emscripten_info.py")
    commit(repo, {"Doc/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x01\x02IHDR\xff\xfe"},
           "Update the logo (a binary file)")
    commit(repo, {"Misc/ACKS.latin1": "Jos\xe9\nFran\xe7ois\n".encode("latin-1")},
           "Thank Fran\u00e7ois in a Latin-1 file",
           author="Fran\u00e7ois Lef\u00e8vre <fl@example.invalid>")
    commit(repo, {"Lib/platform.py": numbered_lines("platform").replace(
        "platform line 3\n", "platform line 3 emscripten\n")},
        "gh-101234: Make platform.system() say Emscripten when it runs in a browser, "
        "a subject long enough to be folded")
    git(repo, "tag", "v2")


QUILT_SERIES = """\
# Debian-style series: comments, -p0, a disabled patch
embedder-streams.diff
#old-fix.diff
setup-p0.diff -p0

# plain diff -u without git headers
subprocess-plain.diff   # explains the browser
"""

EMBEDDER_DEP3 = (
    b"Description: Make the standard streams configurable for an embedder\n"
    b" A browser has no file descriptors of its own.\n"
    b" .\n"
    b" Second paragraph.\n"
    b"Author: Ben Wasmer <ben@pyodide.invalid>\n"
    b"Origin: vendor, https://github.com/pyodide/pyodide/pull/3456\n"
    b"Bug: https://github.com/python/cpython/issues/101234\n"
    b"Forwarded: https://github.com/python/cpython/pull/101235\n"
    b"Last-Update: 2023-02-21\n"
    b"\n"
    b"--- a/Python/pylifecycle.c\n"
    b"+++ b/Python/pylifecycle.c\n"
    b"@@ -4,3 +4,3 @@\n"
    b" pylifecycle line 4\n"
    b"-pylifecycle line 5\n"
    b"+pylifecycle line 5 (embedder)\n"
    b" pylifecycle line 6\n")

SETUP_P0 = (
    b"Description: Skip modules a WebAssembly target cannot build\n"
    b"Forwarded: not-needed\n"
    b"\n"
    b"Index: Modules/Setup.stdlib.in\n"
    b"===================================================================\n"
    b"--- Modules/Setup.stdlib.in.orig\n"
    b"+++ Modules/Setup.stdlib.in\n"
    b"@@ -9,3 +9,4 @@\n"
    b" setup line 9\n"
    b" setup line 10\n"
    b"+# no _ctypes on wasm32-emscripten\n"
    b" setup line 11\n")

SUBPROCESS_PLAIN = (
    b"Explain the subprocess error in the browser.\n"
    b"\n"
    b"diff -Naur a/Lib/subprocess.py b/Lib/subprocess.py\n"
    b"--- a/Lib/subprocess.py\t2023-01-01 00:00:00.000000000 +0000\n"
    b"+++ b/Lib/subprocess.py\t2023-01-01 00:00:00.000000000 +0000\n"
    b"@@ -1,2 +1,3 @@\n"
    b" subprocess line 1\n"
    b"+# Emscripten: no processes in a browser\n"
    b" subprocess line 2\n"
    b"--- a/PC/build.bat\n"
    b"+++ b/PC/build.bat\n"
    b"@@ -1,3 +1,3 @@\n"
    b" @echo off\r\n"
    b"-set A=1\r\n"
    b"+set A=9\r\n"
    b" set B=2\r\n")


def _quilt(path: Path) -> None:
    path.mkdir()
    (path / "series").write_text(QUILT_SERIES)
    (path / "embedder-streams.diff").write_bytes(EMBEDDER_DEP3)
    (path / "setup-p0.diff").write_bytes(SETUP_P0)
    (path / "subprocess-plain.diff").write_bytes(SUBPROCESS_PLAIN)
    (path / "old-fix.diff").write_bytes(b"Description: no longer needed\n")


@dataclass(frozen=True)
class Sources:
    root: Path
    upstream: Path
    format_patch: Path
    mbox: Path
    quilt: Path


def build_sources(root: Path) -> Sources:
    with hermetic_env(root / "home"):
        upstream = root / "upstream"
        upstream.mkdir(parents=True)
        git(upstream, "init", "-q", "-b", "main")
        commit(upstream, upstream_files(), "Python 1.0")
        git(upstream, "tag", "v1")
        git(upstream, "branch", "3.11")
        _edge_commits(upstream)
        fp = root / "format-patch"
        git(upstream, "format-patch", "-q", "--binary", "-o", str(fp), "v1..downstream")
        # a header that people added, which must survive
        first = min(fp.iterdir())
        data = first.read_bytes().replace(b"\nSubject:", b"\nX-Pyodide-Reviewed-By: Ada\nSubject:",
                                          1)
        first.write_bytes(data)
        mbox = root / "series.mbox"
        with mbox.open("wb") as out:
            out.write(git_bytes(upstream, "format-patch", "--stdout", "--binary",
                                "--cover-letter", "v1..downstream"))
        quilt = root / "quilt"
        _quilt(quilt)
        git(upstream, "checkout", "-q", "main")
    return Sources(root, upstream, fp, mbox, quilt)


def git_bytes(repo: Path, *args: str) -> bytes:
    import subprocess

    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True).stdout


def fresh(sources: Sources, tmp: Path) -> tuple[Path, Path]:
    """A copy of the upstream clone and an empty patch repo beside it: (upstream, patch repo)."""
    upstream = tmp / "cpython"
    shutil.copytree(sources.upstream, upstream, symlinks=True)
    repo = tmp / "patches"
    repo.mkdir()
    git(repo, "init", "-q")
    return upstream, repo


def imported(sources: Sources, tmp: Path, tracks: tuple[str, ...] = ("3.11",)) -> tuple[Path, Path]:
    """``fresh``, then ``patchq init`` and the quilt sample imported on v1 as each of
    ``tracks``: (upstream, patch repo)."""
    upstream, repo = fresh(sources, tmp)
    assert patchq("-C", str(repo), "init", "--upstream", "../cpython").code == 0
    for track in tracks:
        res = patchq("-C", str(repo), "import", str(sources.quilt), "--track", track,
                     "--base", "v1")
        assert res.code == 0, res.text
    return upstream, repo
