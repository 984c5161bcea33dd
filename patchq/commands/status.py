"""`patchq status`: where every patch of a track stands upstream -- the merge matrix.

For each patch and each upstream ref (by default ``main`` and the branch the track follows;
``--against`` names others): absent, partial or present, with the evidence (commit ids and
the method that found them), beside the patch's disposition and submission. What it finds is
written into the map (``patches.<slug>.tracks."<track>".upstream."<ref>"``), so the report
can show change over time.

The queue commits come from the track's queue branch when it is exactly the series on the
base (``patchq checkout`` made it), else the series is applied in a scratch index (no branch
or work tree is touched).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from .. import store as pqstore
from ..clock import stamp
from ..detect import Detector, Finding, PatchChange
from ..errors import GitError
from ..git import Git
from ..model import Track, UpstreamState
from ..queue import LoadedPatch, Progress, base_commit, build, load_series
from ..queuecache import Manifest
from ..ui import Line
from ..workspace import Workspace
from .list_ import submission_of

DEFAULT_REFS = ("main",)
# DEP-3 fields that name upstream commits, issues or PRs: detection reads them as links
LINK_FIELDS = ("Origin", "Bug", "Applied-Upstream", "Forwarded", "Bug-Python")


@dataclass(frozen=True)
class RefColumn:
    name: str  # as the user named it (the map's key)
    commit: str
    resolved: str  # what it resolved as (the name, or origin/<name>)

    def as_json(self) -> dict:
        return {"name": self.name, "commit": self.commit, "resolved": self.resolved}


@dataclass
class StatusRow:
    slug: str
    file: str
    subject: str
    disposition: str
    reason: str
    submission: str
    issue: str
    pr: str
    findings: dict[str, Finding] = field(default_factory=dict)
    problem: str = ""  # why the patch could not be checked (it does not apply on the base)

    def as_json(self) -> dict:
        return {"slug": self.slug, "file": self.file, "subject": self.subject,
                "disposition": self.disposition, "reason": self.reason,
                "submission": self.submission, "issue": self.issue, "pr": self.pr,
                "problem": self.problem,
                "refs": {ref: f.as_json() for ref, f in self.findings.items()}}


@dataclass
class TrackStatus:
    track: str
    base: str
    base_commit: str
    refs: list[RefColumn]
    rows: list[StatusRow]
    skipped_refs: list[str] = field(default_factory=list)  # default refs missing in the clone

    def counts(self, ref: str) -> dict[str, int]:
        out = {s.value: 0 for s in reversed(UpstreamState)}  # present, partial, absent
        for row in self.rows:
            finding = row.findings.get(ref)
            if finding is not None:
                out[finding.state.value] += 1
        return out

    def as_json(self) -> dict:
        return {"track": self.track, "base": self.base, "base_commit": self.base_commit,
                "refs": [r.as_json() for r in self.refs], "skipped_refs": self.skipped_refs,
                "counts": {r.name: self.counts(r.name) for r in self.refs},
                "patches": [row.as_json() for row in self.rows]}


@dataclass
class StatusResult:
    tracks: list[TrackStatus]
    checked_at: str
    recorded: bool

    def as_json(self) -> dict:
        return {"checked_at": self.checked_at, "recorded": self.recorded,
                "tracks": [t.as_json() for t in self.tracks]}


def resolve_ref(git: Git, name: str) -> tuple[str, str] | None:
    """A ref as the user names it: itself, else ``origin/<name>`` (a clone whose local
    branches are not there). Returns (commit, what it resolved as) or None."""
    for candidate in (name, f"origin/{name}", f"refs/remotes/origin/{name}"):
        sha = git.rev_parse(candidate)
        if sha:
            return sha, candidate
    return None


def default_refs(track: Track) -> list[str]:
    refs = list(DEFAULT_REFS)
    if track.follows and track.follows not in refs:
        refs.append(track.follows)
    return refs


def status(ws: Workspace, track: str | None = None, against: tuple[str, ...] = (),
           record: bool = True, progress: Progress | None = None) -> StatusResult:
    """Check the patches of ``track`` (every track when None) against upstream refs."""
    ws.read_only()  # tomllib: fast; the map is read again with tomlkit to record findings
    tracks = ws.tracks(track)
    if track:
        ws.use_track(track)
    gits: list[Git] = [ws.git_for(tr.name) for tr in tracks]  # each track's upstream clone
    if record:  # before the work: a rebase or push in progress would lose what is written
        pqstore.check_idle(ws, also="or `patchq status --no-write` to only look")
    checked_at = stamp()
    results = []
    for tr, git in zip(tracks, gits):
        results.append(_track_status(ws, git, tr, against, progress))
    recorded = False
    if record and any(t.rows for t in results):
        with pqstore.writing(ws):  # the map as it is now, under the lock
            umap = ws.map
            before = umap.text()
            for result in results:
                write_findings(ws, result, checked_at)
            if umap.text() != before:
                umap.save()
                recorded = True
    return StatusResult(results, checked_at, recorded)


def _track_status(ws: Workspace, git: Git, track: Track, against: tuple[str, ...],
                  progress: Progress | None) -> TrackStatus:
    loaded = load_series(ws.series_dir(track.name), track.name)
    base = base_commit(git, track)
    refs: list[RefColumn] = []
    skipped: list[str] = []
    for name in dict.fromkeys(against or default_refs(track)):
        found = resolve_ref(git, name)
        if found is None:
            if against:
                raise GitError(f"ref {name!r} does not resolve in the upstream clone {git.path}",
                               "fetch it, or name a branch, tag or commit that exists")
            skipped.append(name)
            continue
        refs.append(RefColumn(name, found[0], found[1]))
    commits, problems = _queue_commits(ws, git, track, loaded.patches, base)
    rows = []
    for patch in loaded.patches:
        record = ws.map.patch(patch.slug)
        desc = patch.file.description
        rows.append(StatusRow(
            slug=patch.slug, file=patch.entry.name, subject=desc.subject,
            disposition=str(_people(record, track.name, "disposition") or "undecided"),
            reason=str(_people(record, track.name, "reason") or ""),
            submission=submission_of(record), issue=str(record.get("issue", "") or ""),
            pr=str(record.get("pr", "") or ""), problem=problems.get(patch.slug, "")))
    changes = [PatchChange(p.slug, commits[p.slug], _message(p), ws.map.patch(p.slug))
               for p in loaded.patches if p.slug in commits]
    by_slug = {row.slug: row for row in rows}
    for number, ref in enumerate(refs, 1):
        if progress:
            progress(number - 1, len(refs), f"{track.name} against {ref.name}")
        detector = Detector(git, ref.resolved, since=base)
        for finding in detector.find_all(changes):
            by_slug[finding.slug].findings[ref.name] = replace(finding, ref=ref.name)
    if progress:
        progress(len(refs), len(refs), f"{track.name} checked")
    return TrackStatus(track.name, track.base, base, refs, rows, skipped)


def _people(record: Any, track: str, key: str) -> Any:
    """A people-owned field: the track's own value (``record --track``), else the patch's."""
    per_track = (record.get("tracks", {}) or {}).get(track, {}) or {}
    value = per_track.get(key) if hasattr(per_track, "get") else None
    return value if value not in (None, "") else record.get(key)


def _message(patch: LoadedPatch) -> str:
    """The patch's message and the DEP-3 fields that may link it upstream."""
    text = patch.file.description.message()
    extra = [f"{name}: {value}" for name, value in patch.file.fields
             if name.lower() in {f.lower() for f in LINK_FIELDS}]
    return text + ("\n" + "\n".join(extra) + "\n" if extra else "")


