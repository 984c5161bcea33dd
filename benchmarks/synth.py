"""Synthetic upstream + downstream series, built with one ``git fast-import`` run.

Used by the benchmarks (rebase, detection, report, stack) and by tests that need a big
series. What it makes, under ``DEST``::

    DEST/upstream/   a git repository (branch main):
                       v1.0  the old base: ``history`` commits of ``upstream_files`` files,
                             plus one small file per downstream patch (src/pNNNNN.c)
                       v1.1  the new base: ``upstream_commits`` more commits on top of v1.0
                             (``squash=True``: one single commit, like a release tarball)
                       branch ``downstream``: v1.0 + one commit per patch (the queue)
    DEST/series/     the same patches as ``git format-patch`` files (0001-....patch) and a
                     quilt ``series`` file listing them (usable by quilt and ``patchq import``)

Every downstream patch k changes its own file ``src/pNNNNN.c`` in two hunks (line 20 and line
40 of 60). Knobs say how many patches upstream touches between v1.0 and v1.1, and how:

    upstreamed   upstream has the very same change (every other one also adds a NEWS file,
                 so its patch-id differs and only reverse-apply / hunk matching finds it)
    partial      upstream has the first hunk only
    offset       upstream inserts lines at the top of the file (hunks move, nothing else)
    refreshed    upstream changes a context line next to the second hunk (3-way needed)
    conflicting  upstream changes the second hunk's line differently (a real conflict)
    obsolete     upstream deletes the file

All others stay ``unchanged``. ``Synth.expected`` maps every slug to the outcome a rebase should
report. The rest of the range is filler commits touching other files.

Import and call::

    from synth import generate          # with benchmarks/ on sys.path
    s = generate(Path("/tmp/x"), patches=1000, upstreamed=50, offset=100, conflicting=0)
    s.upstream, s.series, s.old_base, s.new_base, s.expected

or run ``python benchmarks/synth.py DEST --patches 50 --offset 5 ...`` (prints a JSON
summary). ``setup_patchq(s)`` also makes a patch repo (``patchq init`` + ``import`` of the
series as track ``main`` on v1.0), for commands that need one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

LINES = 60
HUNK_A = 20  # 1-based line numbers the two hunks of every patch change
HUNK_B = 40
KINDS = ("upstreamed", "partial", "offset", "refreshed", "conflicting", "obsolete")
OUTCOME_OF = {"upstreamed": "upstream", "partial": "partial", "offset": "offset",
              "refreshed": "refreshed", "conflicting": "conflict", "obsolete": "obsolete",
              "plain": "unchanged"}
TRACK = "main"
_EPOCH = 1_700_000_000


@dataclass
class Synth:
    root: Path
    upstream: Path
    series: Path
    patches: int
    old_base: str = "v1.0"
    new_base: str = "v1.1"
    queue_branch: str = "downstream"
    expected: dict[str, str] = field(default_factory=dict)  # slug -> outcome
    kinds: dict[str, str] = field(default_factory=dict)  # slug -> knob (plain, offset...)
    patch_repo: Path | None = None

    def summary(self) -> dict:
        counts: dict[str, int] = {}
        for outcome in self.expected.values():
            counts[outcome] = counts.get(outcome, 0) + 1
        return {"root": str(self.root), "upstream": str(self.upstream),
                "series": str(self.series), "patches": self.patches,
                "old_base": self.old_base, "new_base": self.new_base,
                "queue_branch": self.queue_branch, "expected_counts": counts,
                "patch_repo": str(self.patch_repo) if self.patch_repo else None}


def _patch_path(k: int) -> str:
    return f"src/p{k:05d}.c"


def _slug(k: int) -> str:
    return f"Carry-change-{k:05d}-for-the-downstream-build"


def _subject(k: int) -> str:
    return f"Carry change {k:05d} for the downstream build"


def _base_lines(k: int) -> list[str]:
    return [f"p{k:05d} line {i}" for i in range(1, LINES + 1)]


def _patched(lines: list[str], k: int, hunks: str = "ab") -> list[str]:
    out = list(lines)
    if "a" in hunks:
        out[HUNK_A - 1] = f"p{k:05d} downstream change A"
    if "b" in hunks:
        out[HUNK_B - 1] = f"p{k:05d} downstream change B"
    return out


def _text(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


class _Stream:
    """Writes a fast-import stream: commits with inline blobs, marks, tags."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0
        self.clock = _EPOCH

    def commit(self, ref: str, message: str, files: dict[str, bytes | None],
               parent: int | None, author: str = "Upstream Dev <dev@upstream.invalid>",
               ) -> int:
        self.mark += 1
        self.clock += 60
        msg = message.encode()
        out = [f"commit {ref}\nmark :{self.mark}\n".encode(),
               f"author {author} {self.clock} +0000\n".encode(),
               f"committer {author} {self.clock} +0000\n".encode(),
               b"data %d\n" % len(msg), msg, b"\n"]
        if parent is not None:
            out.append(b"from :%d\n" % parent)
        for path, data in files.items():
            if data is None:
                out.append(f"D {path}\n".encode())
            else:
                out.append(f"M 100644 inline {path}\n".encode())
                out.append(b"data %d\n" % len(data))
                out.append(data)
                out.append(b"\n")
        out.append(b"\n")
        self.parts.append(b"".join(out))
        return self.mark

    def reset(self, ref: str, mark: int) -> None:
        self.parts.append(f"reset {ref}\nfrom :{mark}\n\n".encode())

    def data(self) -> bytes:
        return b"".join(self.parts) + b"done\n"


