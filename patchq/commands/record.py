"""`patchq record SLUG key=value ...`: set the map fields people own, with validation.

Fields: ``disposition`` (undecided, upstreamable, downstream-only), ``reason``, ``issue``,
``pr``, ``notes``; for drafts ``subject`` (the title to use), ``author`` (``Name <email>``),
``tested_on`` (what the downstream tested it on: ``Linux, 3.13, main``) and ``ci`` (its CI
run); and what ``import`` seeds from the header: ``origin_commit``, ``news``, ``forwarded``.
``key=`` clears a field. ``issue`` and ``pr`` accept ``OWNER/REPO#N``,
``#N`` (in ``[upstream] github``), ``gh-N`` (an issue), ``GH-N`` (a PR) or a GitHub URL and
are stored as ``OWNER/REPO#N``. With ``--track T`` disposition, reason and notes are set for
that track only (``patches.<slug>.tracks."T"``), where they override the patch's own.
The map is written with tomlkit: comments and order stay.
"""

from __future__ import annotations

import difflib
import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .. import conventions as cv
from .. import store as pqstore
from ..errors import MapError, PatchqError
from ..forge import parse_ref
from ..model import Disposition
from ..queue import load_series
from ..workspace import Workspace

FIELDS = ("disposition", "reason", "issue", "pr", "notes", "subject", "author", "tested_on",
          "ci", "origin_commit", "news", "forwarded")
TRACK_FIELDS = ("disposition", "reason", "notes")


class RecordError(PatchqError):
    """A field or value `patchq record` does not accept (a usage error: exit 2)."""

    exit_code = 2


@dataclass
class RecordResult:
    slug: str
    track: str | None
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # key, old, new
    current: dict[str, str] = field(default_factory=dict)  # the fields after the command
    github_cleared: bool = False

    def as_json(self) -> dict:
        return {"slug": self.slug, "track": self.track, "fields": self.current,
                "changes": [{"field": k, "old": o, "new": n} for k, o, n in self.changes],
                "github_cleared": self.github_cleared}