def _queue_commits(ws: Workspace, git: Git, track: Track, patches: tuple[LoadedPatch, ...],
                   base: str) -> tuple[dict[str, str], dict[str, str]]:
    """slug -> queue commit, and slug -> why it has none (does not apply on the base)."""
    reused = _from_queue_branch(ws, git, track, patches, base)
    if reused is not None:
        return reused, {}
    result = build(git, base, patches, keep_going=True)
    commits = {item.slug: item.commit for item in result.applied}
    problems = {exc.slug: f"does not apply on {track.base}: {exc.details or exc.message}"
                for exc in result.failed}
    return commits, problems


def _from_queue_branch(ws: Workspace, git: Git, track: Track,
                       patches: tuple[LoadedPatch, ...], base: str) -> dict[str, str] | None:
    """The queue branch's commits when it is exactly this series on this base."""
    manifest = Manifest(git, track.name)
    tip = manifest.tip
    branch_tip = git.branch_tip(ws.queue_branch(track.name))
    if not tip or tip != branch_tip or not git.is_ancestor(base, tip):
        return None
    commits = git.queue_commits(base, tip)
    if len(commits) != len(patches):
        return None
    out = {}
    for commit, patch in zip(commits, patches):
        if commit.slug != patch.slug or manifest.digest_for(commit.sha) != patch.digest:
            return None
        out[patch.slug] = commit.sha
    return out


