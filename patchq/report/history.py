"""The report history: one JSON object per line, one line per report run. Pure: text in, values
out (the command reads and writes the file).

A line (keys sorted, no spaces; documented in docs/report.md)::

    {"at":"2026-11-25T12:00:00Z","tracks":{"3.11":{"base":"v3.11.2","counts":{...},
     "patches":{"downstream_only":["Public-pymain_run_python"],"present":[...]}}},"v":1}

The carried patches are grouped by state (lists of slugs): a long history of a large series
parses several times faster that way than as one object per patch. ``sizes`` holds, per state,
the lines of delta and the lines counted up to the chart's cap (``[lines, capped]``); lines
written by ``patchq report --replay`` also name the patch repo's ``commit`` they were rebuilt
from.

A line that is not such an object is a :class:`HistoryProblem` with its line number: it is
skipped, and the report says so, never silently.

>>> snap = Snapshot("2026-11-25T12:00:00Z", {"3.11": SnapshotTrack.of("v3.11.2",
...     {"patches": 2, "lines": 4}, {"b": "present", "a": "present"})})
>>> line = dump_snapshot(snap)
>>> line
'{"at":"2026-11-25T12:00:00Z","tracks":{"3.11":{"base":"v3.11.2","counts":{"lines":4,"patches":2},"patches":{"present":["a","b"]}}},"v":1}'
>>> snap.tracks["3.11"].patches
{'a': 'present', 'b': 'present'}
>>> parsed, problems = parse_history(line + "\\nnot json\\n")
>>> parsed[0] == snap, problems[0].line, problems[0].message
(True, 2, 'not valid JSON (Expecting value at column 1)')
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cached_property
from itertools import chain

VERSION = 1
FILE_NAME = "patchq-history.jsonl"


@dataclass(frozen=True)
class SnapshotTrack:
    """One track in a snapshot: its base, its counts and its carried patches by state."""

    base: str
    counts: dict[str, int] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)  # state -> slugs
    sizes: dict[str, list[int]] = field(default_factory=dict)  # state -> [lines, capped]

    @classmethod
    def of(cls, base: str, counts: dict[str, int], patches: Mapping[str, str],
           sizes: Mapping[str, list[int]] | None = None) -> SnapshotTrack:
        """From each patch's state (slug -> state)."""
        groups: dict[str, list[str]] = {}
        for slug, state in sorted(patches.items()):
            groups.setdefault(state, []).append(slug)
        return cls(base, dict(counts), {k: groups[k] for k in sorted(groups)},
                   {k: list(v) for k, v in sorted((sizes or {}).items())})

    @cached_property
    def patches(self) -> dict[str, str]:
        """slug -> state (worked out when first asked: only the baseline needs it)."""
        return {slug: state for state, slugs in self.groups.items() for slug in slugs}


@dataclass(frozen=True)
class Snapshot:
    """What one report run saw: when, and per track."""

    at: str  # ISO 8601 UTC with Z
    tracks: dict[str, SnapshotTrack] = field(default_factory=dict)
    line: int = field(default=0, compare=False)  # line number in the file, 0 when not from one
    commit: str = ""  # the patch repo commit a replayed snapshot was rebuilt from

    @property
    def date(self) -> str:
        return self.at[:10]

    def as_json(self) -> dict:
        tracks = {}
        for name, t in sorted(self.tracks.items()):
            tracks[name] = {"base": t.base, "counts": dict(sorted(t.counts.items())),
                            "patches": {k: sorted(v) for k, v in sorted(t.groups.items())}}
            if t.sizes:
                tracks[name]["sizes"] = {k: list(v) for k, v in sorted(t.sizes.items())}
        out: dict = {"at": self.at, "tracks": tracks, "v": VERSION}
        if self.commit:
            out["commit"] = self.commit
        return out


@dataclass(frozen=True)
class HistoryProblem:
    line: int
    message: str

    def text(self, path: str = FILE_NAME) -> str:
        return f"{path}:{self.line}: {self.message}; line skipped"