def _filler(j: int, version: int) -> bytes:
    return "".join(f"filler {j} v{version} line {i}\n" for i in range(1, 41)).encode()


def generate(dest: Path, patches: int = 50, *, upstreamed: int = 0, partial: int = 0,
             offset: int = 0, refreshed: int = 0, conflicting: int = 0, obsolete: int = 0,
             upstream_commits: int | None = None, upstream_files: int = 300,
             history: int = 20, squash: bool = False, seed: int = 0,
             write_series: bool = True) -> Synth:
    """Build the synthetic repositories under ``dest`` (must not exist or be empty)."""
    dest = Path(dest).resolve()
    if dest.exists() and any(dest.iterdir()):
        raise SystemExit(f"synth: {dest} is not empty")
    counts = {"upstreamed": upstreamed, "partial": partial, "offset": offset,
              "refreshed": refreshed, "conflicting": conflicting, "obsolete": obsolete}
    if sum(counts.values()) > patches:
        raise SystemExit("synth: more special patches than patches")
    rng = random.Random(seed)
    special = rng.sample(range(1, patches + 1), sum(counts.values()))
    kind_of = {k: "plain" for k in range(1, patches + 1)}
    at = 0
    for kind in KINDS:
        for k in special[at:at + counts[kind]]:
            kind_of[k] = kind
        at += counts[kind]
    upstream_commits = max(upstream_commits if upstream_commits is not None else patches,
                           sum(counts.values()) + 1)

    s = _Stream()
    # -- history up to v1.0 --------------------------------------------------------------
    files: dict[str, bytes | None] = {f"Lib/filler{j:05d}.py": _filler(j, 0)
                                      for j in range(upstream_files)}
    files.update({_patch_path(k): _text(_base_lines(k)) for k in range(1, patches + 1)})
    files["README"] = b"A synthetic upstream for patchq benchmarks\n"
    head = s.commit("refs/heads/main", "Initial import\n", files, None)
    for h in range(1, history):
        j = h % max(upstream_files, 1)
        head = s.commit("refs/heads/main", f"Tweak filler {j} (history {h})\n",
                        {f"Lib/filler{j:05d}.py": _filler(j, h)}, head)
    old = head
    s.reset("refs/tags/v1.0", old)

    # -- downstream queue on v1.0 ---------------------------------------------------------
    q = old
    for k in range(1, patches + 1):
        body = (f"{_subject(k)}\n\nThe downstream build needs this; upstream does not (yet).\n")
        q = s.commit("refs/heads/downstream", body,
                     {_patch_path(k): _text(_patched(_base_lines(k), k))}, q,
                     author="Down Stream <down@stream.invalid>")

    # -- upstream v1.0..v1.1 -------------------------------------------------------------
    changes: list[tuple[str, dict[str, bytes | None]]] = []
    for k in sorted(kind_of):
        kind = kind_of[k]
        lines = _base_lines(k)
        path = _patch_path(k)
        if kind == "upstreamed":
            change = {path: _text(_patched(lines, k))}
            if k % 2 == 0:
                change[f"Misc/NEWS.d/gh-{k}.rst"] = f"Fixed the thing of p{k:05d}.\n".encode()
            changes.append((f"gh-{k}: {_subject(k)}\n\n(cherry picked from downstream)\n",
                            change))
        elif kind == "partial":
            changes.append((f"gh-{k}: Half of change {k:05d}\n", {path: _text(_patched(lines, k, "a"))}))
        elif kind == "offset":
            changes.append((f"Add a header to p{k:05d}\n",
                            {path: _text([f"p{k:05d} header {i}" for i in range(5)] + lines)}))
        elif kind == "refreshed":
            changed = list(lines)
            changed[HUNK_B + 1] = f"p{k:05d} line {HUNK_B + 2} reworded upstream"
            changes.append((f"Reword p{k:05d}\n", {path: _text(changed)}))
        elif kind == "conflicting":
            changed = list(lines)
            changed[HUNK_B - 1] = f"p{k:05d} upstream's own change B"
            changes.append((f"Change p{k:05d} differently\n", {path: _text(changed)}))
        elif kind == "obsolete":
            changes.append((f"Remove p{k:05d}\n", {path: None}))
    fillers = upstream_commits - len(changes)
    for f in range(fillers):
        j = rng.randrange(max(upstream_files, 1))
        changes.insert(rng.randrange(len(changes) + 1),
                       (f"Update filler {j} ({f})\n", {f"Lib/filler{j:05d}.py": _filler(j, 1000 + f)}))
    if squash:
        merged: dict[str, bytes | None] = {}
        for _, change in changes:
            merged.update(change)
        head = s.commit("refs/heads/main", "Release 1.1\n", merged, old)
    else:
        for message, change in changes:
            head = s.commit("refs/heads/main", message, change, head)
    s.reset("refs/tags/v1.1", head)

    upstream = dest / "upstream"
    upstream.mkdir(parents=True)
    _git(upstream, "init", "-q", "-b", "main")
    _git(upstream, "fast-import", "--quiet", input=s.data())
    _git(upstream, "checkout", "-q", "-f", "main")

    synth = Synth(root=dest, upstream=upstream, series=dest / "series", patches=patches)
    for k, kind in kind_of.items():
        synth.kinds[_slug(k)] = kind
        synth.expected[_slug(k)] = OUTCOME_OF[kind]
    if write_series:
        synth.series.mkdir()
        _git(upstream, "format-patch", "-q", "--no-signature", "-o", str(synth.series),
             "v1.0..downstream")
        names = sorted(p.name for p in synth.series.iterdir() if p.name.endswith(".patch"))
        (synth.series / "series").write_text("".join(n + "\n" for n in names))
    return synth