def parse_assignments(items: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    """``key=value`` words, checked: known keys, each once.

    >>> parse_assignments(["disposition=upstreamable", "reason=needed for WASI"])
    [('disposition', 'upstreamable'), ('reason', 'needed for WASI')]
    """
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in items:
        key, eq, value = item.partition("=")
        key = key.strip().lower()
        if not eq:
            raise RecordError(f"{item!r} is not key=value",
                              f"write e.g. disposition=upstreamable (fields: {', '.join(FIELDS)})")
        if key not in FIELDS:
            close = difflib.get_close_matches(key, FIELDS, n=1)
            hint = f"did you mean {close[0]}?" if close else f"fields: {', '.join(FIELDS)}"
            raise RecordError(f"unknown field {key!r}", hint)
        if key in seen:
            raise RecordError(f"{key} is given twice", "give each field once")
        seen.add(key)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise RecordError(f"the value of {key} is not UTF-8 text",
                              "give the text in UTF-8 (check the terminal's encoding)") from None
        out.append((key, value.strip()))
    return out


def _normalize(key: str, value: str, github: str) -> str:
    if value == "":
        return ""
    if key == "disposition":
        allowed = [d.value for d in Disposition]
        if value not in allowed:
            close = difflib.get_close_matches(value, allowed, n=1)
            hint = f"did you mean {close[0]}?" if close else f"use one of {', '.join(allowed)}"
            raise RecordError(f"disposition {value!r} is not one of {', '.join(allowed)}", hint)
        return value
    if key in ("issue", "pr"):
        try:
            return str(parse_ref(value, github, "issue" if key == "issue" else "pr"))
        except PatchqError as exc:
            raise RecordError(f"{key}: {exc.message}", exc.hint) from None
    if "\x00" in value:
        raise RecordError(f"{key} holds a NUL character", "give plain text")
    if key == "subject":
        problem = cv.title_problem(cv.clean_title(value))
        if problem:
            raise RecordError(f"subject {value!r} {problem}",
                              "give one line that says what the change does")
    if key == "author":
        name, address = email.utils.parseaddr(value)
        if not name.strip() or "@" not in address:
            raise RecordError(f"author {value!r} is not Name <email>",
                              "write author=\"Jane Doe <jane@example.org>\" (the CLA check "
                              "needs a real name and address)")
        return f"{name.strip()} <{address}>"
    if key == "origin_commit" and not re.fullmatch(r"[0-9a-f]{7,40}", value):
        raise RecordError(f"origin_commit {value!r} is not a commit id",
                          "give the upstream commit's id (7 to 40 hex digits)")
    if key == "news" and not re.fullmatch(r"Misc/NEWS\.d/next/[^/]+/[^/]+\.rst", value):
        raise RecordError(f"news {value!r} is not a NEWS entry's path",
                          "give Misc/NEWS.d/next/<Section>/<name>.rst")
    return value


def known_slugs(ws: Workspace, track: str | None) -> list[str]:
    """Slugs in the track's series (or in every track's, and in the map)."""
    names = [track] if track else ws.map.track_names()
    slugs: list[str] = []
    for name in names:
        directory = ws.series_dir(name)
        if directory.is_dir():
            slugs += [p.slug for p in load_series(directory, name).patches]
    if not track:
        slugs += ws.map.slugs()
    return list(dict.fromkeys(slugs))


def record(ws: Workspace, slug: str, assignments: list[str] | tuple[str, ...],
           track: str | None = None) -> RecordResult:
    """Set (or with no assignment, show) the people-owned fields of a patch. Setting holds
    patchq's lock from reading the map to writing it (:func:`patchq.store.writing`)."""
    pairs = parse_assignments(assignments)
    if not pairs:
        return _record(ws, slug, pairs, track)
    with pqstore.writing(ws, map_fields=True):  # a stopped rebase takes the edit along
        result = _record(ws, slug, pairs, track)
        if result.changes:
            from .rebase import carry_map

            carry_map(ws)
        return result


def _record(ws: Workspace, slug: str, pairs: list[tuple[str, str]],
            track: str | None) -> RecordResult:
    umap = ws.map
    if track is not None:
        umap.track(track)  # a clear error for an unknown track
    slugs = known_slugs(ws, track)
    if slug not in slugs:
        close = difflib.get_close_matches(slug, slugs, n=1)
        where = f"track {track}" if track else "the map or any track"
        hint = f"did you mean {close[0]}?" if close else "see `patchq list` for the slugs"
        raise MapError(f"no patch {slug!r} in {where}", hint)
    if track is not None:
        refused = [k for k, _ in pairs if k not in TRACK_FIELDS]
        if refused:
            raise RecordError(f"{', '.join(refused)} belong to the patch, not to one track",
                              "record them without --track")
    home = track or next((t for t in umap.patch(slug).get("tracks", {})
                          if t in umap.track_names()), None)
    github = ws.upstream_get("github", home)  # the repository of the patch's upstream
    values = [(k, _normalize(k, v, github)) for k, v in pairs]
    result = RecordResult(slug=slug, track=track)
    if not values:
        result.current = _current(umap.patch(slug), track)
        return result

    table = umap.patch_track(slug, track) if track else umap.ensure_patch(slug)
    merged = {k: str(table.get(k, "") or "") for k in FIELDS}
    merged.update(dict(values))
    disposition = merged.get("disposition") or ("" if track else "undecided")
    reason = merged.get("reason") or (str(umap.patch(slug).get("reason", "") or "")
                                      if track else "")
    if disposition == Disposition.DOWNSTREAM_ONLY.value and not reason:
        raise RecordError("a downstream-only patch needs a reason",
                          "add reason=\"why it stays downstream\"")
    for key, value in values:
        old = str(table.get(key, "") or "")
        if key == "disposition" and value == "" and not track:
            value = Disposition.UNDECIDED.value
        if old == value:
            continue
        if value == "":
            del table[key]
        else:
            table[key] = value
        result.changes.append((key, old, value))
        if key in ("issue", "pr") and "github" in umap.patch(slug):
            result.github_cleared = True
    if result.github_cleared:
        del umap.ensure_patch(slug)["github"]
    if result.changes:
        umap.save()
    result.current = _current(umap.patch(slug), track)
    return result


def _current(record: dict, track: str | None) -> dict[str, str]:
    source = (record.get("tracks", {}) or {}).get(track, {}) if track else record
    keys = TRACK_FIELDS if track else FIELDS
    return {k: str(source.get(k)) for k in keys if source.get(k) not in (None, "")}


def render(result: RecordResult, as_json: bool, slug: str, track: str | None,
           shown_only: bool) -> Iterator[str]:
    """What `patchq record` prints: the fields (``shown_only``: no KEY=VALUE), or each change."""
    if as_json:
        from ..ui import json_text

        yield json_text(result.as_json())
        return
    where = f"{slug} (track {track})" if track else slug
    if shown_only:
        yield f"{where}:"
        for key, value in result.current.items():
            yield f"  {key} = {value}"
        if not result.current:
            yield "  nothing recorded"
        return
    if not result.changes:
        yield f"{where}: nothing changed"
        return
    for key, old, new in result.changes:
        if not new:
            yield f"{where}: {key} cleared (was {old!r})"
        elif old:
            yield f"{where}: {key} {old!r} -> {new!r}"
        else:
            yield f"{where}: {key} = {new!r}"
    if result.github_cleared:
        yield "the GitHub state recorded for it was forgotten; run `patchq sync`"
