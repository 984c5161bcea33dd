"""Words and numbers the renderers share. Pure.

>>> [human_days(d) for d in (None, 0, 1, 13, 20, 75, 800)]
['unknown', 'today', '1 day', '13 days', '2 weeks', '2 months', '2 years']
>>> [signed(d) for d in (None, 0, 3, -2)]
['', '±0', '+3', '−2']
>>> days_between("2026-11-01T10:00:00Z", "2026-11-25T09:00:00Z")
23
"""

from __future__ import annotations

from .history import parse_time
from .model import CATEGORY_TITLES, PatchRow

REVIEW_TITLES = {
    "approved": "approved",
    "changes_requested": "changes requested",
    "commented": "commented",
    "none": "no review yet",
}
STATE_SYMBOLS = {"present": "✓", "partial": "◐", "absent": "○"}
OUTCOME_WHY = {
    "upstream": "dropped: upstream has it",
    "obsolete": "dropped: its files are gone upstream",
    "partial": "partly upstream",
    "": "removed from the series",
}


def human_days(days: int | None) -> str:
    if days is None:
        return "unknown"
    if days <= 0:
        return "today"
    if days < 14:
        return f"{days} day" + ("s" if days != 1 else "")
    if days < 60:
        return f"{days // 7} weeks"
    if days < 730:
        return f"{days // 30} months"
    return f"{days // 365} years"


def signed(value: int | None) -> str:
    if value is None:
        return ""
    if value == 0:
        return "±0"
    return f"+{value}" if value > 0 else f"−{-value}"


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
    if not row.checked:
        text += " (never checked)"
    return text


def size_text(row: PatchRow) -> str:
    files = f"{row.files} file" + ("s" if row.files != 1 else "")
    return f"+{row.added} −{row.removed}, {files}"


def removed_why(outcome: str) -> str:
    return OUTCOME_WHY.get(outcome, f"dropped ({outcome})")


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
