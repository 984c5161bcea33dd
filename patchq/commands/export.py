"""`patchq export`: write a track's queue branch back into series/<track>/."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import opstate, owner, validate
from ..queue import ExportPlan, apply_export, load_series, plan_export, queue_on_base
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
         refresh: tuple[str, ...] = ()) -> tuple[ExportPlan, str, str]:
    track = ws.track(track_name)
    branch = validate.branch_name(branch, "--branch") if branch else ws.queue_branch(track_name)
    git = ws.git
    owner.check(git, ws.root, branch, track_name)  # only a queue branch patchq built is read
    tip, base = queue_on_base(git, track, branch)
    loaded = load_series(ws.series_dir(track_name), track_name)
    return plan_export(git, ws.map, loaded, base, tip, refresh), branch, tip


def export(ws: Workspace, track_name: str, branch: str | None = None,
           dry_run: bool = False) -> ExportResult:
    if not dry_run:  # a stopped rebase or push must not be written half-done
        opstate.refuse_if_busy(ws.git)
    export_plan, branch, tip = plan(ws, track_name, branch)
    result = ExportResult(track=track_name, branch=branch, plan=export_plan, dry_run=dry_run)
    git = ws.git
    if git.current_branch() == branch and git.is_dirty():
        result.warnings.append("the upstream work tree has uncommitted changes; they are not "
                               "exported (commit them, or `patchq refresh`)")
    if dry_run:
        result.written = sorted(export_plan.files.changes())
    else:
        result.written = apply_export(git, export_plan, branch, tip)
    return result
