"""`patchq list`: the patches of a track, in order, with what patchq knows of them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

from ..errors import SeriesError
from ..model import Submission
from ..patchfile import diff_stats
from ..queue import load_series
from ..ui import Line, Table, json_text
from ..workspace import Workspace


@dataclass(frozen=True)
class ListedPatch:
    track: str
    slug: str
    file: str
    subject: str
    author: str
    files: tuple[str, ...]
    added: int
    removed: int
    state: str  # upstream state on the track, "" when never checked
    submission: str
    disposition: str
    applies: str | None = None  # clean, 3way, fuzzy, empty: from the last build; None: unknown
    apply_notes: tuple[str, ...] = ()  # for fuzzy: the hunks with fuzz, line endings reconciled

    def as_json(self) -> dict:
        return asdict(self) | {"files": list(self.files), "apply_notes": list(self.apply_notes)}


def submission_of(record: dict) -> str:
    """The submission recorded for a patch (sync refines it from GitHub)."""
    github = record.get("github", {})
    recorded = str((github.get("submission", "") if hasattr(github, "get") else "")
                   or record.get("submission", ""))
    if recorded:
        return recorded
    if record.get("pr"):
        return Submission.OPEN_PR.value
    if record.get("issue"):
        return Submission.ISSUE.value
    return Submission.NONE.value


_STRENGTH = {"present": 3, "partial": 2, "absent": 1}


def state_of(per_track: dict, follows: str) -> str:
    """A patch's upstream state on a track, as ``patchq status`` recorded it: the state in the
    branch the track follows, else the strongest state found in another ref, naming it.

    >>> state_of({"upstream": {"3.12": {"state": "present"}, "3.11": {"state": "absent"}}}, "3.11")
    'absent'
    >>> state_of({"upstream": {"main": {"state": "present"}}}, "3.11")
    'present (main)'
    >>> state_of({}, "3.11")
    ''
    """
    upstream = per_track.get("upstream", {})
    if not hasattr(upstream, "items") or not upstream:
        return str(per_track.get("state", ""))
    states = {str(ref): str(t.get("state", "")) for ref, t in upstream.items()
              if hasattr(t, "get") and t.get("state") in _STRENGTH}
    if follows in states:
        return states[follows]
    if not states:
        return ""
    ref = max(states, key=lambda r: _STRENGTH[states[r]])
    return f"{states[ref]} ({ref})"


def _how_applied(ws: Workspace, track, loaded) -> dict:
    """slug -> Applied from the build an earlier command remembered; {} when there is none
    (or no upstream clone: list needs none)."""
    from ..errors import PatchqError
    from ..queue import base_commit
    from ..queuecache import remembered_build

    try:
        git = ws.git_for(track.name)
        built = remembered_build(git, base_commit(git, track), loaded.patches)
    except PatchqError:
        return {}
    return {a.slug: a for a in built.applied} if built else {}


def list_patches(ws: Workspace, track: str | None = None, with_apply: bool = False
                 ) -> list[ListedPatch]:
    rows = []
    ws.read_only()  # list never writes: tomllib reads the map several times faster
    for tr in ws.tracks(track):
        loaded = load_series(ws.series_dir(tr.name), tr.name)
        applied = _how_applied(ws, tr, loaded) if with_apply else {}
        for patch in loaded.patches:
            try:
                stats = diff_stats(patch.file.diff, patch.entry.strip) if not patch.file.is_empty \
                    else ()
            except SeriesError as exc:
                raise SeriesError(f"{patch.entry.name}: {exc.message}", exc.hint) from None
            record = ws.map.patch(patch.slug)
            per_track = record.get("tracks", {}).get(tr.name, {})
            desc = patch.file.description
            rows.append(ListedPatch(
                track=tr.name, slug=patch.slug, file=patch.entry.name, subject=desc.subject,
                author=desc.author, files=tuple(s.path for s in stats),
                added=sum(s.added for s in stats), removed=sum(s.removed for s in stats),
                state=state_of(per_track, tr.follows), submission=submission_of(record),
                disposition=str(record.get("disposition", "undecided")),
                applies=applied[patch.slug].how if patch.slug in applied else None,
                apply_notes=applied[patch.slug].notes if patch.slug in applied else ()))
    return rows


def render(rows: list[ListedPatch], as_json: bool) -> Iterator[Line]:
    """What `patchq list` prints: a table, or JSON."""
    if as_json:
        yield json_text([r.as_json() for r in rows])
        return
    many = len({r.track for r in rows}) > 1
    columns = (["track"] if many else []) + ["#", "slug", "subject", "author", "files", "+/-",
                                              "upstream", "submission"]
    table_rows = []
    numbers: dict[str, int] = {}
    for row in rows:
        number = numbers[row.track] = numbers.get(row.track, 0) + 1
        files = row.files[0] if len(row.files) == 1 else f"{len(row.files)} files"
        cells = [number, row.slug, row.subject[:60], row.author.split(" <")[0], files,
                 f"+{row.added}/-{row.removed}", row.state or "-", row.submission]
        table_rows.append(([row.track] if many else []) + cells)
    yield Table(columns, table_rows)
