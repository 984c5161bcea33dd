"""Benchmark the spine: `patchq --help` start-up, and import + checkout of a real series
next to `git am` and `quilt push -a` of the same patches.

Start-up: `patchq --help` as a new process, ``--help-runs`` times, next to `python -c pass`
(the interpreter alone) and `git --version`, runs interleaved; medians.

Import and checkout (needs the real data, ``--data`` or env PATCHQ_REALDATA, default /tmp/rd,
skipped when absent): Debian's quilt series for CPython 3.13.5 (62 patches) in a clone of the
real CPython repository. Side by side, in the same run, interleaved, ``--runs`` times each:

- ``patchq import`` (copies the files, checks that every patch applies) then
  ``patchq checkout`` (builds the queue branch and checks it out), as a user runs them;
- ``patchq checkout`` alone (the queue rebuilt from the series);
- ``git am`` of the same 62 patches as mail files (``git format-patch`` of the queue), on a
  branch at v3.13.5: git's own way to turn patch files into commits;
- ``quilt push -a`` of Debian's series on a plain tree of v3.13.5 (no git at all).

Every run starts from the same state (HEAD detached at v3.13.5, no queue branch). Ratios are
patchq's median over the baseline's (below 1: patchq is faster).

Run: ``python benchmarks/bench_spine.py [--runs 5] [--help-runs 30] [--data /tmp/rd]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VERSION, TRACK = "3.13.5", "3.13"


def run(*args: str, cwd: Path | None = None, env: dict | None = None) -> float:
    """Run a command; return its wall time in seconds (it must succeed)."""
    start = time.perf_counter()
    res = subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} ... failed ({res.returncode}): "
                         f"{res.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                          check=True).stdout.strip()


def environment(home: Path) -> dict:
    env = dict(os.environ, HOME=str(home), GIT_CONFIG_NOSYSTEM="1", PATCHQ_PLAIN="1",
               LC_ALL="C")
    # as users run it: no upstream override, and Python may write its bytecode caches
    for name in ("PATCHQ_UPSTREAM", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    config = home / "gitconfig"
    config.write_text("[user]\n\tname = Bench\n\temail = bench@example.invalid\n"
                      "[advice]\n\tdetachedHead = false\n")
    env["GIT_CONFIG_GLOBAL"] = str(config)
    return env


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


# -- start-up -------------------------------------------------------------------------------


def bench_help(runs: int, env: dict) -> dict:
    patchq = shutil.which("patchq") or "patchq"
    commands = {"patchq --help": [patchq, "--help"],
                "python -c pass": [sys.executable, "-c", "pass"],
                "git --version": ["git", "--version"]}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # warm the caches (bytecode, page cache) once
        run(*argv, env=env)
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(run(*argv, env=env))
    return {name: median_ms(values) for name, values in times.items()}


# -- import and checkout ----------------------------------------------------------------------


class Spine:
    """The clone, the mail copies of the series, the quilt tree, and how to reset them."""

    def __init__(self, data: Path, root: Path, env: dict) -> None:
        self.data, self.root, self.env = data, root, env
        self.series = data / "debian" / VERSION
        self.clone = root / "cpython"
        subprocess.run(["git", "clone", "-q", str(data / "cpython"), str(self.clone)],
                       check=True, env=env)
        git(self.clone, "checkout", "-q", "--detach", f"v{VERSION}")
        # mail-format copies for git am: the queue patchq builds, as git format-patch writes it
        self.patchq_run(self.fresh_repo("setup"), import_=True)
        self.mails = root / "mails"
        # mboxrd: one Debian patch quotes a whole mail header in its description
        git(self.clone, "format-patch", "-q", "--zero-commit", "--binary", "--pretty=mboxrd",
            "-o", str(self.mails), f"v{VERSION}..patchq/{TRACK}")
        self.count = len(list(self.mails.iterdir()))
        self.reset()
        # a plain tree of the release for quilt
        self.quilt_tree = root / "quilt-tree"
        self.quilt_tree.mkdir()
        archive = subprocess.run(["git", "archive", f"v{VERSION}"], cwd=self.clone,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(self.quilt_tree)], input=archive, check=True)

    def fresh_repo(self, name: str) -> Path:
        repo = self.root / f"patches-{name}"
        if repo.exists():
            shutil.rmtree(repo)
        repo.mkdir()
        run("patchq", "init", "--upstream", str(self.clone), cwd=repo, env=self.env)
        return repo

    def reset(self) -> None:
        git(self.clone, "checkout", "-q", "--detach", f"v{VERSION}")
        for branch in (f"patchq/{TRACK}", "am"):
            subprocess.run(["git", "branch", "-q", "-D", branch], cwd=self.clone,
                           capture_output=True, check=False)
        shutil.rmtree(self.clone / ".git" / "patchq", ignore_errors=True)

    def patchq_run(self, repo: Path, import_: bool) -> tuple[float, float]:
        """(import seconds, checkout seconds)."""
        imported = 0.0
        if import_:
            imported = run("patchq", "import", str(self.series), "--track", TRACK, "--base",
                           f"v{VERSION}", cwd=repo, env=self.env)
        checkout = run("patchq", "checkout", TRACK, cwd=repo, env=self.env)
        return imported, checkout

    def git_am_run(self) -> float:
        git(self.clone, "checkout", "-q", "-b", "am", f"v{VERSION}")
        mails = sorted(str(p) for p in self.mails.iterdir())
        return run("git", "am", "-q", "--keep-cr", "--patch-format=mboxrd", *mails,
                   cwd=self.clone, env=self.env)

    def quilt_run(self) -> float:
        env = dict(self.env, QUILT_PATCHES=str(self.series), QUILT_PC=".pc")
        elapsed = run("quilt", "push", "-a", "-q", cwd=self.quilt_tree, env=env)
        run("quilt", "pop", "-a", "-q", cwd=self.quilt_tree, env=env)
        return elapsed


def bench_spine(data: Path, runs: int, env: dict, keep: Path | None) -> dict:
    root = keep or Path(tempfile.mkdtemp(prefix="patchq-bench-spine-"))
    try:
        spine = Spine(data, root, env)
        times: dict[str, list[float]] = {k: [] for k in (
            "patchq import", "patchq checkout (after import)", "patchq import + checkout",
            "patchq checkout (rebuild)", "git am", "quilt push -a")}
        for number in range(runs):
            spine.reset()
            imported, checkout = spine.patchq_run(spine.fresh_repo(str(number)), import_=True)
            times["patchq import"].append(imported)
            times["patchq checkout (after import)"].append(checkout)
            times["patchq import + checkout"].append(imported + checkout)
            spine.reset()
            times["patchq checkout (rebuild)"].append(
                spine.patchq_run(root / f"patches-{number}", import_=False)[1])
            spine.reset()
            times["git am"].append(spine.git_am_run())
            spine.reset()
            times["quilt push -a"].append(spine.quilt_run())
        return {"patches": spine.count, "runs": runs,
                "median_ms": {k: median_ms(v) for k, v in times.items()}}
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--help-runs", type=int, default=30)
    parser.add_argument("--data", type=Path,
                        default=Path(os.environ.get("PATCHQ_REALDATA", "/tmp/rd")))
    parser.add_argument("--keep", type=Path, help="build the import benchmark here; keep it")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="patchq-bench-home-") as home:
        env = environment(Path(home))
        figures: dict = {"startup_ms": bench_help(args.help_runs, env)}
        if (args.data / "cpython" / ".git").is_dir() and \
                (args.data / "debian" / VERSION / "series").is_file():
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
            figures["spine"] = bench_spine(args.data, args.runs, env, args.keep)
        else:
            figures["spine"] = None
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    start = figures["startup_ms"]
    print(f"Start-up (median of {args.help_runs} runs, a new process each)")
    print(f"  {'command':<34}{'ms':>8}")
    for name, ms in start.items():
        print(f"  {name:<34}{ms:>8.1f}")
    print(f"  patchq --help / python -c pass: {start['patchq --help'] / start['python -c pass']:.2f}")
    spine = figures["spine"]
    if spine is None:
        print(f"\nImport and checkout: skipped (no real data in {args.data}; see "
              "docs/development.md)")
        return 0
    ms = spine["median_ms"]
    am = ms["git am"]
    print(f"\nImport and checkout of Debian's {VERSION} series ({spine['patches']} patches), "
          f"median of {spine['runs']} runs")
    print(f"  {'what':<34}{'ms':>8}{'/ git am':>10}")
    for name, value in ms.items():
        print(f"  {name:<34}{value:>8.0f}{value / am:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
