"""`patchq list`: the patches of a track, in order, with what patchq knows of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import SeriesError
from ..model import Submission
from ..patchfile import diff_stats
from ..queue import load_series
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

    def as_json(self) -> dict:
        return asdict(self) | {"files": list(self.files)}


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


def list_patches(ws: Workspace, track: str | None = None) -> list[ListedPatch]:
    rows = []
    for tr in ws.tracks(track):
        loaded = load_series(ws.series_dir(tr.name), tr.name)
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
                disposition=str(record.get("disposition", "undecided"))))
    return rows
