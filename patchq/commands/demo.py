"""`patchq demo`: build a small CPython-shaped upstream and a Pyodide-like series.

``build_sample`` makes the files; ``steps`` lists the patchq commands the demo runs on them,
each with a sentence saying what it shows. The CLI runs the steps exactly as a user would.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import PatchqError
from ..git import Git, Identity

DEMO_IDENTITY = Identity("patchq demo", "demo@patchq.invalid", "2023-04-10T12:00:00+00:00")


@dataclass(frozen=True)
class Sample:
    root: Path
    upstream: Path  # the CPython-shaped clone
    patch_repo: Path  # where upstream_map.toml and series/ go
    incoming: Path  # the Pyodide-like patches, as a downstream keeps them


@dataclass(frozen=True)
class Step:
    argv: tuple[str, ...]
    says: str


def build_sample(directory: Path | None) -> Sample:
    """Create the sample under ``directory`` (a new temporary one when None)."""
    if directory is None:
        root = Path(tempfile.mkdtemp(prefix="patchq-demo-"))
    else:
        root = directory.expanduser().resolve()
        if root.exists() and any(root.iterdir()):
            raise PatchqError(f"{root} is not empty", "give a new or empty directory")
        root.mkdir(parents=True, exist_ok=True)
    data = resources.files("patchq.demo_data")
    upstream = root / "cpython"
    git = Git.init(upstream)
    git.fast_import(data.joinpath("upstream.fi").read_bytes())
    git.force_checkout("main")
    incoming = root / "pyodide-cpython-patches"
    incoming.mkdir()
    for item in sorted(data.joinpath("patches").iterdir(), key=lambda p: p.name):
        if item.name.endswith(".patch"):
            (incoming / item.name).write_bytes(item.read_bytes())
    patch_repo = root / "patches"
    Git.init(patch_repo)
    return Sample(root=root, upstream=upstream, patch_repo=patch_repo, incoming=incoming)


def commit_patch_repo(sample: Sample, message: str) -> None:
    """Commit the patch repo, so `git status` there shows what later steps change."""
    Git(sample.patch_repo).commit_all(message, DEMO_IDENTITY)


def steps(sample: Sample) -> list[Step]:
    c = ("-C", str(sample.patch_repo))
    return [
        Step((*c, "init", "--upstream", "../cpython", "--github", "python/cpython",
              "--fork", "pyodide-bot/cpython"),
             "make the patch repo: upstream_map.toml records the clone and where PRs go"),
        Step((*c, "import", str(sample.incoming), "--track", "3.11", "--base", "v3.11.2"),
             "import Pyodide-style format-patch files as track 3.11 on v3.11.2"),
        Step((*c, "list", "3.11"), "the series: slug, subject, author, files, size"),
        Step((*c, "checkout", "3.11"),
             "build the queue branch patchq/3.11 in the upstream clone: one commit per patch"),
        Step((*c, "export", "3.11"),
             "write the queue back: nothing changed, so no file is touched"),
        Step((*c, "lint", "3.11", "--check-export"),
             "check the track: files, map records, applying, and that export is clean"),
        # status before the rebase, which drops what upstream has
        Step((*c, "record", "Public-pymain_run_python", "disposition=downstream-only",
              "reason=Pyodide drives start-up from JavaScript"),
             "say which patches stay downstream, and why (the map keeps your comments)"),
        Step((*c, "status", "3.11", "--against", "main", "3.12", "3.11"),
             "the merge matrix: each patch in upstream main, 3.12 and 3.11, found how, with "
             "which commits: gh-101234 landed on main with a test and a NEWS entry (another "
             "patch-id) and was backported to 3.11 after v3.11.2; patch 5's lines changed "
             "differently on main; recorded in the map"),
        Step((*c, "rebase", "3.11", "--onto", "v3.11.3", "--dry-run"),
             "what moving the track to the next release would do, changing nothing"),
        Step((*c, "rebase", "3.11", "--onto", "v3.11.3"),
             "move the track to v3.11.3: gh-101234 was backported (dropped, naming the "
             "upstream commit and how it was found), configure.ac grew above patch 3 (offset: "
             "its file is refreshed), the other files stay byte for byte; the map records the "
             "new base and every outcome"),
        Step((*c, "draft", "Make-the-standard-streams-configurable-for-an-embedd",
              "--track", "3.11"),
             "draft an upstream issue and PR for one patch, offline: it is ported onto "
             "upstream main as branch patchq/draft/<slug> (your checkout untouched) and "
             "drafts/<slug>/ gets issue.md, pr.md and the NEWS entry"),
        # the demo ends with the report
        Step((*c, "report", "--format", "html", "--out", str(sample.root / "report.html")),
             "the weekly upstream-status report, one self-contained page: open "
             f"{sample.root / 'report.html'} in a browser; the run's snapshot goes into "
             "patchq-history.jsonl for next week's trend"),
    ]


def remove(sample: Sample) -> None:
    shutil.rmtree(sample.root, ignore_errors=True)


def run(sample: Sample, patchq: Callable[[list[str]], int]) -> Iterator[str]:
    """Run the steps on ``sample`` with ``patchq`` (the CLI's main), saying each first; a step
    that fails stops the demo (PatchqError)."""
    yield f"sample upstream (CPython-shaped, branches 3.11, 3.12, main): {sample.upstream}"
    yield f"downstream patches (Pyodide-like format-patch files): {sample.incoming}"
    for number, step in enumerate(steps(sample), 1):
        shown = " ".join(step.argv[2:])
        yield f"\n== {number}. patchq {shown}\n   ({step.says})"
        code = patchq(list(step.argv))
        if code != 0:
            raise PatchqError(f"demo step `patchq {shown}` failed (exit {code})",
                              f"the sample is in {sample.root}")
        if step.argv[2] == "import":
            commit_patch_repo(sample, "Import the Pyodide-like series")
    yield f"\nThe sample stays in {sample.root}. Go on by hand:"
    yield f"  cd {sample.patch_repo}"
    yield "  patchq list 3.11; git -C ../cpython log --oneline patchq/3.11"
