"""`patchq report`: the weekly upstream-status report, and its history.

Reads upstream_map.toml (read-only, fast), every track's series (for sizes) and the history
file; computes the report (patchq.report.model, pure); renders it; writes it; then appends
this run's snapshot to the history. The upstream clone is never needed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import clock
from ..errors import PatchqError, SeriesError
from ..files import atomic_write
from ..patchfile import diff_stats
from ..queue import load_series
from ..report import history as hist
from ..report.compute import build_report
from ..report.model import PatchInput, Report, ReportInput, TrackInput
from ..upstream_map import UpstreamMap
from ..workspace import Workspace

FORMATS = ("md", "html", "json")
DRAFTS_DIR = "drafts"
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class ReportError(PatchqError):
    """The report cannot be made or written."""


@dataclass(frozen=True)
class ReportResult:
    report: Report
    text: str
    format: str
    out: Path | None
    history_path: Path
    recorded: bool


def check_since(value: str | None) -> str | None:
    """``--since``: None, ``last`` or a real date ``YYYY-MM-DD``."""
    if value is None or value == "last":
        return value
    from datetime import date

    if _DATE.match(value):
        try:
            date.fromisoformat(value)
            return value
        except ValueError:
            pass
    raise ReportError(f"--since {value!r} is neither a date nor 'last'",
                      "give YYYY-MM-DD (compare with the snapshot of that day or before) or last")


def _plain(doc: Any) -> Any:
    unwrap = getattr(doc, "unwrap", None)
    return unwrap() if unwrap else doc


def _track_input(ws: Workspace, umap: UpstreamMap, name: str, drafts: set[str]) -> TrackInput:
    track = umap.track(name)
    loaded = load_series(ws.series_dir(name), name)
    patches = []
    for patch in loaded.patches:
        problem, stats = "", ()
        if not patch.file.is_empty:
            try:
                stats = diff_stats(patch.file.diff, patch.entry.strip)
            except SeriesError as exc:
                problem = f"{patch.entry.name}: {exc.message}; its size is not counted"
        desc = patch.file.description
        patches.append(PatchInput(
            slug=patch.slug, file=patch.entry.name, subject=desc.subject, author=desc.author,
            added=sum(s.added for s in stats), removed=sum(s.removed for s in stats),
            files=len(stats), has_draft=patch.slug in drafts, problem=problem))
    return TrackInput(name=track.name, follows=track.follows, base=track.base,
                      base_commit=track.base_commit, patches=tuple(patches))


def _drafts(root: Path) -> set[str]:
    directory = root / DRAFTS_DIR
    if not directory.is_dir():
        return set()
    return {p.name for p in directory.iterdir() if p.is_dir()}


def history_path(ws: Workspace, given: str | Path | None) -> Path:
    if given:
        return Path(given).expanduser().resolve()
    return ws.root / hist.FILE_NAME


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def read_history(path: Path) -> tuple[bytes, list[hist.Snapshot], list[hist.HistoryProblem]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return b"", [], []
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror}",
                          "check the file, or give another with --history") from None
    snapshots, problems = hist.parse_history(data)
    return data, snapshots, problems


def gather(ws: Workspace, since: str | None = None, tracks: tuple[str, ...] = (),
           history: str | Path | None = None) -> tuple[ReportInput, bytes, Path]:
    """Everything the report needs, read from disk: the input, the history's bytes, its path."""
    umap = UpstreamMap.load_readonly(ws.map_path)
    names = umap.track_names()
    for name in tracks:
        umap.track(name)  # unknown track: a clear error
    if not names:
        raise ReportError("no tracks yet", "import a series with `patchq import`")
    drafts = _drafts(ws.root)
    track_inputs = tuple(_track_input(ws, umap, name, drafts) for name in names)
    path = history_path(ws, history)
    data, snapshots, problems = read_history(path)
    records = _plain(umap.doc).get("patches", {})
    inp = ReportInput(
        now=clock.now(), tracks=track_inputs, records=records,
        github=umap.upstream_get("github"), upstream_url=umap.upstream_get("url"),
        history=tuple(snapshots), history_problems=tuple(problems),
        history_path=_shown(path, ws.root), since=check_since(since),
        selected=tuple(dict.fromkeys(tracks)))
    return inp, data, path


def renderer(format: str) -> Callable[[Report], str]:
    if format == "md":
        from ..report.markdown import render
    elif format == "html":
        from ..report.html import render
    elif format == "json":
        from ..report.jsonout import render
    else:
        raise ReportError(f"unknown format {format!r}", "use md, html or json")
    return render


def report(ws: Workspace, format: str = "md", out: str | Path | None = None,
           since: str | None = None, tracks: tuple[str, ...] = (),
           history: str | Path | None = None, record: bool = True) -> ReportResult:
    """Make the report; write it to ``out`` (when given); append the snapshot (when
    ``record``). The report is written first: a failure leaves the history as it was."""
    render = renderer(format)
    inp, data, path = gather(ws, since, tracks, history)
    result = build_report(inp)
    text = render(result)
    out_path = Path(out).expanduser().resolve() if out else None
    if out_path is not None:
        if out_path.is_dir():
            raise ReportError(f"{out_path} is a directory", "give a file name to --out")
        try:
            atomic_write(out_path, text.encode("utf-8"))
        except OSError as exc:
            raise ReportError(f"cannot write {out_path}: {exc.strerror}",
                              "check the directory exists and is writable") from None
    if record:
        try:
            atomic_write(path, hist.append_bytes(data, result.snapshot))
        except OSError as exc:
            raise ReportError(f"cannot write {path}: {exc.strerror}",
                              "check the directory is writable, or pass --no-record") from None
    return ReportResult(report=result, text=text, format=format, out=out_path,
                        history_path=path, recorded=record)
