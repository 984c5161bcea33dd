"""The report's per-upstream part, when the tracks of a patch repo apply to several upstreams
(``[upstream]`` and ``[upstreams.NAME]``, docs/upstream_map.md): one summary row and one trend
per upstream, and their total. With one upstream there is none of it (the report is as it
always was).

The numbers are sums of the tracks' own (the same counts as the per-track summary), and the
trend of an upstream sums its tracks at each report of the history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .model import TrendPoint

TOTAL = "total"


@dataclass(frozen=True)
class UpstreamInput:
    """An upstream as the map names it."""

    name: str
    github: str = ""
    url: str = ""


@dataclass(frozen=True)
class UpstreamPoint:
    date: str
    patches: int
    lines: int
    states: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class UpstreamReport:
    name: str  # an upstream's name, or TOTAL
    github: str
    tracks: tuple[str, ...]
    counts: dict[str, int]
    baseline_counts: dict[str, int] | None
    trend: tuple[UpstreamPoint, ...]

    def delta(self, key: str) -> int | None:
        if self.baseline_counts is None or key not in self.baseline_counts:
            return None
        return self.counts.get(key, 0) - self.baseline_counts[key]

    def as_json(self) -> dict:
        return {"name": self.name, "github": self.github, "tracks": list(self.tracks),
                "counts": dict(self.counts), "baseline_counts": self.baseline_counts,
                "trend": [{"date": p.date, "patches": p.patches, "lines": p.lines,
                           "states": dict(p.states)} for p in self.trend]}


def _sum(dicts: Sequence[Mapping[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for counts in dicts:
        for key, value in counts.items():
            out[key] = out.get(key, 0) + value
    return out


def _trend(points: Sequence[TrendPoint], names: set[str]) -> tuple[UpstreamPoint, ...]:
    out = []
    for point in points:
        here = [t for n, t in point.tracks.items() if n in names]
        if here:
            out.append(UpstreamPoint(point.date, sum(t.patches for t in here),
                                     sum(t.lines for t in here),
                                     _sum([dict(t.states) for t in here])))
    return tuple(out)


def upstreams_of(upstreams: Sequence[UpstreamInput], track_upstream: Mapping[str, str],
                 tracks: Sequence, trend: Sequence[TrendPoint]) -> tuple[UpstreamReport, ...]:
    """One report per upstream with a track in ``tracks`` (TrackReports), then the total;
    () when they all apply to one upstream."""
    used = [u for u in upstreams if any(track_upstream.get(t.name) == u.name for t in tracks)]
    if len(used) < 2:
        return ()
    out = []
    groups = [(u.name, u.github, [t for t in tracks if track_upstream.get(t.name) == u.name])
              for u in used]
    groups.append((TOTAL, "", list(tracks)))
    for name, github, mine in groups:
        baselines = [t.baseline_counts for t in mine]
        out.append(UpstreamReport(
            name=name, github=github, tracks=tuple(t.name for t in mine),
            counts=_sum([t.counts for t in mine]),
            baseline_counts=_sum([b for b in baselines if b is not None])
            if any(b is not None for b in baselines) else None,
            trend=_trend(trend, {t.name for t in mine})))
    return tuple(out)
