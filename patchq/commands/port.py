"""`patchq port SLUG --from A --to B`: bring one track's patch to another track's stack.

The patch goes into B's series right after B's top patch and is pushed on B's queue branch
with a 3-way merge. Its file is copied byte for byte when it applies as it is; when it needed
the 3-way merge, the file is written from the result (B's context, header kept). B's map
record says where it came from (``ported_from = "A:SLUG"``). A patch that does not apply
stops like `patchq push` (when B's queue is checked out: resolve, `git add`, `patchq push`),
or is refused with nothing changed (when it is not).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import interdiff, stack_tx
from ..clock import today
from ..errors import StateError
from ..git import reverse_applies
from ..model import SeriesEntry
from ..queue import LoadedPatch, load_series
from ..queueexport import _free_name, _numbered
from ..seriesdir import SERIES, check_relative, file_digest, render_series
from ..stack import check_new_slug, exported_tip, load, push_files, queue_commit, render_file
from ..stack_state import StoppedPush
from ..workspace import Workspace
from .stack_nav import (
    Stop,
    may_create,
    refuse_busy,
    refuse_dirty,
    session,
    stop_in_work_tree,
)

PEOPLE_FIELDS = ("disposition", "reason", "issue", "pr", "notes")


@dataclass
class PortResult:
    slug: str
    new_slug: str
    source: str
    target: str
    path: Path
    how: str = ""  # clean, 3way, empty; "" when it stopped
    refreshed: bool = False  # the file was written from the 3-way result
    stop: Stop | None = None
    top: str | None = None
    warnings: list[str] = field(default_factory=list)
    recovered: str | None = None


def _file_name(patch: LoadedPatch, new_slug: str, names: list[str], position: int) -> str:
    suffix = ".diff" if patch.entry.name.endswith(".diff") else ".patch"
    if _numbered(names):
        name = f"{position + 1:04d}-{new_slug}{suffix}"
    else:
        name = f"{new_slug}{suffix}"
    return check_relative(_free_name(name, set(names)))


def port(ws: Workspace, name: str, source: str, target: str,
         as_slug: str | None = None) -> PortResult:
    """Port patch NAME of track ``source`` onto track ``target``'s queue."""
    if source == target:
        raise StateError(f"--from and --to are both {source}", "port between two tracks")
    if ws.upstream_of(source) != ws.upstream_of(target):
        raise StateError(f"{source} and {target} are tracks of different upstreams "
                         f"({ws.upstream_of(source)}, {ws.upstream_of(target)})",
                         "port between two tracks of one upstream")
    ws.use_track(target)
    git = ws.git
    with session(ws) as recovered:
        resume = refuse_busy(git)
        ws.track(source)
        loaded = load_series(ws.series_dir(source), source)
        by_file = {p.entry.name: p for p in loaded.patches}
        patch = loaded.by_slug().get(name) or by_file.get(Path(name).name)
        if patch is None:
            raise StateError(f"Patch {name} is not in the series of {source}",
                             f"see them with `patchq list {source}`")
        stack = load(ws, target)
        new_slug = as_slug or patch.slug
        check_new_slug(stack, new_slug)
        content = interdiff.content_id(patch.file.diff, patch.entry.strip)
        if patch.file.diff.strip():
            for other in stack.loaded.patches:
                if interdiff.content_id(other.file.diff, other.entry.strip) == content:
                    raise StateError(f"{target} already carries this change as {other.slug}",
                                     f"compare them with `patchq compare {source} {target}`")
        refuse_dirty(git, stack, "porting")
        entries = list(stack.loaded.series.entries)
        series_slugs = [e.slug for e in entries]
        applied_in_series = [a.slug for a in stack.applied if a.slug in series_slugs]
        position = series_slugs.index(applied_in_series[-1]) + 1 if applied_in_series else 0
        file_name = _file_name(patch, new_slug, [e.name for e in entries], position)
        path = stack.directory / file_name
        if path.exists():
            raise StateError(f"{path} exists already", "pass --as NAME to port it under "
                             "another name")
        entry = SeriesEntry(file_name, patch.entry.strip, patch.entry.options)
        ported = LoadedPatch(entry=entry, file=patch.file, path=patch.path, digest=patch.digest)
        pushed = push_files(git, stack.tip, [ported], stack.fallback_date)
        if pushed.failed is not None and reverse_applies(git, git.tree_of(stack.tip), patch.path,
                                                         patch.entry.strip):
            raise StateError(f"{target}'s queue already has the change of {patch.slug} (the "
                             "patch applies in reverse)",
                             f"nothing to port (see `patchq compare {source} {target}`)")
        if pushed.error is not None and not stack.checked_out:
            raise StateError(f"{patch.slug} does not apply on {stack.branch} "
                             f"({pushed.error.details})",
                             f"check out {target}'s queue (`git -C {git.path} switch "
                             f"{stack.branch}`) and port again to resolve the conflict there")
        data, how, refreshed = patch.file.raw, "", False
        stopped: StoppedPush | None = None
        change = stack_tx.Change("port", target, stack.branch, stack.tip, pushed.tip(stack.tip),
                                 stack_tx.KEEP,
                                 manifest_keep=[a.commit.sha for a in stack.applied],
                                 manifest_tip=exported_tip(git, stack), stack_base=stack.base,
                                 then=resume)
        if pushed.failed is None:
            item = pushed.pushed[0]
            how = item.how
            if how != "empty" and git.tree_of(item.commit) == git.tree_of(stack.tip):
                raise StateError(f"{target}'s queue already has the change of {patch.slug}: "
                                 "it applies as an empty patch",
                                 f"nothing to port (see `patchq compare {source} {target}`)")
            if how == "3way":
                dest = LoadedPatch(entry=entry, file=patch.file, path=path, digest=patch.digest)
                data, refreshed = render_file(git, queue_commit(git, item.commit), dest), True
                entry = SeriesEntry(file_name, 1, patch.entry.options)  # a git diff now
            change.manifest[item.commit] = file_digest(data)
        else:
            stopped = change.then = StoppedPush.of(target, stack.branch, new_slug, new_slug,
                                                   stack.tip, resume, may_create(git, patch))
        change.write(git, path, data)
        entries.insert(position, entry)
        text = render_series(stack.loaded.series, entries)
        change.write(git, stack.directory / SERIES, text.encode("utf-8", "surrogateescape"))
        before = ws.reload_map().text()
        _record(ws, patch.slug, new_slug, source, target)
        if ws.map.text() != before:
            change.write(git, ws.map_path, ws.map.text().encode("utf-8"))
        stack_tx.commit(git, change)
        result = PortResult(patch.slug, new_slug, source, target, path, how, refreshed,
                            top=new_slug if how else (stack.top.slug if stack.top else None),
                            recovered=recovered)
        if stopped is not None:
            result.stop = stop_in_work_tree(ws, stopped)
        return result


def _record(ws: Workspace, slug: str, new_slug: str, source: str, target: str) -> None:
    umap = ws.map
    if new_slug != slug:
        old = umap.patch(slug)
        record = umap.ensure_patch(new_slug)
        for key in PEOPLE_FIELDS:
            if key in old and (key not in record or record.get(key) in ("", "undecided")):
                record[key] = old[key]
    table = umap.patch_track(new_slug, target)
    table["carried"] = True
    table["since"] = today()
    table["ported_from"] = f"{source}:{slug}"


def render(result: PortResult, root: Path) -> Iterator[str]:
    """What `patchq port` prints; raises the stop error when the push stopped."""
    from ..ui import shown
    from .stack_render import finished_note, stop_error

    yield from finished_note(result)
    where = shown(root, result.path)
    if result.stop is not None:
        yield f"Added {result.new_slug} to the series of {result.target} ({where})"
        raise stop_error(result.stop)
    how = {"3way": " (3-way merge; the file was refreshed for " + result.target + ")",
           "empty": " (empty)"}.get(result.how, "")
    yield (f"Ported {result.source}:{result.slug} to {result.target} as {result.new_slug}{how} "
           f"({where})")
    yield f"Now at patch {result.top}"
