"""Run every benchmark: each benchmarks/bench_*.py in turn, as its own process.

Each script measures one area side by side with its baseline and prints a small table; this
runner only finds them, runs them with their defaults, and says which failed. Real-data
benchmarks look for PATCHQ_REALDATA (default /tmp/rd) and say so when it is absent.

Run: ``python benchmarks/run.py [-k NAME] [-- ARGS...]`` (``-k spine`` runs bench_spine.py;
ARGS after ``--`` go to every script, so use them with ``-k``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts(pattern: str | None) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if pattern:
        found = [p for p in found if pattern in p.stem]
    return found


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1:]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", dest="pattern", help="only the scripts whose name contains this")
    args = parser.parse_args(argv)
    todo = scripts(args.pattern)
    if not todo:
        print(f"no benchmark matches {args.pattern!r}", file=sys.stderr)
        return 1
    # measure what users get: Python may write its bytecode caches
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    failed = []
    for script in todo:
        print(f"== {script.name}", flush=True)
        start = time.perf_counter()
        res = subprocess.run([sys.executable, str(script), *extra], env=env, check=False)
        took = time.perf_counter() - start
        print(f"-- {script.name}: {'ok' if res.returncode == 0 else 'FAILED'} "
              f"({took:.0f} s)\n", flush=True)
        if res.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
