"""A small line chart as inline SVG: no script, no font, nothing fetched. Pure.

>>> svg = line_chart("carried patches", [("2026-11-11", 7), ("2026-11-18", 6), ("2026-11-25", 5)])
>>> svg.startswith("<svg") and "<polyline" in svg and "2026-11-25: 5" in svg
True
>>> "<script" in svg or "href" in svg
False
"""

from __future__ import annotations

import math
from datetime import date
from html import escape

WIDTH, HEIGHT = 420, 170
LEFT, RIGHT, TOP, BOTTOM = 44, 30, 14, 26


def nice_ticks(high: int, count: int = 4) -> list[int]:
    """Round tick values from 0 to at least ``high``.

    >>> nice_ticks(57), nice_ticks(0), nice_ticks(1234)
    ([0, 20, 40, 60], [0, 1], [0, 500, 1000, 1500])
    """
    if high <= 0:
        return [0, 1]
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step)) if step >= 1 else 1
    top = math.ceil(high / step) * step
    return list(range(0, top + 1, step))


def _number(value: int) -> str:
    if value >= 10000:
        return f"{value / 1000:.0f}k"
    return f"{value:,}"


def line_chart(title: str, points: list[tuple[str, int]], color: str = "currentColor") -> str:
    """An SVG chart of ``points`` ((date, value), oldest first), y from 0, x by date."""
    label = escape(title)
    if not points:
        return ""
    days = [date.fromisoformat(d).toordinal() for d, _ in points]
    first, last = days[0], days[-1]
    ticks = nice_ticks(max(v for _, v in points))
    top = ticks[-1]
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: int) -> float:
        if last == first:
            return LEFT + inner_w / 2
        return LEFT + (day - first) * inner_w / (last - first)

    def y(value: int) -> float:
        return TOP + inner_h - value * inner_h / top

    out = [(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg">'),
           f"<title>{label}</title>"]
    for tick in ticks:
        ty = y(tick)
        out.append(f'<line class="grid" x1="{LEFT}" y1="{ty:.1f}" x2="{WIDTH - RIGHT}" '
                   f'y2="{ty:.1f}"/>')
        out.append(f'<text class="tick" x="{LEFT - 6}" y="{ty + 4:.1f}" '
                   f'text-anchor="end">{_number(tick)}</text>')
    base_y = TOP + inner_h
    out.append(f'<text class="tick" x="{LEFT}" y="{base_y + 18}" '
               f'text-anchor="start">{escape(points[0][0])}</text>')
    if last != first:
        out.append(f'<text class="tick" x="{WIDTH - RIGHT}" y="{base_y + 18}" '
                   f'text-anchor="end">{escape(points[-1][0])}</text>')
    coords = [(x(d), y(v)) for d, (_, v) in zip(days, points)]
    path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
    if len(coords) > 1:
        area = f"{coords[0][0]:.1f},{base_y} {path} {coords[-1][0]:.1f},{base_y}"
        out.append(f'<polygon class="area" points="{area}" fill="{color}"/>')
        out.append(f'<polyline class="line" points="{path}" stroke="{color}"/>')
    dots = coords if len(coords) <= 60 else coords[-1:]
    shown = points if len(coords) <= 60 else points[-1:]
    for (cx, cy), (day, value) in zip(dots, shown):
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{color}">'
                   f"<title>{escape(day)}: {value:,}</title></circle>")
    lx, ly = coords[-1]
    out.append(f'<text class="value" x="{min(lx + 6, WIDTH - 2):.1f}" y="{ly - 7:.1f}" '
               f'text-anchor="end">{value_label(points[-1][1])}</text>')
    out.append("</svg>")
    return "".join(out)


def value_label(value: int) -> str:
    return f"{value:,}"
