"""Words and numbers the renderers share. Pure.

One number format everywhere: thousands separated by commas, a minus sign for decreases.

>>> [human_days(d) for d in (None, 0, 1, 13, 20, 75, 800)]
['unknown', 'today', '1 day', '13 days', '2 weeks', '2 months', '2 years']
>>> [signed(d) for d in (None, 0, 3, -2618)]
['', '±0', '+3', '−2,618']
>>> number(21218), plural(1, "earlier snapshot"), plural(2, "patch", "patches")
('21,218', '1 earlier snapshot', '2 patches')
>>> days_between("2026-11-01T10:00:00Z", "2026-11-25T09:00:00Z")
23
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from .history import parse_time
from .model import CATEGORY_TITLES, EventKind, PatchRow, TrendPoint, TrendTrack

REVIEW_TITLES = {
    "approved": "approved",
    "changes_requested": "changes requested",
    "commented": "commented",
    "none": "no review yet",
}
STATE_SYMBOLS = {"present": "✓", "partial": "◐", "absent": "○"}
EVENT_TITLES = {
    EventKind.BASE_MOVED: "base moved",
    EventKind.MERGED: "merged upstream",
    EventKind.OBSOLETE: "obsolete",
    EventKind.DROPPED: "dropped by a person",
    EventKind.REMOVED: "removed",
    EventKind.SET_ASIDE: "set aside",
    EventKind.CHANGED: "changed",
    EventKind.NEW: "new",
}
LEFT_WHY = {
    EventKind.MERGED: "dropped: upstream has it",
    EventKind.OBSOLETE: "dropped: the files it changes are gone upstream",
    EventKind.DROPPED: "dropped by a person (not upstream)",
}
SUBMISSION_TITLES = {"recorded-pr": "PR recorded, not checked", "forwarded": "forwarded"}


def number(value: int) -> str:
    return f"{value:,}"


def plural(count: int, one: str, many: str = "") -> str:
    """``count`` and the word, in the singular for 1."""
    return f"{count:,} " + (one if count == 1 else (many or one + "s"))


def human_days(days: int | None) -> str:
    if days is None:
        return "unknown"
    if days <= 0:
        return "today"
    if days < 14:
        return plural(days, "day")
    if days < 60:
        return plural(days // 7, "week")
    if days < 730:
        return plural(days // 30, "month")
    return plural(days // 365, "year")


def signed(value: int | None) -> str:
    if value is None:
        return ""
    if value == 0:
        return "±0"
    return f"+{value:,}" if value > 0 else f"−{-value:,}"


def days_between(earlier: str, later: str) -> int | None:
    """Whole days from one ISO time to another (None when either is missing)."""
    if not earlier or not later:
        return None
    try:
        return (parse_time(later) - parse_time(earlier)).days
    except ValueError:
        return None


def category_title(category: str) -> str:
    return CATEGORY_TITLES.get(category, category)


def review_title(review: str) -> str:
    return REVIEW_TITLES.get(review, review or "no review yet")


def status_text(row: PatchRow) -> str:
    """The short status of a patch, as the tables show it."""
    text = category_title(row.category)
    if row.submission == "recorded-pr":
        text += " (PR recorded, not checked)"
    return text


def checked_text(row: PatchRow) -> str:
    """What checked the patch, and when: ``rebase 2026-11-25``."""
    if not row.checked:
        return "never checked"
    return " + ".join(row.checked_by) + (f" {row.checked_at[:10]}" if row.checked_at else "")


def lines_text(added: int, removed: int) -> str:
    return f"+{added:,} −{removed:,}"


def size_text(row: PatchRow) -> str:
    return f"{lines_text(row.added, row.removed)}, {plural(row.files, 'file')}"


def left_why(kind: EventKind, detail: str = "") -> str:
    return LEFT_WHY.get(kind, detail or "removed from the series")


def sparkline(values: list[int], width: int = 26) -> str:
    """A text sparkline of the last ``width`` values.

    >>> sparkline([5, 5, 4, 3, 1])
    '██▆▅▁'
    >>> sparkline([2, 2]), sparkline([])
    ('▄▄', '')
    """
    bars = "▁▂▃▄▅▆▇█"
    values = values[-width:]
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return bars[3] * len(values)
    return "".join(bars[round((v - low) * (len(bars) - 1) / (high - low))] for v in values)


def trend_points(points: Sequence[TrendPoint], track: str) -> list[tuple[str, TrendTrack]]:
    """The trend of one track: (date, values), oldest first."""
    return [(p.date, p.tracks[track]) for p in points if track in p.tracks]


def base_changes(points: list[tuple[str, TrendTrack]]) -> list[tuple[str, str, str]]:
    """(date, old base, new base) at each report whose base differs from the one before.

    >>> t = lambda base: TrendTrack(1, 1, base)
    >>> base_changes([("2026-11-18", t("v1")), ("2026-11-25", t("v2")), ("2026-12-02", t("v2"))])
    [('2026-11-25', 'v1', 'v2')]
    """
    out = []
    for (_, before), (day, after) in pairwise(points):
        if before.base and after.base and before.base != after.base:
            out.append((day, before.base, after.base))
    return out
