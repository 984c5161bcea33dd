"""The one clock patchq reads. ``PATCHQ_NOW`` (ISO 8601) fixes it, for tests and reports
that must be reproducible."""

from __future__ import annotations

import os
from datetime import datetime, timezone

ENV = "PATCHQ_NOW"


def now() -> datetime:
    """The current time in UTC (or PATCHQ_NOW).

    >>> os.environ[ENV] = "2024-05-06T07:08:09Z"; now().isoformat()
    '2024-05-06T07:08:09+00:00'
    >>> del os.environ[ENV]
    """
    fixed = os.environ.get(ENV)
    if fixed:
        value = datetime.fromisoformat(fixed.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc).replace(microsecond=0)


def stamp() -> str:
    """``now()`` as an ISO 8601 string with a Z, as the map stores times."""
    return now().astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> str:
    return now().astimezone(timezone.utc).strftime("%Y-%m-%d")
