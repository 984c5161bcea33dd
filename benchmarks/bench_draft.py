"""Benchmark `patchq draft --all` (offline) against doing the same port by hand with git.

Real data: Debian's quilt series for CPython 3.13.5 (62 patches) in a clone of the real CPython
repository, every patch marked upstreamable, drafted onto ``main`` (3.13.15 there). Side by side,
in the same run, on copies of the same clone:

- ``patchq draft --all --target main``: per patch, port onto main (3-way, scratch index), write
  drafts/<slug>/{issue,pr}.md and news.rst, move patchq/draft/<slug>;
- a second ``patchq draft --all`` (nothing changed: everything is left as it is);
- the baseline, what a person does by hand for the same patches: for each one, in a worktree
  on main, ``git apply --3way`` and ``git commit`` on a new branch, ``git reset --hard`` after
  a conflict (no drafts written at all).

Run: ``python benchmarks/bench_draft.py [--data /tmp/rd]`` (skipped when the data is absent).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=check)


def setup(data: Path, root: Path) -> Path:
    run("git", "clone", "-q", str(data / "cpython"), str(root / "cpython"))
    repo = root / "patches"
    repo.mkdir()
    run("patchq", "init", "--upstream", "../cpython", "--github", "python/cpython", "--fork",
        "me/cpython", cwd=repo)
    run("patchq", "import", str(data / "debian" / "3.13.5"), "--track", "3.13", "--base",
        "v3.13.5", cwd=repo)
    path = repo / "upstream_map.toml"
    path.write_text(path.read_text().replace('disposition = "undecided"',
                                             'disposition = "upstreamable"'))
    return repo


def by_hand(data: Path, clone: Path) -> tuple[float, int]:
    """git apply --3way + commit for every patch of the series, on main, in a worktree."""
    series = data / "debian" / "3.13.5"
    names = [ln.split()[0] for ln in (series / "series").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    work = clone.parent / "by-hand"
    run("git", "worktree", "add", "-q", "--detach", str(work), "main", cwd=clone)
    ok = 0
    start = time.perf_counter()
    for number, name in enumerate(names):
        strip = "-p0" if "-p0" in (series / "series").read_text().split(name, 1)[1][:6] else "-p1"
        run("git", "checkout", "-q", "-B", f"by-hand/{number}", "main", cwd=work)
        res = run("git", "apply", "--3way", strip, str(series / name), cwd=work, check=False)
        if res.returncode == 0 and run("git", "diff", "--cached", "--quiet", cwd=work,
                                       check=False).returncode == 1:
            run("git", "commit", "-q", "-m", name, cwd=work)
            ok += 1
        else:
            run("git", "reset", "-q", "--hard", cwd=work)
    return time.perf_counter() - start, ok


def timed(*args: str, cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    res = run(*args, cwd=cwd, check=False)
    return time.perf_counter() - start, res.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("PATCHQ_REALDATA", "/tmp/rd"))
    args = parser.parse_args()
    data = Path(args.data)
    if not (data / "cpython").is_dir() or not (data / "debian" / "3.13.5").is_dir():
        print(f"skipped: no real data in {data}")
        return 0
    with tempfile.TemporaryDirectory(prefix="patchq-bench-draft-") as tmp:
        root = Path(tmp)
        repo = setup(data, root / "a")
        shutil.copytree(root / "a", root / "b", symlinks=True)
        env_now = {"PATCHQ_NOW": "2026-11-25T12:00:00Z"}
        os.environ.update(env_now)
        first, out = timed("patchq", "draft", "--all", "--target", "main", cwd=repo)
        summary = next((ln for ln in out.splitlines() if "drafted," in ln), out[-200:])
        again, _ = timed("patchq", "draft", "--all", "--target", "main", cwd=repo)
        hand, ok = by_hand(data, root / "b" / "cpython")
    print(f"patchq draft --all (62 patches): {first:.2f} s  [{summary.strip()}]")
    print(f"patchq draft --all again:        {again:.2f} s")
    print(f"git apply --3way + commit each:  {hand:.2f} s  [{ok} applied]")
    print(f"ratio first run / by hand: {first / hand:.2f}; second run / by hand: "
          f"{again / hand:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
