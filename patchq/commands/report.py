"""`patchq report`: the weekly upstream-status report, and its history.

Reads upstream_map.toml (read-only, fast), every track's series (for sizes) and the history
file; computes the report (patchq.report.compute, pure); renders it; writes it; then appends
this run's snapshot to the history. The upstream clone is never needed. The patch repo's own
git is read only when the report needs it: the subject of a patch that left the series this
week, and ``--replay`` (the history rebuilt from the git log of ``series/`` and the map).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import clock
from ..errors import PatchqError
from ..files import atomic_write
from ..queue import load_series
from ..report import history as hist
from ..report.compute import build_report
from ..report.inputs import from_parsed
from ..report.model import Report, ReportInput, TrackInput
from ..report.records import per_track, rebase_of
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
    replayed: int = 0  # snapshots --replay added to the history

    def warnings(self) -> list[str]:
        """Printed on standard error before the report."""
        r = self.report
        return [f"warning: {p.text(r.history_path)}" for p in r.history_problems] + \
            [f"warning: {p}" for p in r.problems]

    def messages(self) -> list[tuple[str, bool]]:
        """Printed after the report: (line, to standard error). They go to standard error
        when the report itself goes to standard output."""
        r = self.report
        to_stdout = self.out is None
        lines: list[tuple[str, bool]] = []
        if not to_stdout:
            patches = sum(t.counts["patches"] for t in r.tracks)
            tracks = f"{len(r.tracks)} track" + ("s" if len(r.tracks) != 1 else "")
            wrote = f"wrote the {self.format} report ({tracks}, {patches} patches) to {self.out}"
            lines.append((wrote, False))
        if self.replayed or r.replayed:
            count = self.replayed or r.replayed
            where = (f"added to {r.history_path}" if self.recorded
                     else "used for this report only (--no-record)")
            rebuilt = (f"rebuilt {count} earlier snapshot{'s' if count != 1 else ''} from the "
                       f"patch repo's git history; {where}")
            lines.append((rebuilt, to_stdout))
        compared = f"compared with the snapshot of {r.baseline_at[:10]}" if r.baseline_at \
            else r.baseline_note
        recorded = (f"appended this run's snapshot to {r.history_path}" if self.recorded
                    else "history left as it was (--no-record)")
        lines.append((f"{compared}; {recorded}", to_stdout))
        return lines


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
    patches = tuple(from_parsed(p.entry.name, p.slug, p.file, p.entry.strip, p.slug in drafts)
                    for p in loaded.patches)
    table = _plain(umap.doc).get("tracks", {}).get(name, {})
    return TrackInput(name=track.name, follows=track.follows, base=track.base,
                      base_commit=track.base_commit, patches=patches,
                      last_rebase=rebase_of(table.get("last_rebase")),
                      upstream=umap.track_upstream(name))


def _upstreams(umap: UpstreamMap) -> tuple:
    from ..report.upstreams import UpstreamInput

    return tuple(UpstreamInput(n, umap.upstream_get("github", n), umap.upstream_get("url", n))
                 for n in umap.upstream_names())


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


def _history_bytes(path: Path) -> bytes:
    """The history file's bytes (b"" when there is none yet)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror}",
                          "check the file, or give another with --history") from None


def read_history(path: Path) -> tuple[bytes, list[hist.Snapshot], list[hist.HistoryProblem]]:
    data = _history_bytes(path)
    if not data:
        return b"", [], []
    snapshots, problems = hist.parse_history(data)
    return data, snapshots, problems


@dataclass(frozen=True)
class Gathered:
    inp: ReportInput
    data: bytes  # the history file's new content before this run's line
    path: Path
    replayed: int  # snapshots --replay rebuilt
    read: bytes = b""  # the history file as this run read it


