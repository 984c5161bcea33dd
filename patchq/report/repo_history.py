"""What the patch repo's own git history says: the last committed version of patches no longer
in a series (a dropped patch's subject), and, for ``patchq report --replay``, the series and
the map as every commit left them, rebuilt into history snapshots.

git runs only through :mod:`patchq.git` (its named methods and the repository's one
``git cat-file --batch``). A patch repo that is not a git repository (or has no commit) has no
such history: nothing is read, nothing fails.

Replay reads ``git log --first-parent --raw`` of ``series/`` and ``upstream_map.toml`` once,
keeps the last commit of each day, reads every distinct blob once and parses every distinct
patch file once, so a long history costs two git processes and one parse per file version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import GitError, SeriesError
from ..model import slug_of
from ..seriesdir import SERIES, parse_series
from .compute import rows_of, snapshot_of
from .history import Snapshot, format_time
from .inputs import patch_input
from .model import PatchInput, ReportInput, TrackInput
from .records import rebase_of, table_of

MAP_NAME = "upstream_map.toml"
SERIES_DIR = "series"
DRAFTS_DIR = "drafts"


def open_repo(root: Path) -> Any:
    """The patch repo as a :class:`~patchq.git.Git`, or None when it is not a repository."""
    if not (root / ".git").exists():
        return None  # cheap: no git, no GitPython import
    from ..git import Git

    try:
        git = Git(root)
        if not git.rev_parse("HEAD"):
            return None
        return git
    except GitError:
        return None


def _read(git: Any, names: list[str]) -> dict[str, bytes]:
    """Blobs by name (a sha or ``REV:PATH``), in one ``cat-file --batch``."""
    if not names:
        return {}
    return {name: data for name, (_, data) in zip(names, git.objects.read_many(names))}


def last_committed(root: Path, wanted: Mapping[str, Iterable[str]]
                   ) -> dict[str, dict[str, PatchInput]]:
    """``wanted``: track -> slugs no longer in its series. Each one as the patch repo's git last
    had it: in HEAD (a rebase not yet committed), else just before the commit that deleted it.
    Slugs git never had are left out."""
    wanted = {t: set(slugs) for t, slugs in wanted.items() if slugs}
    git = open_repo(root) if wanted else None
    if git is None:
        return {}
    names: dict[tuple[str, str], tuple[str, str]] = {}  # (track, slug) -> (file, blob name)
    try:
        for track, slugs in wanted.items():
            directory = f"{SERIES_DIR}/{track}/"
            for path, blob in git.blob_entries("HEAD", directory):
                slug = slug_of(path)
                if slug in slugs and "/" not in path[len(directory):]:
                    names.setdefault((track, slug), (path[len(directory):], blob))
            missing = {s for s in slugs if (track, s) not in names}
            if not missing:
                continue
            log = git.deletions_log(directory)
            commit = ""
            for token in log.split("\0"):
                token = token.strip("\n")
                if token.startswith("\x01"):
                    commit = token[1:]
                    continue
                slug = slug_of(token)
                if token and slug in missing and (track, slug) not in names:
                    names[(track, slug)] = (token[len(directory):], f"{commit}^:{token}")
        blobs = _read(git, [blob for _, blob in names.values()])
    except GitError:
        return {}
    out: dict[str, dict[str, PatchInput]] = {}
    for (track, slug), (file, blob) in names.items():
        out.setdefault(track, {})[slug] = patch_input(file, slug, blobs[blob])
    return out


# -- replay -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitState:
    commit: str
    at: str  # committer time, UTC ISO
    files: dict[str, str]  # path -> blob, of series/ and the map as the commit left them


def commit_states(git: Any) -> list[CommitState]:
    """The last commit of each day that changed ``series/`` or the map, oldest first, with
    every file of them it left (first parent only: a merge counts as one change)."""
    log = git.first_parent_log(f"{SERIES_DIR}/", f"{DRAFTS_DIR}/", MAP_NAME)
    files: dict[str, str] = {}
    by_day: dict[str, CommitState] = {}
    commit, at = "", ""
    pending: str | None = None  # the raw line whose path comes next
    for token in log.split("\0"):
        token = token.lstrip("\n")
        if pending is not None:
            status, blob = pending.split()[4], pending.split()[3]
            if status.startswith("D"):
                files.pop(token, None)
            else:
                files[token] = blob
            pending = None
            continue
        if token.startswith("\x01"):
            if commit:
                by_day[at[:10]] = CommitState(commit, at, dict(files))
            sha, stamp = token[1:].split()
            commit = sha
            at = format_time(datetime.fromtimestamp(int(stamp), tz=timezone.utc))
        elif token.startswith(":"):
            pending = token
    if commit:
        by_day[at[:10]] = CommitState(commit, at, dict(files))
    return [by_day[day] for day in sorted(by_day)]


def _toml(text: str) -> dict:
    try:
        import tomllib

        return tomllib.loads(text)
    except ImportError:  # Python 3.10
        import tomlkit

        return tomlkit.parse(text).unwrap()


def replay(root: Path, before: str = "") -> list[Snapshot]:
    """Snapshots rebuilt from the patch repo's git history: one per day (its last commit that
    changed the series or the map), taken before ``before`` (a UTC ISO time; "" for all).
    Empty when the patch repo is not a git repository."""
    git = open_repo(root)
    if git is None:
        return []
    try:
        states = [s for s in commit_states(git) if not before or s.at < before]
        wanted = sorted({blob for s in states for path, blob in s.files.items()
                         if path == MAP_NAME or path.endswith(f"/{SERIES}")})
        small = _read(git, wanted)
        maps: dict[str, dict] = {}
        plans = []
        for state in states:
            blob = state.files.get(MAP_NAME)
            if blob is None:
                continue
            if blob not in maps:
                try:
                    maps[blob] = _toml(small[blob].decode("utf-8", "replace"))
                except ValueError:
                    maps[blob] = {}
            doc = maps[blob]
            tracks = []
            for name, table in table_of(doc.get("tracks")).items():
                series = state.files.get(f"{SERIES_DIR}/{name}/{SERIES}")
                if series is None:
                    continue
                try:
                    entries = parse_series(small[series].decode("utf-8", "surrogateescape"))
                except SeriesError:
                    continue
                files = [(e, state.files.get(f"{SERIES_DIR}/{name}/{e.name}"))
                         for e in entries.entries]
                tracks.append((str(name), table_of(table), [(e, b) for e, b in files if b]))
            plans.append((state, doc, tracks))
        patch_blobs = sorted({b for _, _, tracks in plans for *_, files in tracks
                              for _, b in files} - set(small))
        blobs = _read(git, patch_blobs)
    except GitError:
        return []
    parsed: dict[tuple[str, int, str], PatchInput] = {}
    snapshots = []
    for state, doc, tracks in plans:
        drafts = {path.split("/")[1] for path in state.files
                  if path.startswith(f"{DRAFTS_DIR}/") and path.count("/") >= 2}
        inputs = []
        for name, table, track_files in tracks:
            patches = []
            for entry, blob in track_files:
                key = (blob, entry.strip, entry.name)
                if key not in parsed:
                    parsed[key] = patch_input(entry.name, entry.slug, blobs[blob], entry.strip)
                patch = parsed[key]
                if patch.slug in drafts:
                    patch = replace(patch, has_draft=True)
                patches.append(patch)
            inputs.append(TrackInput(name=name, follows=str(table.get("follows", name)),
                                     base=str(table.get("base", "")),
                                     base_commit=str(table.get("base_commit", "")),
                                     patches=tuple(patches),
                                     last_rebase=rebase_of(table.get("last_rebase"))))
        now = datetime.fromisoformat(state.at.replace("Z", "+00:00"))
        inp = ReportInput(now=now, tracks=tuple(inputs),
                          records=table_of(doc.get("patches")))
        snapshots.append(snapshot_of(state.at, rows_of(inp), commit=state.commit))
    return snapshots
