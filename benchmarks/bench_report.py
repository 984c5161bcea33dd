"""Benchmark `patchq report` on 1,000 patches and 500 history lines (goal: under 2 seconds).

Builds a synthetic patch repo (no git needed: the report never opens the upstream clone):
``upstream_map.toml`` with status, GitHub and rebase fields for every patch in the documented
shape, ``series/main/`` with 1,000 format-patch files, and a history of 500 weekly snapshots
each holding all 1,000 patches. Then times, side by side in the same run:

- ``patchq report`` in each format, as a user runs it (a new process, start-up included);
- the floor: a process that only reads the same inputs (tomllib on the map, every patch file,
  json on every history line) and computes nothing;
- the in-process stages of one report (map, series, history, computation, rendering).

Run: ``python benchmarks/bench_report.py [--patches 1000] [--history 500] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

NOW = "2026-11-25T12:00:00Z"
CATEGORY_CYCLE = ("present", "partial", "submitted", "drafted", "unproposed", "downstream_only")


def patch_file(number: int, subject: str, lines: int) -> str:
    added = "".join(f"+added line {i} of patch {number}\n" for i in range(lines))
    return (f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            f"From: Ann Example <ann@example.invalid>\nDate: Tue, 1 Mar 2022 10:00:00 +0000\n"
            f"Subject: [PATCH] {subject}\n\nWhy we carry patch {number}.\n---\n"
            f"diff --git a/src/p{number:05d}.c b/src/p{number:05d}.c\n"
            f"--- a/src/p{number:05d}.c\n+++ b/src/p{number:05d}.c\n"
            f"@@ -20,3 +20,{3 + lines} @@\n line 20\n line 21\n{added} line 22\n")


def record(slug: str, k: int) -> str:
    kind = CATEGORY_CYCLE[k % len(CATEGORY_CYCLE)]
    since = (date(2020, 1, 1) + timedelta(days=k * 2)).isoformat()
    out = [f"[patches.{slug}]"]
    if kind == "downstream_only":
        out.append('disposition = "downstream-only"\nreason = "the browser needs it"')
    else:
        out.append('disposition = "upstreamable"')
    if kind in ("submitted", "present", "drafted"):
        out.append(f'pr = "python/cpython#{10000 + k}"')
        submission = {"submitted": "open-pr", "present": "merged-pr", "drafted": "draft-pr"}[kind]
        out.append(f"\n[patches.{slug}.github]\nchecked_at = \"{NOW}\"\n"
                   f'submission = "{submission}"\npr_state = "open"\nreview = "commented"\n'
                   f'labels = ["type-bug", "OS-emscripten"]\n'
                   f'pr_created_at = "2026-0{1 + k % 9}-01T00:00:00Z"\n'
                   f'updated_at = "2026-11-0{1 + k % 9}T00:00:00Z"')
    out.append(f'\n[patches.{slug}.tracks."main"]\ncarried = true\nsince = "{since}"')
    if k % 97 == 0:
        out.append('outcome = "conflict"\nneeds_person = true')
    if k % 13 != 0:  # a few never checked
        for ref in ("main", "3.13", "3.12"):
            state = {"present": "present", "partial": "partial"}.get(kind, "absent")
            out.append(f'\n[patches.{slug}.tracks."main".upstream."{ref}"]\nstate = "{state}"\n'
                       f'checked_at = "{NOW}"\nref_commit = "{"b" * 40}"')
            if state != "absent":
                out.append(f'evidence = [{{method = "patch-id", commits = ["{"a" * 40}"], '
                           'detail = "same change"}]')
            if state == "partial":
                out.append("hunks_total = 2\nhunks_present = 1")
    return "\n".join(out) + "\n"


def build(root: Path, patches: int, history: int) -> Path:
    repo = root / "patches"
    series = repo / "series" / "main"
    series.mkdir(parents=True)
    names, records, slugs = [], [], []
    for k in range(1, patches + 1):
        slug = f"Fix-thing-{k:05d}-for-the-browser"
        name = f"{k:04d}-{slug}.patch"
        (series / name).write_text(patch_file(k, f"Fix thing {k} for the <browser> & co", 3 + k % 20))
        names.append(name)
        slugs.append(slug)
        records.append(record(slug, k))
    (series / "series").write_text("".join(n + "\n" for n in names))
    (repo / "upstream_map.toml").write_text(
        '[upstream]\npath = "../cpython"\ngithub = "python/cpython"\n\n'
        '[tracks."main"]\nfollows = "main"\nbase = "v1.0"\n\n' + "\n".join(records))
    lines = []
    start = date.fromisoformat(NOW[:10]) - timedelta(weeks=history)
    for week in range(history):
        carried = slugs[: max(1, patches - (history - week) // 5)]
        cats: dict[str, list[str]] = {}
        for i, slug in enumerate(carried):
            cats.setdefault(CATEGORY_CYCLE[i % 6], []).append(slug)
        counts = {"patches": len(carried), "lines": 12 * len(carried),
                  **{c: len(slugs) for c, slugs in cats.items()}}
        day = start + timedelta(weeks=week)
        lines.append(json.dumps({"at": f"{day}T09:00:00Z", "v": 1, "tracks": {"main": {
            "base": "v1.0", "counts": counts, "patches": cats}}}, sort_keys=True,
            separators=(",", ":")))
    (repo / "patchq-history.jsonl").write_text("\n".join(lines) + "\n")
    return repo


FLOOR = """
import json, sys, tomllib
from pathlib import Path
repo = Path(sys.argv[1])
tomllib.loads((repo / "upstream_map.toml").read_text())
d = repo / "series" / "main"
for name in (d / "series").read_text().split():
    (d / name).read_bytes()