def setup_patchq(synth: Synth, patch_repo: Path | None = None) -> Path:
    """``patchq init`` a patch repo beside the upstream and import the series as track main
    on v1.0 (runs the installed patchq in a subprocess)."""
    root = Path(patch_repo or synth.root / "patches")
    root.mkdir(parents=True, exist_ok=True)
    _git(root, "init", "-q", "-b", "main")
    run = [sys.executable, "-m", "patchq", "-C", str(root)]
    env = dict(os.environ, PATCHQ_PLAIN="1")
    for args in (["init", "--upstream", str(synth.upstream)],
                 ["import", str(synth.series), "--track", TRACK, "--base", synth.old_base,
                  "--follows", "main"]):
        res = subprocess.run(run + args, capture_output=True, env=env, check=False)
        if res.returncode != 0:
            raise SystemExit(f"synth: patchq {args[0]} failed: {res.stderr.decode()}")
    synth.patch_repo = root
    return root


def _git(repo: Path, *args: str, input: bytes | None = None) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="Synth", GIT_AUTHOR_EMAIL="synth@patchq.invalid",
               GIT_COMMITTER_NAME="Synth", GIT_COMMITTER_EMAIL="synth@patchq.invalid")
    res = subprocess.run(["git", *args], cwd=repo, input=input, capture_output=True, env=env,
                         check=False)
    if res.returncode != 0:
        raise SystemExit(f"synth: git {args[0]} failed: {res.stderr.decode().strip()}")
    return res.stdout.decode().strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--patches", type=int, default=50)
    for kind in KINDS:
        parser.add_argument(f"--{kind}", type=int, default=0)
    parser.add_argument("--upstream-commits", type=int, default=None)
    parser.add_argument("--upstream-files", type=int, default=300)
    parser.add_argument("--history", type=int, default=20)
    parser.add_argument("--squash", action="store_true",
                        help="make v1.1 a single commit on v1.0 (like a release tarball)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--patchq", action="store_true",
                        help="also make a patch repo (patchq init + import, track main)")
    args = parser.parse_args(argv)
    synth = generate(args.dest, args.patches, upstreamed=args.upstreamed, partial=args.partial,
                     offset=args.offset, refreshed=args.refreshed,
                     conflicting=args.conflicting, obsolete=args.obsolete,
                     upstream_commits=args.upstream_commits,
                     upstream_files=args.upstream_files, history=args.history,
                     squash=args.squash, seed=args.seed)
    if args.patchq:
        setup_patchq(synth)
    print(json.dumps(synth.summary(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