def dump_snapshot(snapshot: Snapshot) -> str:
    """One line of the history file (no newline)."""
    return json.dumps(snapshot.as_json(), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def parse_time(value: str) -> datetime:
    """An ISO 8601 time (a ``Z`` or an offset; a bare date is midnight UTC), as UTC.

    >>> parse_time("2026-11-25T13:00:00+01:00").isoformat()
    '2026-11-25T12:00:00+00:00'
    >>> parse_time("2026-11-25").isoformat()
    '2026-11-25T00:00:00+00:00'
    """
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _BadLine(Exception):
    """A history line that is not a snapshot; the message says why."""


def _check_snapshot(data: object, number: int) -> Snapshot:
    if not isinstance(data, dict):
        raise _BadLine("not a JSON object")
    version = data.get("v", VERSION)
    if not isinstance(version, int) or version > VERSION:
        raise _BadLine(f"written by a newer patchq (format version {version!r})")
    at = data.get("at")
    if not isinstance(at, str):
        raise _BadLine('no "at" time')
    try:
        at = format_time(parse_time(at))
    except ValueError:
        raise _BadLine(f'"at" is not an ISO 8601 time: {at!r}') from None
    tracks = data.get("tracks")
    if not isinstance(tracks, dict):
        raise _BadLine('no "tracks" object')
    parsed: dict[str, SnapshotTrack] = {}
    for name, value in tracks.items():
        if not isinstance(value, dict):
            raise _BadLine(f"track {name!r} is not an object")
        counts = value.get("counts", {})
        patches = value.get("patches", {})
        if not isinstance(counts, dict) or not set(map(type, counts.values())) <= {int}:
            raise _BadLine(f"track {name!r}: counts must be whole numbers")
        if not isinstance(patches, dict) or not set(map(type, patches.values())) <= {list} \
                or not set(map(type, chain.from_iterable(patches.values()))) <= {str}:
            raise _BadLine(f"track {name!r}: patches must map states to lists of slugs")
        sizes = value.get("sizes", {})
        if not isinstance(sizes, dict) or not all(
                isinstance(v, list) and len(v) == 2 and set(map(type, v)) <= {int}
                for v in sizes.values()):
            raise _BadLine(f"track {name!r}: sizes must map states to [lines, capped]")
        parsed[name] = SnapshotTrack(base=str(value.get("base", "")), counts=counts,
                                     groups=patches, sizes=sizes)
    commit = data.get("commit", "")
    return Snapshot(at=at, tracks=parsed, line=number,
                    commit=commit if isinstance(commit, str) else "")


def parse_history(data: str | bytes) -> tuple[list[Snapshot], list[HistoryProblem]]:
    """Every valid snapshot of the file (in file order) and a problem for every other line.

    Blank lines are allowed (a person may leave one); anything else that is not a snapshot
    is a problem, with its 1-based line number.

    >>> parse_history(b'\\n{"at": 1, "tracks": {}}\\n\\xff\\n')[1]
    [HistoryProblem(line=2, message='no "at" time'), HistoryProblem(line=3, message='not UTF-8 text')]
    """
    snapshots: list[Snapshot] = []
    problems: list[HistoryProblem] = []
    raw_lines: list[bytes | str] = []
    if isinstance(data, bytes):
        raw_lines.extend(data.split(b"\n"))
    else:
        raw_lines.extend(data.split("\n"))
    for number, raw in enumerate(raw_lines, 1):
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(HistoryProblem(number, "not UTF-8 text"))
                continue
        else:
            line = raw
        if not line.strip():
            continue
        try:
            parsed = json.loads(line)
        except ValueError as exc:
            if isinstance(exc, json.JSONDecodeError):
                message = f"not valid JSON ({exc.msg} at column {exc.colno})"
            else:
                message = f"not valid JSON ({exc})"
            problems.append(HistoryProblem(number, message))
            continue
        try:
            snapshots.append(_check_snapshot(parsed, number))
        except _BadLine as exc:
            problems.append(HistoryProblem(number, str(exc)))
    return snapshots, problems


def append_bytes(existing: bytes, snapshot: Snapshot) -> bytes:
    """The file's new content: ``existing`` (a newline added if its last line lacks one) plus
    the snapshot's line.

    >>> append_bytes(b'{"a"}', Snapshot("2026-01-01T00:00:00Z", {}))
    b'{"a"}\\n{"at":"2026-01-01T00:00:00Z","tracks":{},"v":1}\\n'
    """
    if existing and not existing.endswith(b"\n"):
        existing += b"\n"
    return existing + dump_snapshot(snapshot).encode("utf-8") + b"\n"


def in_order(snapshots: list[Snapshot], now: datetime) -> list[Snapshot]:
    """Snapshots taken at or before ``now``, oldest first (file order breaks ties: a history
    merged from two branches may hold lines out of order)."""
    limit = format_time(now)
    return sorted((s for s in snapshots if s.at <= limit), key=lambda s: (s.at, s.line))


def baseline_for(snapshots: list[Snapshot], since: str | None, now: datetime
                 ) -> tuple[Snapshot | None, str, str]:
    """The snapshot to compare with, the cutoff date it was looked up by, and a note.

    ``since`` is None (a week before ``now``), ``"last"`` (the newest snapshot), or a date
    ``YYYY-MM-DD`` (the newest snapshot taken on or before that day).

    >>> s = [Snapshot("2026-11-11T09:00:00Z", {}), Snapshot("2026-11-18T09:00:00Z", {})]
    >>> now = parse_time("2026-11-25T09:00:00Z")
    >>> [baseline_for(s, x, now)[0].date for x in (None, "last", "2026-11-17")]
    ['2026-11-18', '2026-11-18', '2026-11-11']
    >>> baseline_for(s, "2026-11-01", now)[2]
    'no snapshot on or before 2026-11-01 (the oldest is from 2026-11-11)'
    """
    ordered = in_order(snapshots, now)
    if since == "last":
        if not ordered:
            return None, "", "no earlier snapshot to compare with (this is the first report)"
        return ordered[-1], ordered[-1].date, ""
    if since is None:
        cutoff = (now.date().toordinal() - 7)
        cutoff_date = date.fromordinal(cutoff).isoformat()
    else:
        cutoff_date = since
    candidates = [s for s in ordered if s.date <= cutoff_date]
    if candidates:
        return candidates[-1], cutoff_date, ""
    if not ordered:
        return None, cutoff_date, "no earlier snapshot to compare with (this is the first report)"
    return None, cutoff_date, (f"no snapshot on or before {cutoff_date} "
                               f"(the oldest is from {ordered[0].date})")


def per_day(snapshots: list[Snapshot]) -> list[Snapshot]:
    """The last snapshot of each day, oldest first (``snapshots`` must be in order)."""
    by_day: dict[str, Snapshot] = {}
    for snap in snapshots:
        by_day[snap.date] = snap
    return [by_day[d] for d in sorted(by_day)]