for line in (repo / "patchq-history.jsonl").read_text().splitlines():
    json.loads(line)
"""


def timed(argv: list[str], runs: int, env: dict) -> tuple[float, float]:
    """Median wall-clock time and median CPU time (user + system) of ``runs`` runs. CPU time
    hardly moves when other work shares the machine; wall time does."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def stages(repo: Path) -> dict[str, float]:
    os.environ["PATCHQ_NOW"] = NOW
    from patchq.commands import report as cmd
    from patchq.report.compute import build_report
    from patchq.upstream_map import UpstreamMap
    from patchq.workspace import Workspace

    ws = Workspace.locate(repo)
    out: dict[str, float] = {}
    t = time.perf_counter()
    UpstreamMap.load_readonly(ws.map_path)
    out["map (tomllib)"] = time.perf_counter() - t
    t = time.perf_counter()
    inp, _, _ = cmd.gather(ws)
    out["gather: map + series + sizes + history"] = time.perf_counter() - t
    t = time.perf_counter()
    report = build_report(inp)
    out["compute"] = time.perf_counter() - t
    for fmt in ("md", "html", "json"):
        t = time.perf_counter()
        cmd.renderer(fmt)(report)
        out[f"render {fmt}"] = time.perf_counter() - t
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", type=int, default=1000)
    parser.add_argument("--history", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="patchq-bench-report-") as tmp:
        repo = build(Path(tmp), args.patches, args.history)
        env = dict(os.environ, PATCHQ_NOW=NOW, PATCHQ_PLAIN="1")
        size = sum(p.stat().st_size for p in repo.rglob("*") if p.is_file())
        print(f"synthetic repo: {args.patches} patches, {args.history} history lines, "
              f"{size / 1e6:.1f} MB (map {(repo / 'upstream_map.toml').stat().st_size / 1e6:.2f}"
              f" MB, history {(repo / 'patchq-history.jsonl').stat().st_size / 1e6:.1f} MB)")
        floor, floor_cpu = timed([sys.executable, "-c", FLOOR, str(repo)], args.runs, env)
        print(f"{'':34} {'wall':>8} {'cpu':>8}   cpu vs. the floor")
        print(f"{'floor: read the inputs only':34} {floor:7.3f}s {floor_cpu:7.3f}s")
        for fmt in ("md", "html", "json"):
            wall, cpu = timed([sys.executable, "-m", "patchq", "-C", str(repo), "report",
                               "--format", fmt, "--out", str(Path(tmp) / f"r.{fmt}"),
                               "--no-record"], args.runs, env)
            print(f"{'patchq report --format ' + fmt:34} {wall:7.3f}s {cpu:7.3f}s   "
                  f"{cpu / floor_cpu:4.1f}x   {'under' if wall < 2 else 'OVER'} the 2 s goal")
        print("in-process stages (one run):")
        for name, seconds in stages(repo).items():
            print(f"  {name:42} {seconds:7.3f} s")


if __name__ == "__main__":
    main()
