"""`patchq log SLUG`: one patch's history, newest first.

Read-only; it gathers, from what patchq and git already keep:

- **rebases**: the records every finished rebase leaves (:mod:`patchq.rebase_history`): the
  outcome, its evidence, the old and the new file (name, blob) and commit, and the part of the
  rebase's range-diff about this patch, so a patch a person resolved (``modified``) is shown
  beside its old version; rebases older than those records, from the map's ``last_rebase``
  and the patch's outcome in each committed version of ``upstream_map.toml``;
- **exports**: the patch repo's commits that changed its file (``git log --follow`` of
  ``series/<track>/<file>``), and changes not committed yet;
- **submission**: its issue and PR as they were recorded, its disposition, what ``sync``
  found (``submission`` changes, the PR opened and merged on GitHub), the drafts written
  (``drafts/<slug>/``), and a ``delete`` or ``fold`` that took it out.

A patch repo that is not a git repository has only the map as it is now; an upstream clone
that cannot be opened has no rebase records (a note says so).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..errors import GitError, InputError, PatchqError
from ..model import slug_of, valid_slug
from ..workspace import Workspace

if TYPE_CHECKING:
    from ..git import Git

SCHEMA = "patchq-log/1"
MAP_NAME = "upstream_map.toml"
KINDS = ("rebase", "export", "draft", "issue", "pr", "disposition", "sync", "series")
EXCERPT_LINES = 40  # range-diff lines shown per rebase in the text (--json has them all)


@dataclass(frozen=True)
class Event:
    at: str  # ISO 8601 UTC; "" when not committed yet (newest)
    kind: str  # one of KINDS
    track: str  # "" for the patch as a whole
    summary: str
    details: tuple[str, ...] = ()
    data: dict = field(default_factory=dict, compare=False)

    def as_json(self) -> dict:
        return {"at": self.at or None, "kind": self.kind, "track": self.track or None,
                "summary": self.summary, "details": list(self.details), **self.data}


@dataclass
class LogResult:
    slug: str
    tracks: list[str]
    current: dict[str, dict]  # track -> {carried, file, outcome}
    events: list[Event] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"schema": SCHEMA, "slug": self.slug, "tracks": self.tracks,
                "current": self.current, "events": [e.as_json() for e in self.events],
                "notes": self.notes}


def _time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _toml(data: bytes) -> dict:
    text = data.decode("utf-8", "replace")
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomlkit

        try:
            return tomlkit.parse(text).unwrap()
        except ValueError:  # tomlkit's ParseError is one
            return {}
    try:
        return tomllib.loads(text)
    except ValueError:
        return {}


def _table(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _commits(git: Git, path: str, *, follow: bool = False, first_parent: bool = False
             ) -> list[tuple[str, str, str, tuple[tuple[str, ...], ...]]]:
    """(sha, time, subject, name-status rows) of the commits that changed ``path``, newest
    first (:meth:`patchq.git.Git.file_log`)."""
    return [(c.sha, _time(c.time), c.subject, c.changes)
            for c in git.file_log(path, follow=follow, first_parent=first_parent)]


def _read(git: Git, names: list[str]) -> dict[str, bytes]:
    if not names:
        return {}
    return {name: data for name, (_, data) in zip(names, git.objects.read_many(names))}


# -- rebases from the records ------------------------------------------------------------------


def _evidence(items: Iterable[Any] | None) -> list[str]:
    lines = []
    for item in items or ():
        item = _table(item)
        commits = " ".join(str(c)[:12] for c in list(item.get("commits", ()))[:3])
        detail = str(item.get("detail", "") or "")
        lines.append(" ".join(x for x in (str(item.get("method", "?")), commits,
                                          f"({detail})" if detail else "") if x))
    return lines


def _version(side: str, patch: Mapping) -> str:
    name, blob, commit = (patch.get(f"{side}_file"), patch.get(f"{side}_blob"),
                          patch.get(f"{side}_commit"))
    parts = [str(name) if name else "(no file)"]
    if blob:
        parts.append(f"blob {str(blob)[:12]}")
    if commit:
        parts.append(f"commit {str(commit)[:12]}")
    return ", ".join(parts)


def _record_events(ws: Workspace, slug: str, tracks: list[str], result: LogResult
                   ) -> set[tuple[str, str, str]]:
    """Rebase events from the records; returns (track, from, to) of each one found."""
    from .. import rebase_history

    found: list = []
    by_clone: dict[str, tuple[Any, list[str]]] = {}
    for t in tracks:  # each track's records are in its own upstream's clone
        try:
            git = ws.git_for(t)
        except PatchqError as exc:
            note = f"no rebase records: {exc.message}"
            if note not in result.notes:
                result.notes.append(note)
            continue
        by_clone.setdefault(str(git.path), (git, []))[1].append(t)
    for git, on_it in by_clone.values():
        records, problems = rebase_history.records(git, on_it)
        found += records
        result.notes.extend(problems)
    found.sort(key=lambda r: r.finished_at)
    seen = set()
    for rec in found:
        patch = rec.patch(slug)
        doc = rec.doc
        key = (rec.track, str(doc["from"].get("commit", "")), str(doc["to"].get("commit", "")))
        seen.add(key)
        if patch is None:
            continue
        outcome = str(patch.get("outcome", "?"))
        details = [f"evidence: {line}" for line in _evidence(patch.get("evidence", ()))]
        if patch.get("detail"):
            details.append(f"detail: {patch['detail']}")
        if patch.get("old_blob") and patch.get("old_blob") == patch.get("new_blob") and \
                patch.get("old_file") == patch.get("new_file"):
            details.append(f"file kept byte for byte: {patch['old_file']}, blob "
                           f"{str(patch['old_blob'])[:12]}")
        else:
            details += [f"old: {_version('old', patch)}", f"new: {_version('new', patch)}"]
        if patch.get("old_kept"):
            details.append(f"old file kept: {rec.path.parent / patch['old_kept']}")
        excerpt = rebase_history.excerpt(rec.range_diff(), patch.get("old_commit"),
                                         patch.get("new_commit"))
        data = {"outcome": outcome, "from": doc["from"], "to": doc["to"],
                "evidence": list(patch.get("evidence", ())),
                "old": {**{k: patch.get(f"old_{k}") for k in ("file", "blob", "commit")},
                        "kept": str(rec.path.parent / patch["old_kept"])
                        if patch.get("old_kept") else None},
                "new": {k: patch.get(f"new_{k}") for k in ("file", "blob", "commit")},
                "range_diff": excerpt, "record": str(rec.path)}
        result.events.append(Event(
            rec.finished_at, "rebase", rec.track,
            f"rebase {doc['from'].get('ref', '?')} -> {doc['to'].get('ref', '?')}: {outcome}",
            tuple(details), data))
    return seen


# -- the map's history -------------------------------------------------------------------------


def _map_versions(ws: Workspace, git: Git | None) -> list[tuple[str, str, dict]]:
    """(time, commit, parsed map) of every committed version of the map, oldest first, then
    the map on disk when it differs from the last commit (time "")."""
    versions: list[tuple[str, str, dict]] = []
    last = b""
    if git is not None:
        commits = [c for c in _commits(git, MAP_NAME, first_parent=True)
                   if not any(row[0].startswith("D") for row in c[3])]
        blobs = _read(git, [f"{sha}:{MAP_NAME}" for sha, *_ in commits])
        for sha, at, _, _ in reversed(commits):
            data = blobs[f"{sha}:{MAP_NAME}"]
            versions.append((at, sha, _toml(data)))
            last = data
    try:
        now = ws.map_path.read_bytes()
    except OSError:
        now = last
    if now != last:
        versions.append(("", "", _toml(now)))
    return versions


_PEOPLE = (("issue", "issue"), ("pr", "pr"), ("disposition", "disposition"))


def _map_events(versions: list[tuple[str, str, dict]], slug: str, tracks: list[str],
                seen: set[tuple[str, str, str]], result: LogResult) -> None:
    before: dict = {}
    last_rebase: dict[str, dict] = {}
    stamps: set[tuple[str, str]] = set()
    for at, commit, doc in versions:
        record = _table(_table(doc.get("patches")).get(slug))
        where = {"commit": commit} if commit else {"uncommitted": True}
        for key, kind in _PEOPLE:
            old, new = before.get(key), record.get(key)
            if key == "disposition":
                old, new = old or "undecided", new or "undecided"
            if new != old and (new or old):
                what = f"{key} {new} recorded" if new else f"{key} {old} removed"
                if key == "disposition":
                    what = f"disposition {old} -> {new}"
                result.events.append(Event(at, kind, "", what, (), dict(where)))
        github, old_github = _table(record.get("github")), _table(before.get("github"))
        if github.get("submission") != old_github.get("submission") and github.get("submission"):
            result.events.append(Event(
                str(github.get("checked_at") or at), "sync", "",
                f"sync: submission {old_github.get('submission', 'none')} -> "
                f"{github['submission']}", (), dict(where)))
        for key, what in (("pr_created_at", "PR opened on GitHub"),
                          ("pr_merged_at", "PR merged on GitHub")):
            value = str(github.get(key) or "")
            if value and (key, value) not in stamps:
                stamps.add((key, value))
                result.events.append(Event(value, "pr", "", f"{what}: {record.get('pr', '?')}"))
        for track in tracks:
            per, old_per = (_table(_table(r.get("tracks")).get(track)) for r in (record, before))
            rebase = _table(_table(_table(doc.get("tracks")).get(track)).get("last_rebase"))
            rebased = bool(rebase) and rebase != last_rebase.get(track)
            if rebased:
                last_rebase[track] = rebase
                pair = (track, str(rebase.get("from_commit", "")),
                        str(rebase.get("to_commit", "")))
                if pair not in seen and per.get("outcome"):
                    seen.add(pair)
                    details = [f"evidence: {line}" for line in _evidence(per.get("evidence"))]
                    result.events.append(Event(
                        str(rebase.get("at") or at), "rebase", track,
                        f"rebase {rebase.get('from', '?')} -> {rebase.get('to', '?')}: "
                        f"{per['outcome']}", tuple(details),
                        {"outcome": per["outcome"], "evidence": list(per.get("evidence", ())),
                         "from_map": True, **where}))
            if per.get("carried") is True and old_per.get("carried") is not True:
                result.events.append(Event(at, "series", track, "entered the series"
                                           + (f" (since {per['since']})" if per.get("since")
                                              else ""), (), dict(where)))
            elif per.get("carried") is False and old_per.get("carried") is True:
                if per.get("folded_into"):
                    what = f"folded into {per['folded_into']}"
                elif per.get("deleted"):
                    what = "deleted from the series (`patchq delete`)" + (
                        f", file kept: {per['kept_file']}" if per.get("kept_file") else "")
                elif rebased:
                    continue  # the rebase's event says why
                else:
                    what = "left the series" + (f" ({per['outcome']})" if per.get("outcome")
                                                else "")
                result.events.append(Event(at, "series", track, what, (), dict(where)))
        before = record


# -- exports and drafts from the patch repo's git history ------------------------------------------


def _file_of(ws: Workspace, git: Git | None, slug: str, track: str) -> str:
    """The patch's file in ``series/<track>/`` now (listed, or kept by ``delete``), or
    with ``git``, the last one git had."""
    from ..seriesdir import read_series

    directory = ws.series_dir(track)
    try:
        for entry in read_series(directory).entries:
            if entry.slug == slug:
                return entry.name
    except PatchqError:
        pass
    kept = _table(_table(ws.map.patch(slug).get("tracks")).get(track)).get("kept_file")
    if isinstance(kept, str):
        return kept
    if git is None:
        return ""
    prefix = f"series/{track}/"
    for path in git.logged_paths(prefix):
        if path.startswith(prefix) and slug_of(path) == slug:
            return path[len(prefix):]
    return ""


_STATUS = {"A": "added", "M": "changed", "D": "deleted", "R": "renamed", "C": "copied"}


def _export_events(ws: Workspace, git: Git, slug: str, track: str, result: LogResult) -> None:
    name = _file_of(ws, git, slug, track)
    if not name:
        return
    path = f"series/{track}/{name}"
    for sha, at, subject, rows in reversed(_commits(git, path, follow=True)):
        for row in rows or [["M", path]]:
            status = _STATUS.get(row[0][:1], row[0])
            shown = " -> ".join(row[1:]) if row[0].startswith("R") else row[-1]
            result.events.append(Event(at, "export", track, f"{status} {shown}",
                                       (f"commit {sha[:12]} {subject}",),
                                       {"commit": sha, "status": status, "path": row[-1]}))
    changed = git.status_of(path)
    if changed:
        status = {"D": "deleted", "?": "added", "A": "added", "R": "renamed"}.get(
            changed[0][0].replace(" ", "")[:1], "changed")
        result.events.append(Event("", "export", track, f"{status} {path} (not committed)",
                                   (), {"path": path, "status": status, "uncommitted": True}))


def _draft_events(ws: Workspace, git: Git | None, slug: str, result: LogResult) -> None:
    from .draft import DRAFTS_DIR, META, read_meta

    directory = ws.root / DRAFTS_DIR / slug
    rel = f"{DRAFTS_DIR}/{slug}/"
    if git is not None:
        for sha, at, subject, rows in reversed(_commits(git, rel)):
            names = sorted({row[-1].rsplit("/", 1)[-1] for row in rows} - {META})
            result.events.append(Event(at, "draft", "", f"drafts written: {', '.join(names)}",
                                       (f"commit {sha[:12]} {subject}",), {"commit": sha}))
    if not directory.is_dir():
        return
    if git is not None and not git.status_of(rel):
        return
    meta = read_meta(directory)
    parts = [f"drafts in {rel}"]
    if meta.get("branch"):
        parts.append(f"branch {meta['branch']}" + (f" for {meta['target']}"
                                                   if meta.get("target") else ""))
    for key, what in (("opened_issue", "issue #{} opened"), ("opened_pr", "draft PR #{} opened")):
        if meta.get(key):
            parts.append(what.format(meta[key]))
    result.events.append(Event("", "draft", "", "; ".join(parts) + " (not committed)", (),
                               {"meta": meta, "uncommitted": True}))


# -- the command -------------------------------------------------------------------------------------


def _slug(ws: Workspace, name: str) -> str:
    slug = slug_of(name) if name.endswith((".patch", ".diff")) else name
    if not valid_slug(slug):
        raise InputError(f"{name!r} is not a patch name", "give a slug, as `patchq list` shows")
    return slug


def log(ws: Workspace, name: str, track: str | None = None) -> LogResult:
    """The history of patch ``name`` (a slug or file name) on ``track`` (default: every
    track that has it), newest first."""
    from ..report.repo_history import open_repo

    ws.read_only()
    slug = _slug(ws, name)
    record = ws.map.patch(slug)
    known = ws.map.track_names()
    if track is not None:
        ws.track(track)  # an unknown track is an error
        tracks = [track]
    else:
        tracks = [t for t in known if t in _table(record.get("tracks"))] or known
    git = open_repo(ws.root)
    result = LogResult(slug, tracks, {})
    for t in tracks:
        per = _table(_table(record.get("tracks")).get(t))
        result.current[t] = {"carried": per.get("carried"), "outcome": per.get("outcome"),
                             "file": _file_of(ws, None, slug, t) or None}
    if not record and not any(c["file"] or (git is not None and _file_of(ws, git, slug, t))
                              for t, c in result.current.items()):
        raise InputError(f"no patch {slug} in {MAP_NAME} or in the series of "
                         f"{', '.join(tracks) or 'any track'}",
                         "`patchq list` names the patches")
    seen = _record_events(ws, slug, tracks, result)
    try:
        _map_events(_map_versions(ws, git), slug, tracks, seen, result)
        if git is not None:
            for t in tracks:
                _export_events(ws, git, slug, t, result)
        _draft_events(ws, git, slug, result)
    except GitError as exc:
        result.notes.append(f"the patch repo's history could not be read: {exc.message}")
    if git is None:
        result.notes.append("the patch repo is not a git repository: no exports, and the map "
                            "only as it is now")
    # newest first; at one time, by kind, then the later of one source's events (each source
    # adds its events oldest first) first
    order = {k: n for n, k in enumerate(KINDS)}
    position = {id(e): n for n, e in enumerate(result.events)}
    result.events.sort(key=lambda e: (e.at or "~", -order.get(e.kind, 99), position[id(e)]),
                       reverse=True)
    return result


# -- rendering ---------------------------------------------------------------------------------------


def render(result: LogResult) -> str:
    """The text `patchq log` prints."""
    lines = []
    for track, now in result.current.items():
        state = "carried" if now["carried"] else (
            "not carried" if now["carried"] is False else "not in the map")
        bits = [state] + ([f"series/{track}/{now['file']}"] if now["file"] else []) + \
            ([f"last outcome {now['outcome']}"] if now["outcome"] else [])
        lines.append(f"{result.slug} on {track}: {', '.join(bits)}")
    if not result.events:
        lines.append("no history yet")
    for event in result.events:
        when = event.at.replace("T", " ").removesuffix("Z")[:16] if event.at else "(now)"
        where = f" [{event.track}]" if event.track else ""
        lines.append(f"{when:16}  {event.kind:<11}{where} {event.summary}")
        lines.extend(f"{'':18}{d}" for d in event.details)
        excerpt = str(event.data.get("range_diff") or "")
        if excerpt:
            rows = excerpt.rstrip("\n").splitlines()
            lines.append(f"{'':18}range-diff:")
            lines.extend(f"{'':20}{row}" for row in rows[:EXCERPT_LINES])
            if len(rows) > EXCERPT_LINES:
                lines.append(f"{'':20}... {len(rows) - EXCERPT_LINES} more lines (--json)")
    lines.extend(f"note: {note}" for note in result.notes)
    return "\n".join(lines)
