"""patchq's fixed cost per command, beside ``python -c pass``, and where the time goes.

Timings: ``python -c pass``, ``patchq --help`` and ``patchq list TRACK`` (on Debian's real
3.13.5 series when ``--realdata``/PATCHQ_REALDATA points at the real data, else on a synthetic
series of 62 patches), interleaved, ``--runs`` times each; medians and bests, and each
command's excess over ``python -c pass``.

``--profile``: the top items of a cProfile (by own time) and of ``-X importtime`` for a small
rebase (benchmarks/synth.py, N = 50), a ``list``, a ``status`` and a ``checkout``.

Run: ``python benchmarks/bench_fixed.py [--runs 31] [--realdata DIR] [--profile]``.
"""

from __future__ import annotations

import argparse
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_rebase
import synth

PY = sys.executable
PATCHQ_SCRIPT = str(Path(PY).with_name("patchq"))


def _run(args: list[str], cwd: Path, env: dict) -> None:
    res = subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({res.returncode}):\n"
                         f"{res.stderr.decode(errors='replace')[-2000:]}")


def patch_repo(root: Path, env: dict, realdata: Path | None) -> tuple[Path, str]:
    """A patch repo with one track imported: (its path, the track)."""
    patches = root / "patches"
    patches.mkdir()
    _run(["git", "init", "-q", "-b", "main"], patches, env)
    if realdata is not None:
        clone = root / "cpython"
        _run(["git", "clone", "-q", "--shared", "--no-checkout", str(realdata / "cpython"),
              str(clone)], root, env)
        source, track, base = realdata / "debian" / "3.13.5", "3.13", "v3.13.5"
    else:
        made = synth.generate(root / "synth", 62, upstreamed=1, offset=1, refreshed=1,
                              upstream_commits=20, upstream_files=100)
        clone, source, track, base = made.upstream, made.series, "main", "v1.0"
    _run([PY, "-m", "patchq", "-C", str(patches), "init", "--upstream", str(clone)],
         patches, env)
    _run([PY, "-m", "patchq", "-C", str(patches), "import", str(source), "--track", track,
          "--base", base], patches, env)
    return patches, track


def timings(commands: dict[str, list[str]], cwd: Path, env: dict, runs: int) -> dict:
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, args in commands.items():
            start = time.perf_counter()
            _run(args, cwd, env)
            walls[name].append(time.perf_counter() - start)
    return {name: (statistics.median(v), min(v)) for name, v in walls.items()}


def profile(args: list[str], cwd: Path, env: dict, out: Path, top: int = 12) -> list[str]:
    """The top items of one run's cProfile (own time) and of its imports (cumulative)."""
    prof = out.with_suffix(".prof")
    _run([PY, "-m", "cProfile", "-o", str(prof), "-m", "patchq", *args], cwd, env)
    lines = []
    stats = pstats.Stats(str(prof))
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
    lines.append(f"  cProfile, {total:.3f} s in all; by own time:")
    for (path, line, func), (_cc, calls, own, cum, _callers) in rows[:top]:
        where = f"{Path(path).name}:{line}" if line else path
        lines.append(f"    {own * 1000:7.1f} ms own {cum * 1000:7.1f} ms cum {calls:6d} x "
                     f"{func} ({where})")
    res = subprocess.run([PY, "-X", "importtime", "-m", "patchq", *args], cwd=cwd, env=env,
                         capture_output=True, check=False)
    imports = []
    for row in res.stderr.decode(errors="replace").splitlines():
        if not row.startswith("import time:") or "|" not in row:
            continue
        _self, cumulative, name = (part.strip() for part in row[12:].split("|"))
        if cumulative.isdigit() and not name.startswith(" ") and "." not in name.strip():
            imports.append((int(cumulative), name.strip()))
    top_level = sorted(imports, reverse=True)[:8]
    lines.append("  imports (top-level packages, cumulative): " + ", ".join(
        f"{name} {us / 1000:.0f} ms" for us, name in top_level))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument("--realdata", type=Path, default=os.environ.get("PATCHQ_REALDATA"))
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="patchq-bench-fixed-"))
    try:
        home = root / "home"
        home.mkdir()
        env = bench_rebase.environment(home)
        realdata = args.realdata if args.realdata and (args.realdata / "cpython").is_dir() \
            else None
        patches, track = patch_repo(root, env, realdata)
        patchq = [PATCHQ_SCRIPT] if Path(PATCHQ_SCRIPT).exists() else [PY, "-m", "patchq"]
        commands = {"python -c pass": [PY, "-c", "pass"],
                    "patchq --help": [*patchq, "--help"],
                    f"patchq list {track}": [*patchq, "list", track]}
        result = timings(commands, patches, env, args.runs)
        base = result["python -c pass"][0]
        what = "Debian's 3.13.5 series" if realdata else "a synthetic 62-patch series"
        print(f"{args.runs} interleaved runs on {what}; median (best), excess over python:")
        for name, (median, best) in result.items():
            extra = "" if name == "python -c pass" else f"  +{(median - base) * 1000:.0f} ms"
            print(f"  {name:28s} {median * 1000:6.0f} ms ({best * 1000:.0f}){extra}")
        if args.profile:
            _profiles(root, env, patches, track)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


def _profiles(root: Path, env: dict, patches: Path, track: str) -> None:
    print(f"\nlist {track}:")
    print("\n".join(profile(["list", track], patches, env, root / "list")))
    made = root / "n50"
    pristine = bench_rebase.prepare(made, 50, env)
    work = bench_rebase.fresh(pristine, root / "work", env)
    print("\nrebase main --onto v1.1 (N = 50):")
    print("\n".join(profile(["rebase", "main", "--onto", "v1.1", "--json"], work / "patches",
                            env, root / "rebase")))
    print("\nstatus main --against v1.1 --no-write (N = 50):")
    print("\n".join(profile(["status", "main", "--against", "v1.1", "--no-write"],
                            work / "patches", env, root / "status")))
    print("\ncheckout main --force (N = 50, rebuilds the queue):")
    print("\n".join(profile(["checkout", "main", "--force"], work / "patches", env,
                            root / "checkout")))


if __name__ == "__main__":
    raise SystemExit(main())
