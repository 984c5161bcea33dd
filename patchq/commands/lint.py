"""`patchq lint`: everything that can be wrong with a track, one problem a line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .. import owner, validate
from ..errors import InputError, PatchqError, SeriesError
from ..model import Problem, Severity, valid_slug
from ..patchfile import unidiff_stats
from ..queue import LoadedPatch, LoadedSeries, base_commit
from ..queuecache import build_cached
from ..queueexport import plan_export
from ..seriesdir import check_relative, file_digest, load_patch, read_series, unlisted_files
from ..workspace import SERIES_DIR, Workspace


def _load(ws: Workspace, track: str, problems: list[Problem]) -> LoadedSeries | None:
    directory = ws.series_dir(track)
    try:
        series = read_series(directory)
    except InputError as exc:
        problems.append(Problem(track, "outside-link", exc.message))
        return None
    except SeriesError as exc:
        code = "bad-series" if (directory / "series").is_file() else "no-series"
        problems.append(Problem(track, code, exc.message))
        return None
    patches: list[LoadedPatch] = []
    seen: dict[str, str] = {}
    for entry in series.entries:
        try:
            check_relative(entry.name)
        except SeriesError as exc:
            problems.append(Problem(track, "bad-name", exc.message, entry.slug))
            continue
        if not valid_slug(entry.slug):
            problems.append(Problem(track, "bad-name", f"{entry.slug!r} is not a usable slug",
                                    entry.slug))
        if entry.slug in seen:
            problems.append(Problem(track, "duplicate-slug",
                                    f"{entry.name} and {seen[entry.slug]} share one slug",
                                    entry.slug))
            continue
        seen[entry.slug] = entry.name
        try:
            parsed = load_patch(directory, entry)
        except InputError as exc:
            problems.append(Problem(track, "outside-link", exc.message, entry.slug))
            continue
        except SeriesError as exc:
            code = "missing-file" if "does not exist" in exc.message else "unreadable"
            problems.append(Problem(track, code, exc.message, entry.slug))
            continue
        if parsed.is_empty:
            problems.append(Problem(track, "empty", f"{entry.name} has no diff", entry.slug))
        else:
            try:
                unidiff_stats(parsed.diff, entry.strip)
            except SeriesError as exc:
                problems.append(Problem(track, "parse", f"{entry.name}: {exc.message}",
                                        entry.slug))
                continue
        refused = validate.patch_problems(parsed.raw, parsed.diff, entry.strip)
        if refused:  # never applied: git would refuse it in the clone
            code = "binary" if b"\x00" in parsed.raw else "refused-path"
            problems.extend(Problem(track, code, f"{entry.name}: {text}", entry.slug)
                            for text in refused)
            continue
        patches.append(LoadedPatch(entry=entry, file=parsed, path=directory / entry.name,
                                   digest=file_digest(parsed.raw)))
    kept = kept_files(ws, track)
    for name in unlisted_files(directory, series):
        if name not in kept and not name.endswith("~"):
            problems.append(Problem(track, "unlisted", f"{name} is not in the series file"))
    return LoadedSeries(track=track, directory=directory, series=series, patches=tuple(patches))


def kept_files(ws: Workspace, track: str) -> set[str]:
    """Files of a track's directory that `patchq delete` left there on purpose (as quilt
    does): the ``kept_file`` of records no longer carried on the track."""
    out = set()
    for slug in ws.map.slugs():
        record = ws.map.patch(slug).get("tracks", {}).get(track, {})
        if record.get("carried") is not True and isinstance(record.get("kept_file"), str):
            out.add(record["kept_file"])
    return out


def _check_map(ws: Workspace, loaded: LoadedSeries, problems: list[Problem]) -> None:
    track = loaded.track
    in_series = {p.slug for p in loaded.patches}
    for slug in in_series:
        per_track = ws.map.patch(slug).get("tracks", {}).get(track)
        if per_track is None or per_track.get("carried") is not True:
            problems.append(Problem(track, "map-missing", f"{ws.map_path.name} has no record "
                                    f"of {slug} on this track", slug))
    for slug in ws.map.slugs():
        per_track = ws.map.patch(slug).get("tracks", {}).get(track, {})
        if per_track.get("carried") is True and slug not in in_series:
            problems.append(Problem(track, "map-stale", f"{ws.map_path.name} says {slug} is "
                                    "carried, but the series does not list it", slug))


def lint_track(ws: Workspace, track: str, check_export: bool = False,
               check_apply: bool = True, onto: str | None = None) -> list[Problem]:
    problems: list[Problem] = []
    try:
        tr = ws.track(track)
        ws.use_track(track)
    except PatchqError as exc:
        return [Problem(track, "no-track", exc.message)]
    loaded = _load(ws, track, problems)
    if loaded is None:
        return problems
    _check_map(ws, loaded, problems)
    if not (check_apply or check_export):
        return problems
    try:
        git = ws.git
        base = base_commit(git, tr)
    except PatchqError as exc:
        problems.append(Problem(track, "no-base", exc.message))
        return problems
    result = build_cached(git, base, loaded.patches, keep_going=True)
    aside = ws.map.set_aside(track)
    for failure in result.failed:
        if failure.slug in aside:
            problems.append(Problem(track, "set-aside", "set aside by a rebase, it does not "
                                    f"apply on {tr.base}: `patchq push {failure.slug}` merges "
                                    "it 3-way for you to resolve", failure.slug))
            continue
        problems.append(Problem(track, "does-not-apply",
                                f"does not apply on {tr.base}: {failure.details}", failure.slug))
    for applied in result.applied:
        if applied.how == "fuzzy":
            problems.append(Problem(
                track, "fuzzy-apply",
                f"applies on {tr.base} only as GNU patch would: {'; '.join(applied.notes)} "
                f"(`patchq export {track} --refresh` rewrites it clean)", applied.slug,
                extra={"notes": list(applied.notes)}, severity=Severity.WARNING))
    if check_export and not result.failed:  # a fuzzy file is rewritten only on request
        problems.extend(_check_export(ws, loaded, base, result.tip))
    if onto and all(f.slug in aside for f in result.failed):
        problems.extend(check_onto(ws, track, onto))
    return problems


def check_onto(ws: Workspace, track: str, onto: str) -> list[Problem]:
    """The patches a rebase of ``track`` onto ``onto`` would stop at (a dry run: nothing is
    written), for CI's early warning before the next upstream release."""
    from ..model import Outcome
    from .rebase import rebase

    try:
        result = rebase(ws, track, onto, on_conflict="skip", dry_run=True)
    except PatchqError as exc:
        return [Problem(track, "onto-failed", f"cannot try a rebase onto {onto}: {exc.message}")]
    problems = []
    for patch in result.patches:
        if patch.outcome is Outcome.CONFLICT:
            files = ", ".join(patch.files[:3]) + (" ..." if len(patch.files) > 3 else "")
            note = patch.detail.split("; ", 1)[1] if "; " in patch.detail else ""
            problems.append(Problem(track, "would-conflict",
                                    f"would conflict on {onto} in {files or '?'}"
                                    + (f" ({note})" if note else ""), patch.slug,
                                    extra={"files": list(patch.files)}))
    return problems


