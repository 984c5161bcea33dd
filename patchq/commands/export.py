"""`patchq export`: write a track's queue branch back into series/<track>/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import owner, validate
from .. import store as pqstore
from ..files import remove_stray_temps
from ..queue import load_series, queue_on_base
from ..queueexport import ExportPlan, plan_export, unclean
from ..stack_tx import commit_files
from ..workspace import Workspace


@dataclass
class ExportResult:
    track: str
    branch: str
    written: list[Path] = field(default_factory=list)
    plan: ExportPlan | None = None
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False


def plan(ws: Workspace, track_name: str, branch: str | None = None,
         refresh: tuple[str, ...] = (), refresh_unclean: bool = False
         ) -> tuple[ExportPlan, str, str]:
    track = ws.track(track_name)
    ws.use_track(track_name)
    branch = validate.branch_name(branch, "--branch") if branch else ws.queue_branch(track_name)
    git = ws.git
    owner.check(git, ws.root, branch, track_name)  # only a queue branch patchq built is read
    tip, base = queue_on_base(git, track, branch)
    loaded = load_series(ws.series_dir(track_name), track_name)
    if refresh_unclean:
        refresh = tuple(refresh) + tuple(unclean(git, loaded, base, tip))
    return plan_export(git, ws.map, loaded, base, tip, refresh), branch, tip


def export(ws: Workspace, track_name: str, branch: str | None = None,
           dry_run: bool = False, refresh: bool = False) -> ExportResult:
    """Write the queue branch into the series. Under patchq's lock, refused while an operation
    is in progress (a stopped rebase or push must not be written half-done), and journaled:
    a crash leaves the old series or, at the next command that writes, the new one.
    ``refresh`` also rewrites, from their commits, the files that apply only by 3-way merge,
    with fuzz or line endings reconciled, so that every file applies exactly again."""
    ws.use_track(track_name)
    if dry_run:
        return _export(ws, track_name, branch, dry_run, refresh)
    with pqstore.writing(ws):
        return _export(ws, track_name, branch, dry_run, refresh)


def _export(ws: Workspace, track_name: str, branch: str | None, dry_run: bool,
            refresh: bool = False) -> ExportResult:
    ws.reload_map(editable=True)  # under the lock; written back only where a record changed
    export_plan, branch, tip = plan(ws, track_name, branch, refresh_unclean=refresh)
    result = ExportResult(track=track_name, branch=branch, plan=export_plan, dry_run=dry_run)
    git = ws.git
    if git.current_branch() == branch and git.is_dirty():
        result.warnings.append("the upstream work tree has uncommitted changes; they are not "
                               "exported (commit them, or `patchq refresh`)")
    if dry_run:
        result.written = sorted(export_plan.files.changes())
    else:
        directory = ws.series_dir(track_name)
        remove_stray_temps(directory)  # left by a writer killed before this one journaled
        remove_stray_temps(ws.root, {ws.map_path.name})
        result.written = commit_files(git, "export", track_name, branch, tip,
                                      export_plan.files.changes(), export_plan.digests)
    return result


def render(result: ExportResult, root: Path) -> Iterator[str]:
    """What `patchq export` prints (its warnings on standard error)."""
    from ..ui import Err, shown

    plan = result.plan
    assert plan is not None
    for warning in result.warnings:
        yield Err(f"warning: {warning}")
    verb = "would write" if result.dry_run else "wrote"
    summary = (f"{len(plan.unchanged)} unchanged, {len(plan.changed)} changed, "
               f"{len(plan.added)} added, {len(plan.removed)} removed, "
               f"{len(plan.renamed)} renamed")
    if not result.written:
        yield f"series/{result.track}: nothing to write ({summary})"
        return
    yield f"series/{result.track}: {verb} {len(result.written)} files ({summary})"
    for path in result.written:
        yield f"  {shown(root, path)}"
