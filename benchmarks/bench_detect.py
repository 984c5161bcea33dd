"""Benchmark upstream detection and `patchq status`.

1. Detection of N patches (default 100) against a range of M upstream commits (default
   20,000), built by ``synth.py`` (20% upstreamed, half of those with a NEWS file beside the
   fix; 10% partly upstreamed; others moved, reworded, conflicting or deleted upstream), side by
   side with the baseline ``git log -p RANGE | git patch-id --stable`` (patch-ids of the range,
   what the simplest detection must pay). Timed, interleaved, median of ``--runs``:

   - the baseline pipeline;
   - ``Detector.find_all`` alone (in a fresh process, its own clock);
   - ``patchq status --against v1.1 --no-write`` as a user runs it (new process), on the
     queue branch ``patchq checkout`` made, and without it (the series applied in a scratch
     index first).

   The states found are checked against what synth made (goal: within 1.5x of the baseline).

2. ``patchq status 3.11 --against main 3.12 3.11`` on the demo's sample (goal: under 1 s),
   beside ``patchq --version`` (the start-up alone).

3. With ``PATCHQ_REALDATA`` set: ``patchq status`` of Debian's 3.13.5 series (62 patches)
   against v3.13.15, beside ``git log -p v3.13.5..v3.13.15 | git patch-id --stable``.

Run: ``python benchmarks/bench_detect.py [--patches 100] [--commits 20000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synth import generate, setup_patchq

ENV = dict(os.environ, PATCHQ_PLAIN="1", GIT_TERMINAL_PROMPT="0")
for name in ("GITHUB_TOKEN", "GH_TOKEN", "PATCHQ_UPSTREAM"):
    ENV.pop(name, None)

DETECT = """
import sys, time, json
from patchq.git import Git
from patchq.detect import Detector, PatchChange
git = Git(sys.argv[1])
commits = git.queue_commits(git.resolve("v1.0"), git.resolve("downstream"))
changes = [PatchChange(c.slug or c.sha[:12], c.sha, c.message) for c in commits]
start = time.perf_counter()
found = Detector(git, "v1.1", since="v1.0").find_all(changes)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "states": [f.state.value for f in found],
                  "methods": [f.method.value if f.method else "" for f in found]}))