def write_findings(ws: Workspace, result: TrackStatus, checked_at: str) -> None:
    """Record each finding under ``patches.<slug>.tracks."<track>".upstream."<ref>"``, and the
    state in the followed branch as the track's ``state``."""
    import tomlkit

    umap = ws.map
    follows = umap.track(result.track).follows
    for row in result.rows:
        if not row.findings:
            continue
        per_track = umap.patch_track(row.slug, result.track)
        if "upstream" not in per_track:
            per_track["upstream"] = tomlkit.table(is_super_table=True)
        upstream = per_track["upstream"]
        for ref, finding in row.findings.items():
            entry = tomlkit.table()
            for key, value in finding.as_map(checked_at).items():
                if key == "evidence":
                    if not value:
                        continue
                    value = _evidence_array(value)
                entry[key] = value
            entry.add(tomlkit.nl())
            upstream[ref] = entry
        if follows in row.findings:
            per_track["state"] = row.findings[follows].state.value


def _evidence_array(items: list[dict]) -> Any:
    import tomlkit

    array = tomlkit.array()
    for item in items:
        inline = tomlkit.inline_table()
        inline["method"] = item["method"]
        inline["commits"] = list(item["commits"])
        if item.get("detail"):
            inline["detail"] = item["detail"]
        array.append(inline)
    if len(items) > 1:
        array.multiline(True)
    return array


def _state_cell(finding: Finding | None) -> str:
    from .. import ui

    if finding is None:
        return "-"
    state = finding.state.value
    if state == "present":
        text, style = f"present {finding.method.value if finding.method else ''}".strip(), "green"
    elif state == "partial":
        text, style = f"partial {finding.hunks_present}/{finding.hunks_total}", "yellow"
    else:
        text, style = "absent", "dim"
    return ui.styled(text, style)


def _evidence_lines(tstatus: TrackStatus) -> Iterator[str]:
    """The evidence under a track's matrix: for each patch found somewhere, what was found."""
    details = []
    for position, row in enumerate(tstatus.rows, 1):
        lines = []
        if row.problem:
            lines.append(f"not checked: {row.problem}")
        for ref, finding in row.findings.items():
            if finding.state.value != "absent" or finding.evidence or finding.notes:
                said = "; ".join(e.line() for e in finding.evidence) or "no evidence"
                lines.append(f"{ref}: {finding.state.value}: {said}")
                lines += [f"  {note}" for note in finding.notes]
        if row.reason:
            lines.append(f"reason: {row.reason}")
        if lines:
            details.append(f"  {position} {row.slug}")
            details += [f"      {line}" for line in lines]
    if details:
        yield "evidence:"
        yield from details


def render(result: StatusResult, as_json: bool, map_name: str, no_write: bool
           ) -> Iterator[Line]:
    """What `patchq status` prints: per track the matrix, the evidence and the counts."""
    from .. import ui

    if as_json:
        yield ui.json_text(result.as_json())
        return
    for number, tstatus in enumerate(result.tracks):
        if number:
            yield ""
        refs = ", ".join(f"{r.name} ({r.commit[:12]})" for r in tstatus.refs)
        yield (f"{tstatus.track}: {len(tstatus.rows)} patches on {tstatus.base} "
               f"({tstatus.base_commit[:12]}), against {refs or 'no ref'}")
        for name in tstatus.skipped_refs:
            yield (f"note: {name} is not in the upstream clone; skipped (name refs with "
                   "--against)")
        columns = ["#", "slug", *[r.name for r in tstatus.refs], "disposition", "submission"]
        rows = []
        for position, row in enumerate(tstatus.rows, 1):
            submitted = row.submission
            if row.pr or row.issue:
                submitted += " #" + (row.pr or row.issue).rsplit("#", 1)[-1]
            rows.append([position, ui.escape(row.slug),
                         *[_state_cell(row.findings.get(r.name)) for r in tstatus.refs],
                         row.disposition, submitted])
        yield ui.Table(columns, rows)
        yield from _evidence_lines(tstatus)
        counts = "; ".join(
            f"{r.name}: " + ", ".join(f"{n} {s}" for s, n in tstatus.counts(r.name).items())
            for r in tstatus.refs)
        if counts:
            yield counts
    if result.recorded:
        yield f"recorded in {map_name} (checked_at {result.checked_at})"
    elif no_write:
        yield "not recorded (--no-write)"