def _replayed(ws: Workspace, snapshots: list[hist.Snapshot]) -> list[hist.Snapshot]:
    """``--replay``: snapshots rebuilt from git for the days before the history's first one
    (and before today: this run is today's)."""
    from ..report.repo_history import open_repo, replay

    if open_repo(ws.root) is None:
        raise ReportError(f"{ws.root} is not a git repository with a commit, so there is no "
                          "history to replay", "commit the series and the map, then run "
                          "`patchq report --replay` again")
    now = clock.now()
    existing = hist.in_order(snapshots, now)
    limit = existing[0].at if existing else hist.format_time(now)
    return [s for s in replay(ws.root, limit) if s.date < limit[:10]]


def _gone(ws: Workspace, inp: ReportInput) -> dict:
    """Patches that left a series since the baseline (or the cutoff), as git last had them."""
    from ..report.repo_history import last_committed

    baseline, cutoff, _ = hist.baseline_for(list(inp.history), inp.since, inp.now)
    day = baseline.date if baseline else cutoff
    wanted: dict[str, set[str]] = {}
    for track in inp.tracks:
        carried = {p.slug for p in track.patches}
        slugs = set(baseline.tracks[track.name].patches) - carried \
            if baseline and track.name in baseline.tracks else set()
        for slug, record in inp.records.items():
            here = per_track(record, track.name)
            dropped = str(here.get("dropped", ""))[:10]
            if slug not in carried and here.get("carried") is False and day and dropped >= day:
                slugs.add(slug)
        wanted[track.name] = slugs
    return last_committed(ws.root, wanted) if any(wanted.values()) else {}


def gather(ws: Workspace, since: str | None = None, tracks: tuple[str, ...] = (),
           history: str | Path | None = None, replay: bool = False,
           record: bool = True) -> Gathered:
    """Everything the report needs, read from disk (and the patch repo's git when needed)."""
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
    read = data
    added: list[hist.Snapshot] = []
    if replay:
        added = _replayed(ws, snapshots)
        if record and added:
            data = b"".join(hist.dump_snapshot(s).encode("utf-8") + b"\n" for s in added) + data
            snapshots, problems = hist.parse_history(data)
        else:
            snapshots = added + snapshots
    records = _plain(umap.doc).get("patches", {})
    inp = ReportInput(
        now=clock.now(), tracks=track_inputs, records=records,
        github=umap.upstream_get("github"), upstream_url=umap.upstream_get("url"),
        downstream_url=umap.upstream_get("downstream_url"),
        history=tuple(snapshots), history_problems=tuple(problems),
        history_path=_shown(path, ws.root), since=check_since(since),
        selected=tuple(dict.fromkeys(tracks)), replayed=len(added),
        upstreams=_upstreams(umap))
    gone = _gone(ws, inp)
    if gone:
        inp = replace(inp, gone=gone)
    return Gathered(inp, data, path, len(added), read)


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
           history: str | Path | None = None, record: bool = True,
           replay: bool = False) -> ReportResult:
    """Make the report; write it to ``out`` (when given); append the snapshot (when
    ``record``), after the snapshots ``replay`` rebuilt from git. The report is written
    first: a failure leaves the history as it was."""
    render = renderer(format)
    got = gather(ws, since, tracks, history, replay, record)
    data, path = got.data, got.path
    result = build_report(got.inp)
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
        _append(ws, path, got.read, hist.append_bytes(data, result.snapshot))
    return ReportResult(report=result, text=text, format=format, out=out_path,
                        history_path=path, recorded=record, replayed=got.replayed)


def _append(ws: Workspace, path: Path, read: bytes, new: bytes) -> None:
    """Write the history with this run's snapshot, under patchq's lock when the upstream
    clone is there (a report needs none): refused, not merged, when another run changed the
    file since this one read it, so that no snapshot is lost."""
    from contextlib import nullcontext

    from .. import store as pqstore

    try:
        lock: Any = pqstore.locked(ws.read_only().git)
    except PatchqError:  # no clone: the check below still catches a run that finished
        lock = nullcontext()
    with lock:
        if _history_bytes(path) != read:
            raise ReportError(f"{path} changed while this report was made (another "
                              "`patchq report`?)", "run `patchq report` again")
        try:
            atomic_write(path, new)
        except OSError as exc:
            raise ReportError(f"cannot write {path}: {exc.strerror}",
                              "check the directory is writable, or pass --no-record") from None
