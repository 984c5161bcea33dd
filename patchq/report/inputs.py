"""One patch file as the report needs it (subject, author, date, size, files), whether it was
read from the series directory or from the patch repo's git history. Pure: bytes in.

>>> p = patch_input("0001-fix.patch", "fix", b"From: A <a@b>\\nDate: Tue, 1 Mar 2022 10:00:00"
...     b" +0000\\nSubject: [PATCH] Fix it\\n\\n---\\n--- a/x\\n+++ b/x\\n@@ -1 +1 @@\\n-a\\n+b\\n")
>>> p.subject, p.date, p.added, p.removed, p.paths
('Fix it', '2022-03-01', 1, 1, ('x',))
"""

from __future__ import annotations

import email.utils

from ..errors import SeriesError
from ..model import FileStat
from ..patchfile import PatchFile, diff_stats, parse
from .model import PatchInput


def day_of(rfc2822: str) -> str:
    """The day of a patch's date (as written, in its own time zone), '' when there is none.

    >>> day_of("Mon, 3 Mar 2025 23:30:00 -0800"), day_of("")
    ('2025-03-03', '')
    """
    if not rfc2822:
        return ""
    try:
        return email.utils.parsedate_to_datetime(rfc2822).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return ""


def from_parsed(name: str, slug: str, parsed: PatchFile, strip: int = 1,
                has_draft: bool = False) -> PatchInput:
    problem = ""
    stats: tuple[FileStat, ...] = ()
    if not parsed.is_empty:
        try:
            stats = diff_stats(parsed.diff, strip)
        except SeriesError as exc:
            problem = f"{name}: {exc.message}; its size is not counted"
    desc = parsed.description
    return PatchInput(
        slug=slug, file=name, subject=desc.subject, author=desc.author,
        added=sum(s.added for s in stats), removed=sum(s.removed for s in stats),
        files=len(stats), has_draft=has_draft, problem=problem, date=day_of(desc.date),
        paths=tuple(s.path for s in stats))


def patch_input(name: str, slug: str, data: bytes, strip: int = 1,
                has_draft: bool = False) -> PatchInput:
    """A patch file's bytes as a :class:`PatchInput` (a header that does not parse is a
    problem of that patch, not of the report)."""
    try:
        parsed = parse(data, fallback_subject=slug)
    except SeriesError as exc:
        return PatchInput(slug=slug, file=name, subject=slug, has_draft=has_draft,
                          problem=f"{name}: {exc.message}; its size is not counted")
    return from_parsed(name, slug, parsed, strip, has_draft)
