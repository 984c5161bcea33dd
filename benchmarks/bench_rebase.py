"""Benchmark `patchq rebase` beside `git rebase`, `quilt push -a` and `stg rebase --merged`.

Data: benchmarks/synth.py with N patches (default N = 50 and 1000) on v1.0, and an upstream
v1.1 of max(N, 200) commits on top: 10% of the patches meet lines inserted above them
(offset), 5% a changed context line (refreshed, 3-way merge), 5% are upstream already (half
of them with the same patch-id, half with an extra NEWS file); the rest are untouched. No
conflicts, so no tool stops.

Side by side in one run, each run on a fresh copy of the same prepared repositories (the copy
is not timed), runs interleaved, best of ``--runs``:

- ``patchq rebase main --onto v1.1``: the whole job as a user runs it -- outcomes and
  evidence, series files written, map updated, queue branch moved, summary with range-diff
  (the queue branch is checked out beforehand, as `patchq checkout` leaves it);
- ``git rebase --onto v1.1 v1.0`` of the same queue commits (branch checked out);
- ``stg rebase --merged v1.1`` of the same commits as an StGit stack (``stg uncommit``);
- ``quilt push -a`` of the same patch files on a plain tree of v1.1, without the patches that
  are upstream (quilt cannot drop them: a maintainer removes them by hand first).

Reported: wall time (best), CPU time of that run (user + sys of the process tree: the machine
is shared), patchq's max RSS, and ratios patchq / baseline (below 1: patchq is faster).

Run: ``python benchmarks/bench_rebase.py [--sizes 50 1000] [--runs 5] [--no-stg] [--json F]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth

PATCHQ = [sys.executable, "-m", "patchq"]


def environment(home: Path) -> dict:
    env = dict(os.environ, HOME=str(home), GIT_CONFIG_NOSYSTEM="1", PATCHQ_PLAIN="1",
               LC_ALL="C", QUILT_PC=".pc")
    env.pop("PATCHQ_UPSTREAM", None)
    # as installed for a user: Python's bytecode cached (else every run compiles patchq anew)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    config = home / "gitconfig"
    config.write_text("[user]\n\tname = Bench\n\temail = bench@example.invalid\n"
                      "[advice]\n\tdetachedHead = false\n\tskippedCherryPicks = false\n")
    env["GIT_CONFIG_GLOBAL"] = str(config)
    return env


def timed(args: list[str], cwd: Path, env: dict, ok=(0,)) -> tuple[float, float, int]:
    """(wall seconds, cpu seconds of the process tree, max RSS in KiB) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    res = subprocess.run(["/usr/bin/time", "-f", "%M", *args], cwd=cwd, env=env,
                         capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode not in ok:
        raise SystemExit(f"{' '.join(args)} failed ({res.returncode}):\n"
                         f"{res.stderr.decode(errors='replace')[-3000:]}")
    rss = int(res.stderr.decode().strip().splitlines()[-1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, rss


def run_quiet(args: list[str], cwd: Path, env: dict) -> None:
    res = subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {res.stderr.decode(errors='replace')}")


def prepare(root: Path, n: int, env: dict) -> Path:
    """The pristine repositories for size ``n`` (copied for every timed run)."""
    pristine = root / f"n{n}"
    made = synth.generate(pristine, n, upstreamed=max(n // 20, 1), offset=max(n // 10, 1),
                          refreshed=max(n // 20, 1), upstream_commits=max(n, 200),
                          upstream_files=300)
    up = made.upstream
    # patchq: a patch repo with the series imported and the queue branch checked out
    patches = pristine / "patches"
    patches.mkdir()
    run_quiet(["git", "init", "-q", "-b", "main"], patches, env)
    run_quiet([*PATCHQ, "-C", str(patches), "init", "--upstream", "../upstream"], patches, env)
    run_quiet([*PATCHQ, "-C", str(patches), "import", str(made.series), "--track", "main",
               "--base", "v1.0", "--follows", "main"], patches, env)
    run_quiet([*PATCHQ, "-C", str(patches), "checkout", "main"], patches, env)
    # git: a branch with the queue commits (the same patches, from the same files)
    run_quiet(["git", "branch", "gitq", "patchq/main"], up, env)
    # StGit: a stack of the same commits
    run_quiet(["git", "branch", "stgq", "patchq/main"], up, env)
    # quilt: a plain tree of v1.1 and the series without the upstreamed patches
    tree = pristine / "quilt-tree"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", "v1.1"], cwd=up, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x"], cwd=tree, input=archive, check=True)
    quilt_patches = pristine / "quilt-patches"
    quilt_patches.mkdir()
    keep = []
    for name in (made.series / "series").read_text().split():
        slug = name[len("0001-"):-len(".patch")]
        if made.kinds.get(slug) != "upstreamed":
            shutil.copy(made.series / name, quilt_patches / name)
            keep.append(name)
    (quilt_patches / "series").write_text("".join(k + "\n" for k in keep))
    (pristine / "expected.json").write_text(json.dumps(made.expected))
    return pristine


def fresh(pristine: Path, work: Path, env: dict) -> Path:
    """A copy of the pristine repositories, with git's index refreshed (a copy has new file
    times: the first git command would re-read every file, whichever tool runs it)."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(pristine, work, symlinks=True)
    for repo in (work / "upstream", work / "patches"):
        subprocess.run(["git", "update-index", "-q", "--refresh"], cwd=repo, env=env,
                       capture_output=True, check=False)
    return work


def bench_size(root: Path, n: int, runs: int, env: dict, with_stg: bool) -> dict:
    pristine = prepare(root, n, env)
    work = root / "work"
    tools = ["patchq", "git", "quilt"] + (["stg"] if with_stg else [])
    results: dict[str, list[tuple[float, float, int]]] = {t: [] for t in tools}
    outcome_counts = None
    for number in range(runs):
        for tool in tools:
            if tool == "stg" and number > 0 and n >= 500:
                continue  # StGit takes minutes at this size: one run
            w = fresh(pristine, work, env)
            up = w / "upstream"
            if tool == "patchq":
                args = [*PATCHQ, "-C", str(w / "patches"), "rebase", "main", "--onto", "v1.1",
                        "--json"]
                results[tool].append(timed(args, w / "patches", env))
                if outcome_counts is None:
                    outcome_counts = _counts(w)
            elif tool == "git":
                run_quiet(["git", "checkout", "-q", "gitq"], up, env)
                results[tool].append(timed(["git", "rebase", "-q", "--onto", "v1.1", "v1.0"],
                                           up, env))
            elif tool == "stg":
                run_quiet(["git", "checkout", "-q", "stgq"], up, env)
                run_quiet(["stg", "init"], up, env)
                run_quiet(["stg", "uncommit", "-n", str(n)], up, env)
                results[tool].append(timed(["stg", "rebase", "--merged", "v1.1"], up, env))
            elif tool == "quilt":
                qenv = dict(env, QUILT_PATCHES=str(w / "quilt-patches"))
                results[tool].append(timed(["quilt", "push", "-a", "-q"], w / "quilt-tree",
                                           qenv))
    best = {t: min(v, key=lambda r: r[0]) for t, v in results.items() if v}
    out = {"patches": n, "runs": runs, "outcomes": outcome_counts,
           "best": {t: {"wall_s": round(b[0], 3), "cpu_s": round(b[1], 3), "max_rss_kib": b[2]}
                    for t, b in best.items()},
           "all_wall_s": {t: [round(r[0], 3) for r in v] for t, v in results.items()}}
    out["ratios"] = {f"patchq/{t}": round(best["patchq"][0] / best[t][0], 2)
                     for t in best if t != "patchq"}
    out["cpu_ratios"] = {f"patchq/{t}": round(best["patchq"][1] / best[t][1], 2)
                         for t in best if t != "patchq" and best[t][1] > 0}
    shutil.rmtree(work, ignore_errors=True)
    return out


def _counts(w: Path) -> dict:
    import tomllib

    data = tomllib.loads((w / "patches" / "upstream_map.toml").read_text())
    return dict(data["tracks"]["main"].get("last_rebase", {}).get("counts", {}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 1000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-stg", action="store_true", help="leave StGit out")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", type=Path, help="build under this directory and keep it")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="patchq-bench-rebase-"))
    root.mkdir(parents=True, exist_ok=True)
    home = root / "home"
    home.mkdir(exist_ok=True)
    env = environment(home)
    report = []
    try:
        for n in args.sizes:
            result = bench_size(root, n, args.runs if n < 500 else max(args.runs // 2, 2),
                                env, not args.no_stg)
            report.append(result)
            print(f"\nN = {n} patches (best of {result['runs']}); outcomes {result['outcomes']}")
            print(f"{'tool':8} {'wall s':>8} {'cpu s':>8} {'max RSS MB':>11}")
            for tool, best in result["best"].items():
                print(f"{tool:8} {best['wall_s']:8.3f} {best['cpu_s']:8.3f} "
                      f"{best['max_rss_kib'] / 1024:11.1f}")
            print("ratios (wall):", result["ratios"], " (cpu):", result["cpu_ratios"])
            print("all runs (wall):", result["all_wall_s"])
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
