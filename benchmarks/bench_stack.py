"""Benchmark `patchq push -a` / `pop -a` against `quilt push -a` / `pop -a` on the same patches.

Builds a synthetic upstream and series with benchmarks/synth.py (``--patches`` patches, each
changing its own file in two hunks, on a tree of ``--files`` more files), then, side by side
in the same run:

- patchq: a patch repo importing the series as track ``main``, its queue branch checked out;
  ``patchq pop -a`` then ``patchq push -a`` (a new process each, start-up included, as a user
  runs them: the queue branch, the work tree and the manifest move);
- quilt: a plain copy of the same tree at v1.0 with ``QUILT_PATCHES`` pointing at the same
  series directory; ``quilt pop -a`` then ``quilt push -a`` (``-q``, no refresh).

Runs alternate (patchq, quilt, patchq, ...) so both see the same machine load; the median of
``--runs`` is reported with the ratio patchq / quilt (below 1: patchq is faster). It also
counts the git processes one ``patchq push -a`` starts, per patch.

Run: ``python benchmarks/bench_stack.py [--patches 1000] [--files 2000] [--runs 3] [--keep DIR]``.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import TRACK, generate, setup_patchq


def run(args: list[str], cwd: Path | None = None, env: dict | None = None,
        ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    res = subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if res.returncode not in ok:
        raise SystemExit(f"{' '.join(args[:4])} failed ({res.returncode}): "
                         f"{res.stderr.decode()[-2000:]}")
    return elapsed


def quilt_tree(upstream: Path, series: Path, dest: Path) -> Path:
    """A plain directory with upstream's v1.0 files and a ``patches`` link to the series."""
    dest.mkdir()
    archive = subprocess.run(["git", "archive", "v1.0"], cwd=upstream, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    (dest / "patches").symlink_to(series)
    return dest


def count_git_processes(patchq: list[str], env: dict) -> int:
    """How many git processes one `patchq push -a` starts (through a counting git wrapper)."""
    real_git = shutil.which("git")
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log"
        wrapper = Path(tmp) / "git"
        wrapper.write_text(f"#!/bin/sh\necho x >> {log}\nexec {real_git} \"$@\"\n")
        wrapper.chmod(0o755)
        counted = dict(env, PATH=f"{tmp}{os.pathsep}{env.get('PATH', '')}")
        run(patchq + ["push", "-a", "-q"], env=counted)
        return len(log.read_text().splitlines())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patches", type=int, default=1000)
    parser.add_argument("--files", type=int, default=2000, help="other files in the tree")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build here and keep it")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if shutil.which("quilt") is None:
        raise SystemExit("quilt is not installed")

    root = args.keep or Path(tempfile.mkdtemp(prefix="patchq-bench-stack-"))
    try:
        synth = generate(root / "synth", patches=args.patches, upstream_files=args.files,
                         history=2, upstream_commits=1)
        repo = setup_patchq(synth)
        env = dict(os.environ, PATCHQ_PLAIN="1", QUILT_PATCHES="patches")
        patchq = [sys.executable, "-m", "patchq", "-C", str(repo)]
        run(patchq + ["checkout", TRACK], env=env)
        tree = quilt_tree(synth.upstream, synth.series, root / "quilt")
        quilt = ["quilt", "--quiltrc", "-"]

        times: dict[str, list[float]] = {k: [] for k in
                                         ("patchq push", "quilt push", "patchq pop", "quilt pop")}
        for _ in range(args.runs):
            times["patchq pop"].append(run(patchq + ["pop", "-a", "-q"], env=env))
            times["patchq push"].append(run(patchq + ["push", "-a", "-q"], env=env))
            times["quilt push"].append(run(quilt + ["push", "-a", "-q"], cwd=tree, env=env))
            times["quilt pop"].append(run(quilt + ["pop", "-a", "-q"], cwd=tree, env=env))
        run(patchq + ["pop", "-a", "-q"], env=env)
        gits = count_git_processes(patchq, env)

        med = {k: statistics.median(v) for k, v in times.items()}
        figures = {
            "patches": args.patches, "files": args.files + args.patches + 1, "runs": args.runs,
            "seconds": {k: round(v, 3) for k, v in med.items()},
            "ratio_push": round(med["patchq push"] / med["quilt push"], 3),
            "ratio_pop": round(med["patchq pop"] / med["quilt pop"], 3),
            "git_processes_per_patch": round(gits / args.patches, 2),
        }
        if args.json:
            print(json.dumps(figures, indent=2))
        else:
            print(f"{args.patches} patches on a tree of {figures['files']} files, "
                  f"median of {args.runs} runs")
            for what in ("push", "pop"):
                p, q = med[f"patchq {what}"], med[f"quilt {what}"]
                print(f"  {what} -a: patchq {p:.2f} s, quilt {q:.2f} s, ratio {p / q:.2f}")
            print(f"  git processes per pushed patch: {figures['git_processes_per_patch']}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
