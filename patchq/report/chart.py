"""A stacked area chart as inline SVG: no script, no font, nothing fetched. Pure.

Each band is one state (its colour a CSS variable ``--<state>``), stacked bottom to top in the
order given; x is the date, y starts at 0. A base change is a dashed vertical line at the first
report on the new base, labelled with it. With one point the chart is a single stacked column.

>>> svg = stacked_chart("carried patches", ["2026-11-11", "2026-11-18", "2026-11-25"],
...     [("present", "upstream-present", [0, 1, 2]), ("unproposed", "not yet proposed",
...     [7, 5, 3])], markers=[("2026-11-25", "v3.13.15")])
>>> svg.startswith("<svg") and svg.count('class="band"') == 2 and "v3.13.15" in svg
True
>>> "<script" in svg or "href" in svg
False
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from html import escape

WIDTH, HEIGHT = 420, 190
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 22, 26


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


def tick_label(value: int) -> str:
    """A y-axis label: thousands with a comma, ten thousands and more as ``k``.

    >>> tick_label(1500), tick_label(20000)
    ('1,500', '20k')
    """
    if value >= 10000:
        return f"{value / 1000:.0f}k"
    return f"{value:,}"


def stacked_chart(title: str, dates: list[str], bands: list[tuple[str, str, list[int]]],
                  markers: Sequence[tuple[str, str]] = (), label: str = "") -> str:
    """``bands``: (state, title, one value per date), bottom first. ``markers``: (date,
    text) for base changes. ``label``: the text at the last point (default: its total)."""
    if not dates:
        return ""
    days = [date.fromisoformat(d).toordinal() for d in dates]
    totals = [sum(values[i] for _, _, values in bands) for i in range(len(dates))]
    ticks = nice_ticks(max(totals))
    top = ticks[-1]
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    first, last = days[0], days[-1]
    single = last == first

    def x(day: int) -> float:
        if single:
            return LEFT + inner_w / 2
        return LEFT + (day - first) * inner_w / (last - first)

    def y(value: float) -> float:
        return TOP + inner_h - value * inner_h / top

    name = escape(title)
    out = [(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{name}" xmlns="http://www.w3.org/2000/svg">'), f"<title>{name}</title>"]
    for tick in ticks:
        ty = y(tick)
        out.append(f'<line class="grid" x1="{LEFT}" y1="{ty:.1f}" x2="{WIDTH - RIGHT}" '
                   f'y2="{ty:.1f}"/>')
        out.append(f'<text class="tick" x="{LEFT - 6}" y="{ty + 4:.1f}" '
                   f'text-anchor="end">{tick_label(tick)}</text>')
    base_y = TOP + inner_h
    out.append(f'<text class="tick" x="{LEFT}" y="{base_y + 18}" '
               f'text-anchor="start">{escape(dates[0])}</text>')
    if not single:
        out.append(f'<text class="tick" x="{WIDTH - RIGHT}" y="{base_y + 18}" '
                   f'text-anchor="end">{escape(dates[-1])}</text>')
    below = [0] * len(dates)
    for state, band_title, values in bands:
        above = [b + v for b, v in zip(below, values)]
        if any(values):
            tip = escape(f"{band_title}: {values[-1]:,} on {dates[-1]}")
            if single:
                cx = x(days[0])
                out.append(f'<rect class="band" x="{cx - 22:.1f}" y="{y(above[0]):.1f}" '
                           f'width="44" height="{y(below[0]) - y(above[0]):.1f}" '
                           f'fill="var(--{state})"><title>{tip}</title></rect>')
            else:
                upper = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in zip(days, above))
                lower = " ".join(f"{x(d):.1f},{y(v):.1f}"
                                 for d, v in reversed(list(zip(days, below))))
                out.append(f'<polygon class="band" points="{upper} {lower}" '
                           f'fill="var(--{state})"><title>{tip}</title></polygon>')
        below = above
    for marker_day, text in markers:
        mx = x(date.fromisoformat(marker_day).toordinal())
        anchor, tx = ("end", mx - 4) if mx > LEFT + inner_w / 2 else ("start", mx + 4)
        out.append(f'<line class="marker" x1="{mx:.1f}" y1="{TOP - 4}" x2="{mx:.1f}" '
                   f'y2="{base_y}"/>')
        out.append(f'<text class="tick marker-label" x="{tx:.1f}" y="{TOP - 8}" '
                   f'text-anchor="{anchor}">{escape(text)}</text>')
    if len(dates) <= 60 and not single:
        for d, day, total in zip(dates, days, totals):
            out.append(f'<circle cx="{x(day):.1f}" cy="{y(total):.1f}" r="2.5" class="dot">'
                       f"<title>{escape(d)}: {total:,}</title></circle>")
    lx, ly = x(days[-1]), y(totals[-1])
    text = label or f"{totals[-1]:,}"
    out.append(f'<text class="value" x="{min(lx, WIDTH - RIGHT):.1f}" '
               f'y="{max(ly - 6, TOP + 10):.1f}" text-anchor="end">{escape(text)}</text>')
    out.append("</svg>")
    return "".join(out)
