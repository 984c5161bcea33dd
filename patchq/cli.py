"""The command line: parse options, call a command function, print its result. Nothing else.

Expected failures (PatchqError) print as one line and exit 1; usage errors exit 2; Ctrl-C
exits 130; anything else is a bug: "unexpected error" and where the details were saved.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from .errors import PatchqError


@dataclass
class Options:
    directory: Path
    upstream_dir: str | None

    def workspace(self):
        from .workspace import Workspace

        return Workspace.locate(self.directory, self.upstream_dir)


pass_options = click.make_pass_decorator(Options)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-C", "directory", type=click.Path(file_okay=False, path_type=Path), default=".",
              help="Run as if started in DIR (the patch repo, or below it).")
@click.option("--upstream-dir", metavar="DIR", envvar="PATCHQ_UPSTREAM",
              help="The upstream clone to use, instead of [upstream] path in the map "
                   "(env PATCHQ_UPSTREAM).")
@click.version_option(package_name="patchq")
@click.pass_context
def cli(ctx: click.Context, directory: Path, upstream_dir: str | None) -> None:
    """Carry a patch series against an upstream you do not control.

    A patch repo holds upstream_map.toml and series/<track>/ (quilt's layout). patchq builds
    each track's series as a queue branch in a clone of upstream, writes it back without
    churn, rebases it onto new upstream releases and finds what upstream already has.

    Start with `patchq demo`, then see docs/tutorial.md.
    """
    if not directory.is_dir():
        raise click.BadParameter(f"{directory} is not a directory", param_hint="-C")
    if upstream_dir:
        upstream_dir = str(Path(upstream_dir).expanduser().resolve())
    os.chdir(directory)  # like git -C: relative paths in arguments are relative to DIR
    ctx.obj = Options(directory=Path("."), upstream_dir=upstream_dir)


def _track_required(value: str) -> str:
    from .model import valid_track

    if not valid_track(value):
        raise click.BadParameter(f"{value!r} is not a usable track name (like 3.11 or main)")
    return value


def _track_cb(ctx, param, value):
    if value is None:
        return None
    return _track_required(value)


# -- init -------------------------------------------------------------------------------------


@cli.command()
@click.option("--upstream", "upstream", required=True, metavar="DIR",
              help="A local clone of upstream (recorded relative to the patch repo).")
@click.option("--github", default="", metavar="OWNER/REPO",
              help="Where upstream's issues and PRs live (default: from the clone's origin).")
@click.option("--fork", default="", metavar="OWNER/REPO", help="Where draft branches are pushed.")
@pass_options
def init(opts: Options, upstream: str, github: str, fork: str) -> None:
    """Make the current directory a patch repo: upstream_map.toml and series/.

    DIR is a local clone of upstream; it is recorded relative to the patch repo when it can
    be (--upstream-dir or PATCHQ_UPSTREAM override it per command). The clone's origin URL is
    recorded too, and --github defaults to it when it is on GitHub. An existing map is never
    overwritten.
    """
    from .commands.init import init as run

    result = run(opts.directory, upstream, github, fork)
    click.echo(f"created {result.map_path} (upstream clone: {result.upstream})")
    click.echo("next: patchq import SOURCE --track T --base REF")


# -- import -----------------------------------------------------------------------------------


@cli.command("import")
@click.argument("source")
@click.option("--track", "-t", required=True, callback=_track_cb, metavar="T",
              help="Track name, like the upstream branch: 3.11, 3.12, main.")
@click.option("--base", required=True, metavar="REF",
              help="The upstream commit, tag or branch the series applies to.")
@click.option("--name-from", type=click.Choice(["subject", "file"]), default=None,
              help="Name patch files after their subjects, or keep the source's file names "
                   "(default: file for directories, subject for mbox and ranges).")
@click.option("--follows", metavar="BRANCH",
              help="The upstream branch the track follows (default: from --base, v3.11.2 -> 3.11).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def import_(opts: Options, source: str, track: str, base: str, name_from: str | None,
            follows: str | None, as_json: bool) -> None:
    """Import SOURCE as track T's series, on the upstream commit REF (--base).

    SOURCE is one of: a directory of `git format-patch` files without a series file (applied
    in file name order; a cover letter is skipped); a quilt directory with a `series` file
    (DEP-3 headers, -p0/-p1, comments, Index: lines); an mbox file or a single patch file; a
    revision range A..B of the upstream clone (written as export writes patches).

    Writes series/T/ (the files byte for byte, and the series file), records the track and its
    base in upstream_map.toml with one record per patch (seeded from the whole header: issue,
    pr, origin_commit, news, forwarded, and downstream-only for Forwarded: not-needed; a
    value already recorded is kept), and says which patches, if any, do not apply on REF
    (without failing). Nothing is written when the source is unusable.
    """
    from . import ui
    from .commands.import_ import import_series

    ws = opts.workspace()
    with ui.progress("checking") as bar:
        result = import_series(ws, source, track, base, name_from, follows, progress=bar)
    if as_json:
        _json("imported", result, ws.root)
        return
    click.echo(f"imported {len(result.slugs)} patches ({result.kind}) as track {track} on "
               f"{base} ({result.base_commit[:12]}) into series/{track}/")
    if result.not_applying:
        click.echo(f"{len(result.not_applying)} do not apply on {base}:")
        for slug, details in result.not_applying:
            click.echo(f"  {slug}: {details}")
        click.echo(f"next: `patchq checkout {track} --partial` builds the "
                   f"{len(result.slugs) - len(result.not_applying)} that apply and sets these "
                   f"aside; `patchq push PATCH` then applies each for you to resolve")
    else:
        click.echo(f"all {len(result.slugs)} apply on {base}")
    _echo_fuzzy(result.fuzzy, track)
    if result.seeded_text():
        click.echo(result.seeded_text())


def _echo_fuzzy(fuzzy, track: str) -> None:
    """Name the patches that applied only as GNU patch applies them, and how."""
    if not fuzzy:
        return
    click.echo(f"{len(fuzzy)} apply only as GNU patch would (their files are kept byte for "
               f"byte; `patchq export {track} --refresh` rewrites them clean):")
    for slug, notes in fuzzy:
        click.echo(f"  {slug}: {'; '.join(notes)}")


# -- list -------------------------------------------------------------------------------------


@cli.command("list")
@click.argument("track", required=False, callback=_track_cb)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_options
def list_(opts: Options, track: str | None, as_json: bool) -> None:
    """The patches of TRACK (or of every track) in order.

    Columns: number, slug, subject, author, files touched, lines added/removed, the upstream
    state `patchq status` recorded, and the submission (issue, PR) from the map and `sync`.
    With --json, also how each patch applied in the last build an earlier command remembered
    (`applies`: clean, 3way, fuzzy, empty, or null; `apply_notes` for fuzzy ones).
    """
    from . import ui
    from .commands.list_ import list_patches

    rows = list_patches(opts.workspace(), track, with_apply=as_json)
    if as_json:
        ui.print_json([r.as_json() for r in rows])
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
    ui.table(columns, table_rows)


# -- checkout / export --------------------------------------------------------------------------


@cli.command()
@click.argument("track", callback=_track_cb)
@click.option("--branch", metavar="NAME", help="Queue branch name (default patchq/TRACK).")
@click.option("--force", is_flag=True,
              help="Rebuild the queue branch even if it holds commits never exported.")
@click.option("--partial", is_flag=True,
              help="Build the patches that apply and set the others aside (marked needs_person "
                   "in the map) for `patchq push PATCH` to merge with conflict markers.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def checkout(opts: Options, track: str, branch: str | None, force: bool, partial: bool,
             as_json: bool) -> None:
    """Build TRACK's queue branch in the upstream clone and check it out.

    The branch (patchq/TRACK) holds the track's base plus one commit per patch, with the
    patch's author, date and description and a `Patchq-Slug:` trailer. Patches apply in a
    scratch index with 3-way fallback, then as GNU `patch -p1` would (offsets, fuzz up to 2,
    CRLF/LF line endings reconciled; each such patch is named with its hunks, and its file
    stays as it is until `patchq export TRACK --refresh`); one that does not apply stops the
    command, naming the patch and its failing hunks, and nothing moves (with --partial it is
    set aside instead). Refused: a work tree with uncommitted
    changes, and a queue branch holding commits never exported (unless --force). No other
    branch is touched. The same series on the same base always gives the same commits.
    """
    from . import ui
    from .commands.checkout import checkout as run

    with ui.progress("applying") as bar:
        result = run(opts.workspace(), track, branch, force, progress=bar, partial=partial)
    if as_json:
        _json("checkout", result)
        return
    state = "already up to date" if result.unchanged else "built"
    click.echo(f"{result.branch}: {state}, {result.patches} patches on {result.base} "
               f"({result.base_commit[:12]}), tip {result.tip[:12]}")
    if result.three_way:
        click.echo(f"applied with 3-way merge: {', '.join(result.three_way)}")
    _echo_fuzzy(result.fuzzy, track)
    if result.newly_aside:
        from .ui import some

        click.echo(f"set aside {len(result.newly_aside)}, they do not apply on {result.base}: "
                   f"{some(result.newly_aside)} (`patchq lint {track}` lists them all); "
                   f"`patchq push {result.newly_aside[0]}` applies one with conflict markers "
                   "(or .rej files) for you to resolve")
    if result.set_aside:
        click.echo(f"left out, set aside by a rebase: {', '.join(result.set_aside)} "
                   f"(`patchq push PATCH` merges one 3-way at its place)")
    if result.previous and result.previous != result.branch:
        click.echo(f"switched from {result.previous}")


@cli.command()
@click.argument("track", callback=_track_cb)
@click.option("--branch", metavar="NAME", help="Queue branch name (default patchq/TRACK).")
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@click.option("--refresh", is_flag=True,
              help="Also rewrite, from their commits, the files that apply only with a 3-way "
                   "merge, fuzz or line endings reconciled (their description is kept).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def export(opts: Options, track: str, branch: str | None, dry_run: bool, refresh: bool,
           as_json: bool) -> None:
    """Write TRACK's queue branch back into series/TRACK/.

    A patch whose description and diff did not change keeps its file byte for byte; right
    after `checkout`, export changes no file. A reworded patch keeps its diff part and its
    other header fields; a patch whose diff changed is written as a deterministic format-patch
    style file (full index ids, no [PATCH n/m], no signature) under the same name, keeping
    the DEP-3 fields or extra mail headers people wrote. New commits become new files; dropped
    ones are deleted; a changed Patchq-Slug trailer renames the file. The series file (its
    comments kept) and the map records follow, all files written together or not at all.
    """
    from .commands.export import export as run

    ws = opts.workspace()
    result = run(ws, track, branch, dry_run, refresh=refresh)
    if as_json:
        _json("export", result, ws.root)
        return
    plan = result.plan
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    verb = "would write" if dry_run else "wrote"
    summary = (f"{len(plan.unchanged)} unchanged, {len(plan.changed)} changed, "
               f"{len(plan.added)} added, {len(plan.removed)} removed, "
               f"{len(plan.renamed)} renamed")
    if not result.written:
        click.echo(f"series/{track}: nothing to write ({summary})")
        return
    click.echo(f"series/{track}: {verb} {len(result.written)} files ({summary})")
    for path in result.written:
        try:
            shown = path.relative_to(ws.root)
        except ValueError:
            shown = path
        click.echo(f"  {shown}")


# -- lint ---------------------------------------------------------------------------------------


@cli.command()
@click.argument("track", required=False, callback=_track_cb)
@click.option("--check-export", is_flag=True,
              help="Also fail when `patchq export` would change files (for CI).")
@click.option("--no-apply", is_flag=True, help="Skip applying the patches (no upstream needed).")
@click.option("--onto", metavar="REF",
              help="Also fail for every patch a rebase onto REF would stop at (a dry run: "
                   "the early warning for CI before the next upstream release).")
@click.option("--strict", is_flag=True,
              help="Also fail on warnings (a patch that applies only with fuzz or with its "
                   "line endings reconciled).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_options
def lint(opts: Options, track: str | None, check_export: bool, no_apply: bool, onto: str | None,
         strict: bool, as_json: bool) -> None:
    """Check TRACK (or every track): files, parsing, slugs, map records, applying on the base.

    Problems: a series entry with no file, a file the series does not list, a patch that does
    not parse or has no diff, two patches with one slug, map records that do not match the
    series, a patch that does not apply on the base, and with --check-export every file
    `export` would change (the CI check that the series is up to date), and with --onto REF
    every patch that would conflict on REF. Exits 1 with one line per problem; the upstream
    clone is needed unless --no-apply. Warnings (a patch that applies only as GNU patch
    would, with fuzz or line endings reconciled: `fuzzy-apply`) are shown but fail only with
    --strict.
    """
    from . import ui
    from .commands.lint import lint as run

    if onto and no_apply:
        raise click.UsageError("--onto needs the upstream clone: drop --no-apply")
    problems = run(opts.workspace(), track, check_export, check_apply=not no_apply, onto=onto)
    if as_json:
        ui.print_json([{"track": p.track, "slug": p.slug, "code": p.code, "message": p.message,
                        "severity": p.severity.value} for p in problems])
    else:
        for problem in problems:
            click.echo(problem.line())
        if not problems:
            click.echo("no problems found")
    from .model import Severity

    if any(p.severity is Severity.ERROR or strict for p in problems):
        sys.exit(1)


# -- rebase --------------------------------------------------------------------------------------


@cli.command()
@click.argument("track", required=False, callback=_track_cb)
@click.option("--onto", metavar="REF",
              help="The new base: any ref or commit id of the upstream clone (default: the tip "
                   "of the branch the track follows, from the map).")
@click.option("--on-conflict", type=click.Choice(["stop", "skip"]), default="stop",
              show_default=True,
              help="stop: leave the conflict in the upstream work tree for you to resolve; "
                   "skip: set conflicting patches aside (kept in the series unchanged, marked "
                   "needs_person in the map) and go on.")
@click.option("--dry-run", is_flag=True,
              help="Compute every outcome and change nothing (no branch, file or map).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--continue", "do_continue", is_flag=True,
              help="Go on after resolving a conflict (`git add` the files first).")
@click.option("--skip", "do_skip", is_flag=True,
              help="Set the patch that stopped the rebase aside and go on.")
@click.option("--drop", "do_drop", is_flag=True,
              help="Drop the patch that stopped the rebase from the series (outcome dropped, "
                   "never counted as upstream) and go on.")
@click.option("--check", is_flag=True,
              help="With --dry-run: exit 1 when any patch would conflict (for CI).")
@click.option("--abort", "do_abort", is_flag=True,
              help="Put the queue branch, HEAD, the series and the map back as they were.")
@click.option("--status", "do_status", is_flag=True, help="Show the rebase in progress.")
@pass_options
def rebase(opts: Options, track: str | None, onto: str | None, on_conflict: str, dry_run: bool,
           as_json: bool, do_continue: bool, do_skip: bool, do_drop: bool, check: bool,
           do_abort: bool, do_status: bool) -> None:
    """Move TRACK's series onto a new upstream base; give every patch one outcome.

    \b
    Outcomes: unchanged (file byte for byte), offset (only line numbers or index ids moved;
    file refreshed), refreshed (context changed in a 3-way merge; same +/- lines), modified
    (you resolved a conflict), upstream (taken out: the new base has it; says which commits,
    how it was found and how sure), partial (some hunks upstream, the rest kept), obsolete
    (its files are gone, and their content: moved files are followed), dropped (you resolved
    it to nothing, or --drop), conflict (needs a person).

    \b
    At the end series/TRACK/ is written back (unchanged patches byte for byte), the map
    records the new base and each outcome, and a summary shows counts, a table and the
    range-diff of what changed. Every step is saved in the upstream clone's git dir: after a
    conflict, Ctrl-C or a crash, `--continue` goes on and `--abort` puts everything back.
    """
    from . import ui
    from .commands import rebase as run
    from .model import Outcome

    if do_drop and do_skip:
        do_skip = False  # `--skip --drop`: skip it by dropping it
    actions = [name for name, on in (("--continue", do_continue), ("--skip", do_skip),
                                     ("--drop", do_drop), ("--abort", do_abort),
                                     ("--status", do_status)) if on]
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
    ws = opts.workspace()
    if do_status:
        _rebase_status(run.status(ws), as_json)
        return
    if do_abort:
        done = run.abort(ws)
        if as_json:
            ui.print_json({"track": done.track, "state": "aborted", "branch": done.branch,
                           "head": done.head, "restored": done.restored})
        else:
            click.echo(f"rebase of {done.track} aborted: {done.branch}, HEAD ({done.head}), "
                       f"the series and the map are as they were"
                       + (f" ({len(done.restored)} files put back)" if done.restored else ""))
        return
    try:
        with ui.progress("rebasing") as bar:
            if do_continue:
                result = run.continue_rebase(ws, progress=bar)
            elif do_skip or do_drop:
                result = run.skip(ws, progress=bar, drop=do_drop)
            else:
                result = run.rebase(ws, track, onto, on_conflict, dry_run, progress=bar)
    except KeyboardInterrupt:
        if not dry_run and run.status(ws) is not None:
            click.echo("patchq: the rebase was interrupted; `patchq rebase --continue` goes on, "
                       "`patchq rebase --abort` puts everything back", err=True)
        elif not do_continue and not do_skip:
            click.echo("patchq: interrupted before anything was changed", err=True)
        raise
    _rebase_report(ws, result, as_json)
    if result.state == "stopped":
        sys.exit(1)
    if check and any(r.outcome is Outcome.CONFLICT for r in result.patches):
        if not as_json:
            click.echo("would conflict: " + ", ".join(
                r.slug for r in result.patches if r.outcome is Outcome.CONFLICT), err=True)
        sys.exit(1)


def _rebase_report(ws, result, as_json: bool) -> None:
    from . import ui

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
    from . import ui

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

# -- status, record, sync -----------------------------------------------------------------------


class _GreedyOption(click.Option):
    """An option that takes every following word up to the next option:
    ``--against main 3.12 3.11``."""

    def add_to_parser(self, parser, ctx):
        result = super().add_to_parser(parser, ctx)
        for name in self.opts:
            # click's parser keeps its options in these tables (click 8.0 to 8.4); should a
            # later click not, the option still works, one REF per --against
            tables = (getattr(parser, "_long_opt", {}), getattr(parser, "_short_opt", {}))
            option = tables[0].get(name) or tables[1].get(name)
            if option is None or not hasattr(option, "process"):
                continue
            original = option.process

            def process(value, state, original=original):
                values = [value]
                while state.rargs and not state.rargs[0].startswith("-"):
                    values.append(state.rargs.pop(0))
                for item in values:
                    original(item, state)

            option.process = process
        return result


def _state_cell(finding) -> str:
    from . import ui

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


@cli.command()
@click.argument("track", required=False, callback=_track_cb)
@click.option("--against", cls=_GreedyOption, multiple=True, metavar="REF...",
              help="Upstream refs to check, several after one --against: `--against main 3.12 "
                   "3.11` (default: main and the branch the track follows).")
@click.option("--no-write", is_flag=True, help="Do not record what was found in the map.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_options
def status(opts: Options, track: str | None, against: tuple[str, ...], no_write: bool,
           as_json: bool) -> None:
    """Where each patch of TRACK (or of every track) stands upstream: the merge matrix.

    \b
    For every patch and upstream ref: absent, partial (N/M hunks) or present, and how it was
    found (patch-id, hunks, reverse-apply), with the commits; commit-message links
    (cherry-pick trailers, gh-N/GH-N, the recorded PR's merge commit) and the PR's GitHub
    state (from `patchq sync`) are shown as evidence but never make a patch present: the
    ref's tree decides. Beside it: the disposition and the submission.

    What it finds is recorded in upstream_map.toml (patches.SLUG.tracks."T".upstream."REF")
    unless --no-write. Nothing else is touched: no branch, no work tree.
    """
    from . import ui
    from .commands.status import status as run

    ws = opts.workspace()
    with ui.progress("checking", enabled=not as_json) as bar:
        result = run(ws, track, tuple(against), record=not no_write, progress=bar)
    if as_json:
        ui.print_json(result.as_json())
        return
    for number, tstatus in enumerate(result.tracks):
        if number:
            click.echo()
        refs = ", ".join(f"{r.name} ({r.commit[:12]})" for r in tstatus.refs)
        click.echo(f"{tstatus.track}: {len(tstatus.rows)} patches on {tstatus.base} "
                   f"({tstatus.base_commit[:12]}), against {refs or 'no ref'}")
        for name in tstatus.skipped_refs:
            click.echo(f"note: {name} is not in the upstream clone; skipped (name refs with "
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
        ui.table(columns, rows)
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
            click.echo("evidence:")
            for line in details:
                click.echo(line)
        counts = "; ".join(
            f"{r.name}: " + ", ".join(f"{n} {s}" for s, n in tstatus.counts(r.name).items())
            for r in tstatus.refs)
        if counts:
            click.echo(counts)
    if result.recorded:
        click.echo(f"recorded in {ws.map_path.name} (checked_at {result.checked_at})")
    elif no_write:
        click.echo("not recorded (--no-write)")


@cli.command()
@click.argument("slug")
@click.argument("assignments", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--track", "-t", callback=_track_cb,
              help="Set disposition, reason or notes for this track only.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_options
def record(opts: Options, slug: str, assignments: tuple[str, ...], track: str | None,
           as_json: bool) -> None:
    """Set the fields people own in a patch's map record; with no KEY=VALUE, show them.

    \b
    disposition=undecided|upstreamable|downstream-only  (downstream-only needs a reason)
    reason=TEXT       why the patch is carried
    issue=REF         the upstream issue: OWNER/REPO#N, #N, gh-N or its URL
    pr=REF            the upstream PR: OWNER/REPO#N, #N, GH-N or its URL
    notes=TEXT        free text
    subject=TEXT      the title drafts use instead of the patch's subject
    author=NAME <EMAIL>  the author a draft's commit gets (the CLA check needs a real one)
    tested_on=TEXT    what it was tested on, said in drafts: "Linux, 3.13, main"
    ci=URL            the downstream CI that builds with it, listed in the PR draft
    origin_commit=SHA the upstream commit it was taken from (import seeds it)
    news=PATH         its own Misc/NEWS.d/next/... entry (import seeds it)
    forwarded=TEXT    DEP-3 Forwarded, as written (import seeds it)
    KEY=              clears the field

    Issues and PRs are stored as OWNER/REPO#N (#N and gh-N use [upstream] github). Changing
    them forgets the GitHub state sync recorded; run `patchq sync` again. Comments in the map
    are kept.
    """
    from . import ui
    from .commands.record import record as run

    result = run(opts.workspace(), slug, assignments, track)
    if as_json:
        ui.print_json(result.as_json())
        return
    where = f"{slug} (track {track})" if track else slug
    if not assignments:
        click.echo(f"{where}:")
        for key, value in result.current.items():
            click.echo(f"  {key} = {value}")
        if not result.current:
            click.echo("  nothing recorded")
        return
    if not result.changes:
        click.echo(f"{where}: nothing changed")
        return
    for key, old, new in result.changes:
        if not new:
            click.echo(f"{where}: {key} cleared (was {old!r})")
        elif old:
            click.echo(f"{where}: {key} {old!r} -> {new!r}")
        else:
            click.echo(f"{where}: {key} = {new!r}")
    if result.github_cleared:
        click.echo("the GitHub state recorded for it was forgotten; run `patchq sync`")


@cli.command()
@click.option("--github-url", metavar="URL", envvar="PATCHQ_GITHUB_URL",
              help="GitHub API address, for GitHub Enterprise (https://HOST/api/v3) or a test "
                   "server (default https://api.github.com; env PATCHQ_GITHUB_URL).")
@click.option("--no-search", is_flag=True,
              help="Only read recorded issues and PRs; do not search for PRs to propose.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=20.0, show_default=True,
              metavar="SECONDS", help="How long to wait for each answer from GitHub.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_options
def sync(opts: Options, github_url: str | None, no_search: bool, timeout: float,
         as_json: bool) -> None:
    """Read the state of every recorded issue and PR from GitHub into the map.

    \b
    For each patch: open/closed/merged, draft, target branch, merge commit, labels, last
    activity and review state, under patches.SLUG.github with checked_at. Patches meant to
    go upstream with no PR recorded get a search of upstream's PRs for their subject, gh-N
    and slug: what it finds is PROPOSED (printed and kept as proposed_prs), never recorded
    as pr; record one with `patchq record SLUG pr=...`.

    The token comes from GITHUB_TOKEN or GH_TOKEN; without one, public data is read
    anonymously (60 requests an hour). On any failure the map is left as it was; run again.
    """
    from . import ui
    from .commands.sync import sync as run
    from .forge import GitHubForge, token_from_env

    ws = opts.workspace()
    ws.map.upstream_get("github")  # a missing or broken map fails before GitHub is asked
    token = token_from_env()
    if not token and not as_json:
        click.echo("no GITHUB_TOKEN or GH_TOKEN: reading public data anonymously "
                   "(60 requests an hour)", err=True)
    forge = GitHubForge(token=token, url=github_url, timeout=timeout)
    with ui.progress("asking GitHub", enabled=not as_json) as bar:
        result = run(ws, forge, search=not no_search, progress=bar)
    if as_json:
        ui.print_json(result.as_json())
        return
    for item in result.patches:
        parts = []
        if item.issue is not None:
            labels = f" [{', '.join(item.issue.labels)}]" if item.issue.labels else ""
            parts.append(f"issue {item.issue.ref} {item.issue.state}{labels}")
        if item.pull is not None:
            pull = item.pull
            text = f"PR {pull.ref} {pull.status}"
            if pull.merged:
                text += f" into {pull.base}" + (f" ({pull.merge_commit[:12]})"
                                                if pull.merge_commit else "")
            else:
                text += f" for {pull.base}" if pull.base else ""
            text += f", review {item.review or 'none'}"
            if pull.labels:
                text += f" [{', '.join(pull.labels)}]"
            parts.append(text)
        if parts:
            click.echo(f"{item.slug}: " + "; ".join(parts))
        for proposal in item.proposals:
            click.echo(f"{item.slug}: proposed {proposal.ref} ({proposal.state}) "
                       f"{proposal.title!r}, matched {proposal.matched!r}; record it with "
                       f"`patchq record {item.slug} pr={proposal.ref}`")
    issues = sum(1 for p in result.patches if p.issue is not None)
    pulls = sum(1 for p in result.patches if p.pull is not None)
    proposals = sum(len(p.proposals) for p in result.patches)
    state = "map updated" if result.written else "map unchanged"
    click.echo(f"synced {pulls} PRs and {issues} issues, searched for {result.searched} "
               f"patches, {proposals} proposals; {state}")


# -- report --------------------------------------------------------------------------------------


def _since_cb(ctx, param, value):
    from .commands.report import check_since

    try:
        return check_since(value)
    except PatchqError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command()
@click.option("--format", "-f", "format_", type=click.Choice(["md", "html", "json"]),
              default="md", show_default=True,
              help="Markdown (an issue or a wiki page), one self-contained HTML page, or JSON "
                   "(stable keys, docs/report.md).")
@click.option("--out", "-o", metavar="PATH",
              help="Write the report to PATH (atomically) instead of standard output.")
@click.option("--since", metavar="DATE|last", callback=_since_cb,
              help="Compare with the newest snapshot taken on or before DATE (YYYY-MM-DD), or "
                   "with the last one (last). Default: a week before now.")
@click.option("--track", "-t", "tracks", multiple=True, callback=lambda c, p, v: tuple(
    _track_required(x) for x in v), metavar="T",
              help="Report only this track (repeat for several). Default: every track.")
@click.option("--history", metavar="PATH",
              help="The history file (default: patchq-history.jsonl in the patch repo).")
@click.option("--no-record", is_flag=True,
              help="Do not append this run's snapshot to the history (a preview).")
@click.option("--replay", is_flag=True,
              help="First rebuild the history from the patch repo's git log of series/ and "
                   "the map (one snapshot per day, before the history's first), so the trend "
                   "and the comparison cover the past.")
@pass_options
def report(opts: Options, format_: str, out: str | None, since: str | None,
           tracks: tuple[str, ...], history: str | None, no_record: bool,
           replay: bool) -> None:
    """The upstream-status report: how far the series is from needing no patches.

    First what to do this week, each with its command. Then per track: patches and lines of
    delta carried, how many are upstream-present, partial, submitted (open PR), forwarded,
    drafted, not yet proposed, downstream-only, with the numbers of a week ago (or --since)
    and the change; what happened since (merged upstream with its evidence, dropped, set
    aside, new, changed, base moved), PRs waiting longest for review, patches never proposed,
    what needs a person, the merge matrix, every patch, and the trend by state.

    Reads upstream_map.toml (status/sync/rebase results), the series and the history; the
    upstream clone is not needed. Each run appends a snapshot to the history file (one JSON
    line; commit it), unless --no-record. Set PATCHQ_NOW for a reproducible report.
    """
    from . import ui
    from .commands.report import report as run

    ws = opts.workspace()
    result = run(ws, format_, out, since, tracks, history, record=not no_record, replay=replay)
    for line in result.warnings():
        click.echo(line, err=True)
    if result.out is None:
        if format_ == "md" and ui.is_tty():
            from rich.console import Console
            from rich.markdown import Markdown

            Console().print(Markdown(result.text))
        else:
            click.echo(result.text, nl=False)
    for line, err in result.messages():
        click.echo(line, err=err)

# -- draft ---------------------------------------------------------------------------------------


def _slug_cb(ctx, param, value):
    from .model import valid_slug

    if value is not None and not valid_slug(value):
        raise click.BadParameter(f"{value!r} is not a patch slug (see `patchq list`)")
    return value


@cli.command()
@click.argument("slug", required=False, callback=_slug_cb)
@click.option("--all", "all_", is_flag=True,
              help="Draft every upstreamable patch absent from the target with no submission.")
@click.option("--track", "-t", callback=_track_cb,
              help="The track to take the patch from (default: the track named like the "
                   "target, else the newest that carries it).")
@click.option("--target", default="main", show_default=True, metavar="BRANCH",
              help="Upstream branch the PR goes to; the patch is ported onto it.")
@click.option("--issue", type=click.IntRange(min=1), metavar="N",
              help="Use the existing upstream issue gh-N (recorded in the map).")
@click.option("--section", metavar="NAME",
              help="NEWS section (Build, Core_and_Builtins, Library, C_API, Tests, "
                   "Documentation, Tools-Demos, Windows, macOS, IDLE, Security); "
                   "default: from the files touched.")
@click.option("--push", is_flag=True,
              help="Also push the draft branch to the fork (force-with-lease); no issue, no PR.")
@click.option("--open", "open_", is_flag=True,
              help="Also create the issue (if none is known), push the branch and open a draft "
                   "PR; re-running updates them. Token from GITHUB_TOKEN or GH_TOKEN.")
@click.option("--reopen", is_flag=True,
              help="With --open: reopen the draft PR patchq opened when it was closed.")
@click.option("--github-url", metavar="URL", envvar="PATCHQ_GITHUB_URL",
              help="GitHub API address, for GitHub Enterprise (default https://api.github.com; "
                   "env PATCHQ_GITHUB_URL).")
@click.option("--fork-url", metavar="URL",
              help="Git URL to push to, instead of the one made from [upstream] fork "
                   "(or [upstream] fork_url).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=20.0, show_default=True,
              metavar="SECONDS", help="How long to wait for each answer from GitHub.")
@click.option("--regenerate", is_flag=True,
              help="Overwrite draft files you edited (by default your edits are kept).")
@click.option("--force", is_flag=True,
              help="Replace a draft branch holding commits patchq did not write.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_options
def draft(opts: Options, slug: str | None, all_: bool, track: str | None, target: str,
          issue: int | None, section: str | None, push: bool, open_: bool, reopen: bool,
          github_url: str | None, fork_url: str | None, timeout: float, regenerate: bool,
          force: bool, as_json: bool) -> None:
    """Draft an upstream issue and PR for SLUG, in CPython's conventions.

    First what the patch already says about upstream is read (the map and its whole header):
    an issue it names is used, a PR it names is not proposed again, a change taken from an
    upstream commit is not drafted; a subject that is no title or a missing author stops it
    with what to do (`patchq record SLUG subject=... author=...`).

    Offline (the default): port the patch onto upstream's --target branch with a 3-way merge
    as branch patchq/draft/SLUG in the upstream clone (your work tree and current branch are
    left alone; on conflict nothing is made), and write drafts/SLUG/issue.md, pr.md and
    news.rst in the patch repo. Edit them freely: patchq keeps your edits. Once an issue
    number is known, the branch's commit is titled `gh-N: summary` and carries the
    Misc/NEWS.d entry (the patch's own when it has one; none for documentation or tests).

    --open checks the repository, the fork and the push first, then creates the issue on
    GitHub when none is known, pushes the branch to the fork and opens a draft PR, recording
    issue, PR and branch in the map; running it again updates the branch and the PR text,
    never opening a second one.

    --all drafts every upstreamable patch not upstream and not yet proposed, lists each skip
    with its reason, and goes on past failures.
    """
    from . import ui
    from .commands import draft as drafting
    from .commands import draft_render as render

    if all_ == bool(slug):
        raise click.UsageError("give a SLUG or --all (not both)")
    if all_ and issue:
        raise click.UsageError("--issue names the issue of one patch; it cannot go with --all")
    if (github_url or fork_url) and not (push or open_):
        raise click.UsageError("--github-url and --fork-url go with --push or --open")
    if reopen and not open_:
        raise click.UsageError("--reopen goes with --open")
    ws = opts.workspace()
    options = drafting.Options(track=track, target=target, issue=issue, section=section,
                               regenerate=regenerate, force=force)
    online = None
    if push or open_:
        from .commands.draft_online import Online

        online = Online(push_only=push and not open_, github_url=github_url, fork_url=fork_url,
                        timeout=timeout, reopen=reopen)
    if all_:
        from .commands.draft_all import draft_all

        with ui.progress("drafting", enabled=not as_json) as bar:
            result = draft_all(ws, options, online, progress=bar)
        if as_json:
            ui.print_json(result.as_json())
        else:
            if result.items:
                ui.table(["slug", "track", "result", "detail"], render.all_rows(result))
            click.echo(render.all_summary(result))
        failed = render.not_drafted_line(result)
        if failed:
            raise PatchqError(*failed)
        return
    result = drafting.draft(ws, slug, options, online)
    if as_json:
        ui.print_json(result.as_json())
    else:
        click.echo("\n".join(render.draft_lines(result, ws.root, ws.git.path)))


# -- stack: applied, unapplied, top, push, pop, new, refresh, delete, rename, fold, goto, edit;
# -- compare, port -------------------------------------------------------------------------------


def _stack_target(name: str | None, all_: bool):
    """push/pop's argument: a patch name, a count (digits, as quilt reads them), or -a."""
    from .commands.stack_nav import ALL

    if all_ and name:
        raise click.UsageError("give a patch, a number or -a, not two of them")
    if all_:
        return ALL
    if name is None:
        return None
    return int(name) if name.isdigit() else name


def _track_option(func):
    return click.option("--track", "-t", callback=_track_cb, metavar="T",
                        help="The track (default: the one whose queue branch is checked out "
                             "in the upstream clone).")(func)


def _finished_note(result) -> None:
    if getattr(result, "recovered", None):
        click.echo(f"finished the interrupted {result.recovered} first", err=True)


def _json(kind: str, result, *args) -> None:
    """Print ``result`` as JSON (:mod:`patchq.commands.json_out`); exit with its code."""
    from . import ui
    from .commands import json_out

    data = getattr(json_out, kind)(result, *args)
    ui.print_json(data)
    if data.get("code"):
        sys.exit(data["code"])


def _print_listing(listing, as_json: bool = False) -> None:
    if as_json:
        _json("listing", listing)
        return
    _finished_note(listing)
    for slug in listing.slugs:
        click.echo(slug)
    if getattr(listing, "aside", None):
        click.echo(f"set aside by a rebase (`patchq push PATCH` merges one 3-way at its "
                   f"place): {', '.join(listing.aside)}", err=True)
    if listing.message:
        click.echo(listing.message, err=True)
        sys.exit(listing.code)


def _short(details: str) -> str:
    """git's complaints, the first three (they can run to dozens of hunks)."""
    parts = [p for p in details.split("; ") if p and not p.endswith(":")]
    return "; ".join(parts[:3]) + ("; ..." if len(parts) > 3 else "")


def _stop_error(stop) -> PatchqError:
    from .errors import ApplyError

    files = ", ".join(stop.files[:5]) + (" ..." if len(stop.files) > 5 else "")
    back = f"or `patchq pop` to back {stop.slug} out"
    if stop.kind == "conflict":
        return ApplyError(f"patch {stop.slug} does not apply cleanly: conflicts in {files} "
                          f"(merge markers left in {stop.clone})",
                          f"resolve them, `git add` the files, then `patchq push` to go on "
                          f"({back})", slug=stop.slug)
    if stop.kind == "rejects":
        return ApplyError(f"patch {stop.slug} does not apply and has no blob ids for a 3-way "
                          f"merge: rejected hunks are in {files or 'no file'} "
                          f"({_short(stop.details)})",
                          f"apply them by hand, delete the .rej files, `git add` the files, then "
                          f"`patchq push` ({back})", slug=stop.slug)
    if stop.kind == "failed":
        return ApplyError(f"patch {stop.slug} cannot be applied at all "
                          f"({_short(stop.details)})",
                          "fix the patch file in the track's series, then `patchq push`",
                          slug=stop.slug)
    if stop.kind == "clean":
        return ApplyError(f"patch {stop.slug} applied only in the work tree of {stop.clone}",
                          f"check the result, `git add` it, then `patchq push` ({back})",
                          slug=stop.slug)
    return ApplyError(f"patch {stop.slug} does not apply on {stop.branch} "
                      f"({_short(stop.details)})",
                      f"switch to it (`git -C {stop.clone} switch {stop.branch}`) and "
                      "`patchq push` there to resolve the conflict", slug=stop.slug)


def _print_move(result, quiet: bool = False, ws=None) -> None:
    _finished_note(result)
    if result.aborted:
        click.echo(f"Removing patch {result.aborted} (the stopped push)")
    if not quiet:
        for slug in result.popped:
            click.echo(f"Removing patch {slug}")
    if result.resolved:
        click.echo(f"Applied patch {result.resolved} as resolved in the work tree")
        if result.resolved_empty:
            click.echo(f"Patch {result.resolved} is empty now: the resolution dropped its change")
        for path in result.wrote:
            click.echo(f"Refreshed patch {_shown(ws, path) if ws else path}")
    if not quiet:
        for item in result.pushed:
            if item.how == "resolved":
                continue
            if item.how == "empty":
                click.echo(f"Patch {item.slug} appears to be empty; applied")
            elif item.how == "3way":
                click.echo(f"Applying patch {item.slug} (3-way merge)")
            else:
                click.echo(f"Applying patch {item.slug}")
    if result.stop is not None:
        raise _stop_error(result.stop)
    if result.nothing:
        click.echo(result.nothing, err=result.nothing_code != 0)
        sys.exit(result.nothing_code)
    click.echo("")
    click.echo(f"Now at patch {result.top}" if result.top else "No patches applied")


@cli.command()
@click.argument("patch", required=False)
@_track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def applied(opts: Options, patch: str | None, track: str | None, as_json: bool) -> None:
    """Print the applied patches of the stack, bottom first, one slug a line.

    With PATCH, the stack up to and including it. Exits 1 when no patch is applied (quilt).
    """
    from .commands.stack_nav import applied as run

    _print_listing(run(opts.workspace(), track, patch), as_json)


@cli.command()
@click.argument("patch", required=False)
@_track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def unapplied(opts: Options, patch: str | None, track: str | None, as_json: bool) -> None:
    """Print the patches not applied, in series order, one slug a line.

    With PATCH, the patches after it. Exits 1 when the series is fully applied (quilt).
    """
    from .commands.stack_nav import unapplied as run

    _print_listing(run(opts.workspace(), track, patch), as_json)


@cli.command()
@_track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def top(opts: Options, track: str | None, as_json: bool) -> None:
    """Print the topmost applied patch. Exits 2 when none is applied (quilt)."""
    from .commands.stack_nav import top as run

    _print_listing(run(opts.workspace(), track), as_json)


@cli.command()
@click.argument("patch", required=False)
@click.option("-a", "all_", is_flag=True, help="Apply every patch of the series.")
@click.option("-q", "quiet", is_flag=True, help="Only say where the stack ends up.")
@_track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def push(opts: Options, patch: str | None, all_: bool, quiet: bool, track: str | None,
         as_json: bool) -> None:
    """Apply the next patch of the series on the queue branch (or N patches, or up to and
    including PATCH, or all with -a).

    Patches apply with a 3-way merge when their context moved. At a patch that does not apply,
    push stops with the conflict in the work tree: resolve it, `git add` the files and run
    `patchq push` again to go on, or `patchq pop` to back the patch out. A dirty work tree is
    refused. Exits 2 when there is nothing to push (quilt).
    """
    from . import ui
    from .commands.stack_nav import push as run

    target = _stack_target(patch, all_)
    ws = opts.workspace()
    with ui.progress("pushing") as bar:
        result = run(ws, track, target, progress=bar)
    if as_json:
        _json("move", result, ws.root)
        return
    _print_move(result, quiet, ws)


@cli.command()
@click.argument("patch", required=False)
@click.option("-a", "all_", is_flag=True, help="Remove every applied patch.")
@click.option("-f", "force", is_flag=True,
              help="Discard uncommitted changes in the work tree instead of refusing.")
@click.option("-q", "quiet", is_flag=True, help="Only say where the stack ends up.")
@_track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def pop(opts: Options, patch: str | None, all_: bool, force: bool, quiet: bool,
        track: str | None, as_json: bool) -> None:
    """Remove the top patch from the queue branch (or N patches, or until PATCH is on top,
    or all with -a). Popped patches stay in the series file, ready to push again.

    Refused when the work tree has changes (refresh them first, or -f to discard them), and
    when a popped commit was changed with git and never exported. During a stopped push, pop
    backs the stopped patch out. Exits 2 when there is nothing to pop (quilt).
    """
    from .commands.stack_nav import pop as run

    result = run(opts.workspace(), track, _stack_target(patch, all_), force)
    if as_json:
        _json("move", result)
        return
    _print_move(result, quiet)


@cli.command()
@click.argument("patch")
@_track_option
@pass_options
def goto(opts: Options, patch: str, track: str | None) -> None:
    """Push or pop until PATCH is the top patch."""
    from . import ui
    from .commands.stack_nav import goto as run

    with ui.progress("pushing") as bar:
        result = run(opts.workspace(), patch, track, progress=bar)
    _print_move(result)


@cli.command("next")
@click.argument("patch", required=False)
@_track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def next_(opts: Options, patch: str | None, track: str | None, as_json: bool) -> None:
    """Print the patch after the top (the next to push), or after PATCH. Exits 1 at the end."""
    from .commands.quilt_verbs import next_patch

    _print_listing(next_patch(opts.workspace(), track, patch), as_json)


@cli.command()
@click.argument("patch", required=False)
@_track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def previous(opts: Options, patch: str | None, track: str | None, as_json: bool) -> None:
    """Print the patch below the top, or below PATCH. Exits 1 at the bottom, 2 when none is
    applied (quilt)."""
    from .commands.quilt_verbs import previous_patch

    _print_listing(previous_patch(opts.workspace(), track, patch), as_json)


@cli.command()
@click.option("-v", "verbose", is_flag=True, help="Mark applied patches `+ ` and the top `= `.")
@_track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def series(opts: Options, verbose: bool, track: str | None, as_json: bool) -> None:
    """Print every patch of the series file, in order, one slug a line (as quilt)."""
    from . import ui
    from .commands.quilt_verbs import series as run

    result = run(opts.workspace(), track)
    if as_json:
        ui.print_json(result.as_json())
        return
    for line in result.lines(verbose):
        click.echo(line)


@cli.command()
@click.argument("patch", required=False)
@_track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def files(opts: Options, patch: str | None, track: str | None, as_json: bool) -> None:
    """Print the files the top patch (or PATCH) changes, one a line; the top patch's include
    the work tree's uncommitted changes, as `patchq diff` shows them."""
    from . import ui
    from .commands.quilt_verbs import view

    result = view(opts.workspace(), patch, track)
    if as_json:
        ui.print_json(result.as_json())
        return
    for name in result.files:
        click.echo(name)


@cli.command()
@click.argument("patch", required=False)
@click.option("-e", "--edit", "edit", is_flag=True,
              help="Edit the description in $EDITOR instead (the diff is kept byte for byte).")
@click.option("-m", "message", metavar="MSG", help="Replace the description (the diff is kept).")
@_track_option
@pass_options
def header(opts: Options, patch: str | None, edit: bool, message: str | None,
           track: str | None) -> None:
    """Print the header (description) of the top patch or PATCH, as its file has it.

    With -e or -m, change it instead: the patch's commit (and those above it, same trees) and
    its file's header are rewritten, its diff and the work tree are left as they are.
    """
    from .commands import quilt_verbs

    if not (edit or message is not None):
        click.echo(quilt_verbs.view(opts.workspace(), patch, track).header, nl=False)
        return
    result = quilt_verbs.reword(opts.workspace(), patch, track, message, _editor if edit else None)
    click.echo(f"Patch {result.slug} is unchanged" if result.unchanged else
               f"Replaced header of patch {result.slug}")


@cli.command()
@click.argument("patch", required=False)
@click.option("--no-work-tree", is_flag=True,
              help="For the top patch, only its commit (leave out uncommitted changes).")
@_track_option
@pass_options
def diff(opts: Options, patch: str | None, no_work_tree: bool, track: str | None) -> None:
    """Print the diff of the top patch (or PATCH).

    Like `quilt diff`, the top patch's diff includes the work tree's uncommitted changes when
    its queue branch is checked out: it is what `patchq refresh` would put in the patch
    (--no-work-tree: the commit alone). Another applied patch shows its commit on the queue
    branch; an unapplied one, the diff of its file.
    """
    from .commands.quilt_verbs import view

    click.echo(view(opts.workspace(), patch, track, not no_work_tree).diff, nl=False)


def _shown(ws, path) -> str:
    try:
        return str(path.relative_to(ws.root))
    except ValueError:
        return str(path)


@cli.command()
@click.argument("name")
@click.option("-m", "message", metavar="MSG",
              help="The description: first line the subject (default: NAME).")
@_track_option
@pass_options
def new(opts: Options, name: str, message: str | None, track: str | None) -> None:
    """Add an empty patch NAME after the top patch and make it the top.

    NAME is a slug (the file is named like the series' others: NNNN-NAME.patch or
    NAME.patch) or a file name ending in .patch/.diff. Changes already in the work tree are
    not touched: `patchq refresh` puts them into the new patch.
    """
    from .commands.stack_edit import new as run

    ws = opts.workspace()
    result = run(ws, name, message, track)
    _finished_note(result)
    click.echo(f"Patch {result.slug} is now on top ({_shown(ws, result.written[0])})")


def _editor(text: str) -> str | None:
    edited = click.edit(text + "\n# Lines starting with '#' are dropped. An unchanged text keeps "
                               "the description.\n", require_save=False)
    if edited is None:
        return None
    return "\n".join(ln for ln in edited.splitlines() if not ln.startswith("#")) + "\n"


@cli.command()
@click.argument("patch", required=False)
@click.option("-e", "edit", is_flag=True, help="Edit the description in $EDITOR too.")
@click.option("-m", "message", metavar="MSG", help="Replace the description.")
@_track_option
@pass_options
def refresh(opts: Options, patch: str | None, edit: bool, message: str | None,
            track: str | None) -> None:
    """Fold the work tree's changes into the top patch (or PATCH) and rewrite its file.

    Takes every change to tracked files, staged or not, and new files added with `git add`
    (untracked files are left out). The patch file keeps its header when the description is
    unchanged. PATCH may sit below the top (`quilt refresh PATCH`, `stg refresh -p`): the
    changes go into it and the patches above it are applied again on it, their files kept;
    when the changes do not apply to it or overlap a patch above, nothing changes (use
    `patchq edit PATCH` then).
    """
    from .commands.quilt_verbs import refresh as run

    ws = opts.workspace()
    result = run(ws, patch, track, message, _editor if edit else None)
    _finished_note(result)
    if result.unchanged:
        click.echo(f"Patch {result.slug} is unchanged")
        return
    click.echo(f"Refreshed patch {result.slug}" +
               "".join(f" ({_shown(ws, p)})" for p in result.written))


@cli.command()
@click.argument("patch", required=False)
@click.option("-r", "remove_file", is_flag=True,
              help="Remove the patch file too (by default it stays in the directory, as quilt "
                   "leaves it).")
@click.option("--backup", is_flag=True, help="With -r, keep the file as FILE~.")
@_track_option
@pass_options
def delete(opts: Options, patch: str | None, remove_file: bool, backup: bool,
           track: str | None) -> None:
    """Remove PATCH (default: the top patch) from the series.

    An applied patch also comes off the queue branch, and the patches above it are applied
    again without it; when one of them needs it, nothing changes and patchq says what to do.
    Its map record stays, with carried = false on this track.
    """
    from .commands.stack_edit import delete as run

    ws = opts.workspace()
    result = run(ws, patch, track, remove_file, backup)
    _finished_note(result)
    if result.popped:
        click.echo(f"Removing patch {result.slug}")
    click.echo(f"Removed patch {result.slug}" +
               "".join(f" (deleted {_shown(ws, p)})" for p in result.removed))
    if result.popped:
        click.echo(f"Now at patch {result.top}" if result.top else "No patches applied")


@cli.command()
@click.argument("names", nargs=-1, required=True, metavar="[OLD] NEW")
@click.option("-P", "patch", metavar="PATCH", help="The patch to rename (default: the top).")
@_track_option
@pass_options
def rename(opts: Options, names: tuple[str, ...], patch: str | None, track: str | None) -> None:
    """Rename the top patch (or -P PATCH, or OLD) to NEW: slug, file (its number prefix kept),
    series entry, map record, and the commit's Patchq-Slug trailer when it is applied. An
    existing name or one that is no slug is refused."""
    from .commands.quilt_verbs import rename as run

    if len(names) > 2 or len(names) == 2 and patch:
        raise click.UsageError("give NEW (with -P PATCH for another patch than the top), or OLD NEW")
    ws = opts.workspace()
    result = run(ws, names[-1], names[0] if len(names) == 2 else patch, track)
    _finished_note(result)
    click.echo(f"Patch {result.slug} renamed to {result.new_slug} "
               f"({_shown(ws, result.written[0])})")


@cli.command()
@click.argument("patch")
@_track_option
@pass_options
def fold(opts: Options, patch: str, track: str | None) -> None:
    """Merge PATCH into the patch below it.

    The lower patch keeps its description and gets both changes (its file is rewritten);
    PATCH leaves the series, its file is removed, its map record says folded_into. PATCH is
    applied, or the next patch to push.
    """
    from .commands.stack_edit import fold as run

    ws = opts.workspace()
    result = run(ws, patch, track)
    _finished_note(result)
    click.echo(f"Folded patch {result.slug} into {result.into}")
    click.echo(f"Now at patch {result.top}")


@cli.command()
@click.argument("patch", required=False)
@click.option("--continue", "cont", is_flag=True,
              help="Refresh the patch with the work tree's changes and push the rest back.")
@click.option("--abort", is_flag=True, help="Push the rest back without refreshing.")
@click.option("-e", "edit_message", is_flag=True,
              help="With --continue, edit the description in $EDITOR too.")
@click.option("-m", "message", metavar="MSG", help="With --continue, replace the description.")
@_track_option
@pass_options
def edit(opts: Options, patch: str | None, cont: bool, abort: bool, edit_message: bool,
         message: str | None, track: str | None) -> None:
    """Amend PATCH where it sits in the stack.

    Pops (or pushes) until PATCH is on top and stops there. Change the files (build, test,
    `patchq new` to insert a patch after it...), then `patchq edit --continue` refreshes PATCH
    with the work tree's changes and pushes the patches that were above it back; a conflict
    stops that push like any other. `patchq edit --abort` pushes them back without refreshing.
    """
    from . import ui
    from .commands import stack_edit

    ws = opts.workspace()
    if cont and abort or (cont or abort) and patch:
        raise click.UsageError("give PATCH, --continue or --abort")
    if not (cont or abort or patch):
        raise click.UsageError("name the patch to edit (or --continue / --abort)")
    with ui.progress("pushing") as bar:
        if cont:
            result = stack_edit.edit_continue(ws, message, _editor if edit_message else None,
                                              progress=bar)
        elif abort:
            result = stack_edit.edit_abort(ws, progress=bar)
        else:
            result = stack_edit.edit(ws, patch, track)
    _finished_note(result)
    if result.refreshed is not None and not result.refreshed.unchanged:
        click.echo(f"Refreshed patch {result.slug}")
    move = result.move
    if move is not None:
        for slug in move.popped:
            click.echo(f"Removing patch {slug}")
        for item in move.pushed:
            click.echo(f"Applying patch {item.slug}" + (" (3-way merge)" if item.how == "3way"
                                                         else ""))
        if move.stop is not None:
            raise _stop_error(move.stop)
        click.echo("")
        click.echo(f"Now at patch {move.top}" if move.top else "No patches applied")
    if not (cont or abort):
        from .commands.stack_edit import edit_hint

        click.echo(edit_hint(result.slug, result.return_to)[0].upper() +
                   edit_hint(result.slug, result.return_to)[1:] + ".")


@cli.command()
@click.argument("a", callback=_track_cb)
@click.argument("b", callback=_track_cb)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (interdiffs included).")
@click.option("--brief", is_flag=True, help="Leave out the interdiffs.")
@pass_options
def compare(opts: Options, a: str, b: str, as_json: bool, brief: bool) -> None:
    """Compare the patches of tracks A and B.

    Pairs patches by slug, then renamed ones by content (the same diff, or the same added and
    removed lines), then by subject. Says which are the same (at most line numbers and blob
    ids differ), which have the same change in another context, which differ (with an
    interdiff of the two versions), and which are only on one track.
    """
    from . import ui
    from .commands.compare import CONTEXT, DIFFERS, ONLY_A, ONLY_B, SAME
    from .commands.compare import compare as run

    result = run(opts.workspace(), a, b)
    if as_json:
        ui.print_json(result.as_json())
        return
    click.echo(f"{a}: {result.count_a} patches, {b}: {result.count_b} patches")
    words = {SAME: "same", CONTEXT: "context", DIFFERS: "differs", ONLY_A: f"only {a}",
             ONLY_B: f"only {b}"}
    width = max(len(w) for w in words.values())
    for item in result.pairs:
        name = item.slug_a or item.slug_b
        notes = []
        if item.slug_a and item.slug_b and item.slug_a != item.slug_b:
            notes.append(f"{b}: {item.slug_b}, matched by {item.matched_by}")
        if item.status == CONTEXT:
            notes.append("same change, other context")
        if item.description_differs:
            notes.append("description differs")
        click.echo(f"{words[item.status]:<{width}}  {name}" +
                   (f"  ({'; '.join(notes)})" if notes else ""))
        if item.interdiff and item.status == DIFFERS and not brief:
            for line in item.interdiff.splitlines():
                click.echo(f"    {line}")
    counts = result.as_json()["counts"]
    click.echo(f"{counts[SAME]} same, {counts[CONTEXT]} in another context, {counts[DIFFERS]} "
               f"differ, {counts[ONLY_A]} only in {a}, {counts[ONLY_B]} only in {b}")


@cli.command()
@click.argument("patch")
@click.option("--from", "source", required=True, callback=_track_cb, metavar="A",
              help="The track that carries PATCH.")
@click.option("--to", "target", required=True, callback=_track_cb, metavar="B",
              help="The track to port it to (its queue branch must exist).")
@click.option("--as", "as_slug", metavar="NAME", help="Give it another slug on B.")
@pass_options
def port(opts: Options, patch: str, source: str, target: str, as_slug: str | None) -> None:
    """Apply track A's PATCH to track B's queue, right after B's top patch (3-way).

    The file is copied byte for byte when it applies as it is, or written from the 3-way
    result. The map records `ported_from = "A:PATCH"` on B. A conflict stops like `patchq
    push` when B's queue is checked out (resolve, `git add`, `patchq push`); otherwise
    nothing changes.
    """
    from .commands.port import port as run

    ws = opts.workspace()
    result = run(ws, patch, source, target, as_slug)
    _finished_note(result)
    shown = _shown(ws, result.path)
    if result.stop is not None:
        click.echo(f"Added {result.new_slug} to the series of {target} ({shown})")
        raise _stop_error(result.stop)
    how = {"3way": " (3-way merge; the file was refreshed for " + target + ")",
           "empty": " (empty)"}.get(result.how, "")
    click.echo(f"Ported {source}:{result.slug} to {target} as {result.new_slug}{how} ({shown})")
    click.echo(f"Now at patch {result.top}")


# -- demo ---------------------------------------------------------------------------------------


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path | None) -> None:
    """Build a small CPython-like upstream and a Pyodide-like series, and run patchq on them.

    Everything stays in DIRECTORY (default: a new temporary directory) to go on by hand:
    DIRECTORY/cpython is the upstream clone, DIRECTORY/patches the patch repo.
    """
    from .commands import demo as sample_demo

    sample = sample_demo.build_sample(directory)
    click.echo(f"sample upstream (CPython-shaped, branches 3.11, 3.12, main): {sample.upstream}")
    click.echo(f"downstream patches (Pyodide-like format-patch files): {sample.incoming}")
    for number, step in enumerate(sample_demo.steps(sample), 1):
        shown = " ".join(step.argv[2:])
        click.echo(f"\n== {number}. patchq {shown}\n   ({step.says})")
        code = main(list(step.argv))
        if code != 0:
            raise PatchqError(f"demo step `patchq {shown}` failed (exit {code})",
                              f"the sample is in {sample.root}")
        if step.argv[2] == "import":
            sample_demo.commit_patch_repo(sample, "Import the Pyodide-like series")
    click.echo(f"\nThe sample stays in {sample.root}. Go on by hand:")
    click.echo(f"  cd {sample.patch_repo}")
    click.echo("  patchq list 3.11; git -C ../cpython log --oneline patchq/3.11")


# -- entry point --------------------------------------------------------------------------------


def _save_crash(exc: BaseException) -> str:
    import tempfile
    import time
    import traceback

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "patchq"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        base = Path(tempfile.gettempdir())
    path = base / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    path.write_text(f"patchq {sys.argv[1:]!r}\n{text}")
    return str(path)


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="patchq", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # a command that ends with sys.exit(N)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except PatchqError as exc:
        click.echo(f"patchq: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 -- a bug: say so, keep the details
        try:
            where = f"details saved to {_save_crash(exc)}"
        except OSError as save_error:
            where = f"the details could not be saved ({save_error.strerror})"
        click.echo(f"patchq: unexpected error ({type(exc).__name__}: {exc}); {where}", err=True)
        return 70
    return 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
