"""What `patchq rebase` prints: the report of a run, the help at a stop, --status, --abort;
and which of its options go together."""

from __future__ import annotations

from collections.abc import Iterator

import click

from ..ui import Err


def _rebase_report(ws, result, as_json: bool) -> None:
    from .. import ui

    if as_json:
        ui.print_json(result.as_json())
        return
    frm = f"{result.from_ref} ({result.from_commit[:12]})"
    to = f"{result.to_ref} ({result.to_commit[:12]})"
    if result.state == "up-to-date":
        click.echo(f"track {result.track} is already on {to}: nothing to do")
        return
    counts = ", ".join(f"{n} {outcome}" for outcome, n in result.counts().items())
    verb = {"done": "rebased", "dry-run": "would rebase", "stopped": "rebasing"}.get(
        result.state, result.state)
    click.echo(f"{verb} {result.track} from {frm} onto {to}: {result.total} patches"
               + (f": {counts}" if counts else ""))
    rows = [(number, r.slug, r.outcome.value, r.evidence_line())
            for number, r in enumerate(result.patches, 1)]
    if rows:
        ui.table(["#", "patch", "outcome", "evidence"], rows)
    if result.stopped is not None:
        _rebase_stop_help(ws, result)
        return
    if result.range_diff.strip():
        click.echo("\nrange-diff of the queue (old .. new; unchanged pairs left out):")
        click.echo(result.range_diff.rstrip("\n"))
    if result.state == "dry-run":
        click.echo("\ndry run: nothing was changed")
        return
    aside = [r.slug for r in result.patches if r.needs_person]
    click.echo(f"\n{result.branch} is now at {result.tip[:12]}; "
               f"series/{result.track}: {len(result.written)} files written; "
               f"the map records base {result.to_ref}")
    if aside:
        click.echo(f"set aside, kept unchanged in the series and marked needs_person: "
                   f"{', '.join(aside)}")
        click.echo(f"to resolve one: `patchq checkout {result.track}`, then `patchq push "
                   "PATCH` (a 3-way merge with its conflicts in the work tree), resolve, "
                   f"`git add`, `patchq push`, `patchq export {result.track}`")


def _rebase_stop_help(ws, result) -> None:
    stop = result.stopped
    where = ws.git.path
    click.echo(f"\nstopped at patch {stop.number}/{result.total} {stop.slug}: it conflicts in "
               f"{', '.join(stop.files) or '(no file: see git status)'}")
    for message in stop.messages:
        click.echo(f"  {message}")
    if result.unresolved:
        click.echo(f"still unresolved: {', '.join(result.unresolved)}")
    click.echo(f"The upstream clone {where} is on {result.branch} with the conflict in its "
               "work tree. Next:")
    click.echo(f"  resolve the files and `git add` them (in {where}), then "
               "`patchq rebase --continue`")
    click.echo("  or `patchq rebase --skip` to set this patch aside (kept unchanged in the "
               "series, marked needs_person; `patchq push` it later)")
    click.echo("  or `patchq rebase --drop` to drop it from the series (outcome dropped)")
    click.echo("  or `patchq rebase --abort` to put the branch, the series and the map back")


def _rebase_status(result, as_json: bool) -> None:
    from .. import ui

    if result is None:
        if as_json:
            ui.print_json({"state": "none"})
        else:
            click.echo("no rebase in progress")
        return
    if as_json:
        data = result.as_json()
        data["unresolved"] = result.unresolved
        data["checked_out"] = result.checked_out
        ui.print_json(data)
        return
    done = len(result.patches)
    click.echo(f"rebase of {result.track} from {result.from_ref} onto {result.to_ref}: "
               f"{result.state}, {done} of {result.total} patches done")
    counts = ", ".join(f"{n} {outcome}" for outcome, n in result.counts().items())
    if counts:
        click.echo(f"so far: {counts}")
    if result.stopped is not None:
        stop = result.stopped
        click.echo(f"stopped at patch {stop.number} {stop.slug}; conflicts in "
                   f"{', '.join(stop.files)}")
        if not result.checked_out:
            click.echo("interrupted before the conflict was checked out: `patchq rebase "
                       "--continue` checks it out, `--abort` puts everything back")
        elif result.unresolved:
            click.echo(f"still unresolved: {', '.join(result.unresolved)}")
        else:
            click.echo("all conflicts resolved: `patchq rebase --continue`")
    else:
        click.echo("interrupted: `patchq rebase --continue` goes on, `--abort` puts everything "
                   "back")


def check_usage(track: str | None, onto: str | None, on_conflict: str, dry_run: bool,
                check: bool, flags: dict[str, bool]) -> None:
    """Refuse options that do not go together (``flags``: --continue, --skip... given)."""
    actions = [name for name, on in flags.items() if on]
    if check and not dry_run:
        raise click.UsageError("--check goes with --dry-run")
    if len(actions) > 1:
        raise click.UsageError(f"{' and '.join(actions)} cannot be combined")
    if actions and (track or onto or dry_run or on_conflict != "stop"):
        raise click.UsageError(f"{actions[0]} takes no TRACK, --onto, --on-conflict or "
                               "--dry-run: it works on the rebase in progress")
    if not actions and not track:
        raise click.UsageError("give a TRACK to rebase (or --continue, --skip, --abort, "
                               "--status)")


def abort_lines(done, as_json: bool) -> Iterator[str]:
    if as_json:
        from ..ui import json_text

        yield json_text({"track": done.track, "state": "aborted", "branch": done.branch,
                         "head": done.head, "restored": done.restored})
        return
    yield (f"rebase of {done.track} aborted: {done.branch}, HEAD ({done.head}), "
           f"the series and the map are as they were"
           + (f" ({len(done.restored)} files put back)" if done.restored else ""))


def interrupted_lines(in_progress: bool, resumed: bool) -> Iterator[str]:
    """What Ctrl-C during a rebase says (``resumed``: --continue or --skip)."""
    if in_progress:
        yield Err("patchq: the rebase was interrupted; `patchq rebase --continue` goes on, "
                  "`patchq rebase --abort` puts everything back")
    elif not resumed:
        yield Err("patchq: interrupted before anything was changed")