def _check_export(ws: Workspace, loaded: LoadedSeries, base: str, built_tip: str) -> list[Problem]:
    """Would export change files? Against the queue branch when there is one."""
    git = ws.git
    track = loaded.track
    branch = ws.queue_branch(track)
    tip = git.branch_tip(branch)
    source = f"queue branch {branch}"
    try:
        owner.check(git, ws.root, branch, track)
    except PatchqError:
        tip = None  # not this repo's queue branch: compare with the series as built
    if tip is None or not git.is_ancestor(base, tip):
        tip, source = built_tip, "the series applied on its base"
    plan = plan_export(git, ws.reload_map(), loaded, base, tip)
    ws.reload_map()  # planning mutates the in-memory map; forget it
    problems = []
    for path, data in sorted(plan.files.changes().items()):
        what = "delete" if data is None else ("write" if path.exists() else "create")
        problems.append(Problem(track, "export-would-change",
                                f"export of {source} would {what} {_rel(ws, path)}"))
    return problems


def _rel(ws: Workspace, path: Path) -> str:
    try:
        return path.relative_to(ws.root).as_posix()
    except ValueError:
        return str(path)


def lint(ws: Workspace, track: str | None = None, check_export: bool = False,
         check_apply: bool = True, onto: str | None = None) -> list[Problem]:
    """Every problem of ``track`` (or of every track). Applying needs the upstream clone: when
    it cannot be opened, that is one error (PatchqError), not one problem per track."""
    names = [track] if track else ws.map.track_names()
    if (check_apply or check_export) and names:
        try:
            for name in set(names) & set(ws.map.track_names()):
                ws.git_for(name)  # open the clones now, to fail once and clearly
        except PatchqError as exc:
            raise type(exc)(exc.message, (exc.hint + ", " if exc.hint else "") +
                            "or lint only the files with --no-apply") from None
    problems: list[Problem] = []
    if not track:
        series_root = ws.root / SERIES_DIR
        if series_root.is_dir():
            for directory in sorted(p for p in series_root.iterdir() if p.is_dir()):
                if directory.name not in names:
                    problems.append(Problem(directory.name, "no-track",
                                            f"series/{directory.name} has no track in "
                                            f"{ws.map_path.name}"))
    for name in names:
        problems.extend(lint_track(ws, name, check_export, check_apply, onto))
    return problems


def render(problems: list[Problem], as_json: bool) -> Iterator[str]:
    """What `patchq lint` prints: one line a problem, or JSON."""
    if as_json:
        from ..ui import json_text

        yield json_text([{"track": p.track, "slug": p.slug, "code": p.code,
                          "message": p.message, "severity": p.severity.value} for p in problems])
        return
    for problem in problems:
        yield problem.line()
    if not problems:
        yield "no problems found"


def failed(problems: list[Problem], strict: bool) -> bool:
    """Whether lint exits 1: an error, or with ``strict`` any problem."""
    return any(p.severity is Severity.ERROR or strict for p in problems)