"""


def timed(argv: list[str], cwd: Path | None = None, shell: bool = False) -> tuple[float, str]:
    start = time.perf_counter()
    res = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, shell=shell,
                         executable="/bin/bash" if shell else None, check=False)
    elapsed = time.perf_counter() - start
    if res.returncode != 0:
        raise SystemExit(f"bench: {argv} failed: {res.stderr.decode()}")
    return elapsed, res.stdout.decode()


def patchq(*args: str) -> list[str]:
    return [sys.executable, "-m", "patchq", *args]


def bench_range(patches: int, commits: int, runs: int, root: Path) -> dict:
    print(f"building {patches} patches and {commits} upstream commits ...", file=sys.stderr)
    s = generate(root / "synth", patches=patches, upstreamed=patches // 5,
                 partial=patches // 10, offset=patches // 10, refreshed=patches // 10,
                 conflicting=patches // 20, obsolete=patches // 20, upstream_commits=commits)
    repo = setup_patchq(s)
    baseline = ["set -o pipefail; git log -p v1.0..v1.1 | git patch-id --stable >/dev/null"]
    status = patchq("-C", str(repo), "status", "main", "--against", "v1.1", "--no-write")
    times: dict[str, list[float]] = {"baseline": [], "detect": [], "detect_process": [],
                                     "status_built": [], "status_queue": []}
    result = {}
    for _ in range(runs):
        times["baseline"].append(timed(baseline, s.upstream, shell=True)[0])
        took, out = timed([sys.executable, "-c", DETECT, str(s.upstream)])
        result = json.loads(out)
        times["detect"].append(result["seconds"])
        times["detect_process"].append(took)
        if subprocess.run(["git", "rev-parse", "-q", "--verify", "patchq/main"], cwd=s.upstream,
                          capture_output=True, check=False).returncode == 0:
            timed(["git", "checkout", "-q", "main"], s.upstream)
            timed(["git", "branch", "-q", "-D", "patchq/main"], s.upstream)
        times["status_built"].append(timed(status)[0])
        timed(patchq("-C", str(repo), "checkout", "main"))
        times["status_queue"].append(timed(status)[0])
    expected = {"upstreamed": "present", "partial": "partial"}
    states = dict(zip(s.kinds, result["states"]))  # the queue is in series order
    confusion = Counter((s.kinds[slug], state) for slug, state in states.items())
    wrong = {slug: (s.kinds[slug], state) for slug, state in states.items()
             if state != expected.get(s.kinds[slug], "absent")}
    return {"patches": patches, "commits": commits,
            "median": {k: statistics.median(v) for k, v in times.items()},
            "confusion": {f"{k} -> {v}": n for (k, v), n in sorted(confusion.items())},
            "methods": dict(Counter(result["methods"])), "wrong": wrong}


def bench_demo(runs: int, root: Path) -> dict:
    from patchq.commands.demo import build_sample

    sample = build_sample(root / "demo")
    repo = str(sample.patch_repo)
    timed(patchq("-C", repo, "init", "--upstream", "../cpython", "--github", "python/cpython"))
    timed(patchq("-C", repo, "import", str(sample.incoming), "--track", "3.11", "--base",
                 "v3.11.2"))
    status = patchq("-C", repo, "status", "3.11", "--against", "main", "3.12", "3.11",
                    "--no-write")
    times: dict[str, list[float]] = {"version": [], "status": []}
    timed(status)  # warm the page cache and .pyc files once
    for _ in range(runs):
        times["version"].append(timed(patchq("--version"))[0])
        times["status"].append(timed(status)[0])
    return {"median": {k: statistics.median(v) for k, v in times.items()}}


def bench_realdata(data: Path, runs: int, root: Path) -> dict:
    """Debian's 3.13.5 series (62 patches) against v3.13.15 (one commit per release)."""
    upstream, repo = root / "rd-cpython", root / "rd-patches"
    timed(["git", "clone", "-q", str(data / "cpython"), str(upstream)])
    repo.mkdir()
    timed(patchq("-C", str(repo), "init", "--upstream", str(upstream)))
    timed(patchq("-C", str(repo), "import", str(data / "debian" / "3.13.5"), "--track", "3.13",
                 "--base", "v3.13.5"))
    timed(patchq("-C", str(repo), "checkout", "3.13"))
    baseline = [("set -o pipefail; git log -p v3.13.5..v3.13.15 | git patch-id --stable "
                ">/dev/null")]
    status = patchq("-C", str(repo), "status", "3.13", "--against", "v3.13.15", "--no-write")
    times: dict[str, list[float]] = {"baseline": [], "status": []}
    for _ in range(runs):
        times["baseline"].append(timed(baseline, upstream, shell=True)[0])
        times["status"].append(timed(status)[0])
    return {"median": {k: statistics.median(v) for k, v in times.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patches", type=int, default=100)
    parser.add_argument("--commits", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="Build under this (new) directory and keep it.")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="patchq-bench-detect-"))
    root.mkdir(parents=True, exist_ok=True)
    big = bench_range(args.patches, args.commits, args.runs, root)
    demo = bench_demo(max(args.runs, 7), root)
    data = os.environ.get("PATCHQ_REALDATA")
    real = bench_realdata(Path(data), args.runs, root) if data and \
        (Path(data) / "cpython").is_dir() else None
    m = big["median"]
    base = m["baseline"]
    print(f"\nDetection: {big['patches']} patches, {big['commits']} upstream commits, "
          f"median of {args.runs} runs (2 cores, shared)\n")
    print("| run | time | vs. baseline |\n| --- | --- | --- |")
    for label, key in (("baseline: `git log -p RANGE \\| git patch-id --stable`", "baseline"),
                       ("`Detector.find_all` (100 patches)", "detect"),
                       ("the same in a new process (start-up, imports)", "detect_process"),
                       ("`patchq status` on the queue branch", "status_queue"),
                       ("`patchq status`, series applied first", "status_built")):
        print(f"| {label} | {m[key]:.2f} s | {m[key] / base:.2f}x |")
    print(f"\nstates found (synth kind -> state): {big['confusion']}")
    print(f"methods: {big['methods']}; wrong: {big['wrong'] or 'none'}")
    d = demo["median"]
    print(f"\nDemo sample: `patchq status 3.11 --against main 3.12 3.11`: {d['status']:.2f} s "
          f"(start-up alone, `patchq --version`: {d['version']:.2f} s)")
    if real:
        r = real["median"]
        print(f"\nReal data (Debian 3.13.5 series, 62 patches, against v3.13.15): `patchq status` "
              f"{r['status']:.2f} s, `git log -p v3.13.5..v3.13.15 | git patch-id --stable` "
              f"{r['baseline']:.2f} s: {r['status'] / r['baseline']:.2f}x")
    return 1 if big["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
