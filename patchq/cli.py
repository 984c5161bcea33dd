"""The command line: parse options, call a command function, print its result. Nothing else.

Expected failures (PatchqError) print as one line and exit 1; usage errors exit 2; Ctrl-C
exits 130; anything else is a bug: "unexpected error" and where the details were saved.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import cli_stack, cli_upstream
from .cli_args import Options, json_or_lines, pass_options, track_cb
from .errors import PatchqError, save_crash


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-C", "directory", type=click.Path(file_okay=False, path_type=Path), default=".",
              help="Run as if started in DIR (the patch repo, or below it).")
@click.option("--upstream-dir", metavar="DIR", envvar="PATCHQ_UPSTREAM",
              help="The default upstream's clone, instead of [upstream] path in the map "
                   "(env PATCHQ_UPSTREAM; [upstreams.NAME] clones are not overridden).")
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
    started_in = Path.cwd()
    os.chdir(directory)  # like git -C: relative paths in arguments are relative to DIR
    ctx.obj = Options(directory=Path("."), upstream_dir=upstream_dir, started_in=started_in)


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
@click.option("--track", "-t", required=True, callback=track_cb, metavar="T",
              help="Track name, like the upstream branch: 3.11, 3.12, main.")
@click.option("--base", required=True, metavar="REF",
              help="The upstream commit, tag or branch the series applies to.")
@click.option("--name-from", type=click.Choice(["subject", "file"]), default=None,
              help="Name patch files after their subjects, or keep the source's file names "
                   "(default: file for directories, subject for mbox and ranges).")
@click.option("--follows", metavar="BRANCH",
              help="The upstream branch the track follows (default: from --base, v3.11.2 -> 3.11).")
@click.option("--upstream", metavar="NAME", help="The map's upstream the series applies to "
              "(see `patchq upstream list`; default: [upstream]).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def import_(opts: Options, source: str, track: str, base: str, name_from: str | None,
            follows: str | None, upstream: str | None, as_json: bool) -> None:
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
    from .commands import import_ as run

    ws = opts.workspace()
    with ui.progress("checking") as bar:
        result = run.import_series(ws, source, track, base, name_from, follows, progress=bar,
                                   upstream=upstream)
    json_or_lines(as_json, "imported", run.render, result, ws.root)


# -- list -------------------------------------------------------------------------------------


@cli.command("list")
@click.argument("track", required=False, callback=track_cb)
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
    from .commands import list_ as run

    ui.emit(run.render(run.list_patches(opts.workspace(), track, with_apply=as_json), as_json))


# -- checkout / export --------------------------------------------------------------------------


@cli.command()
@click.argument("track", callback=track_cb)
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
    from .commands import checkout as run

    with ui.progress("applying") as bar:
        result = run.checkout(opts.workspace(), track, branch, force, progress=bar,
                              partial=partial)
    json_or_lines(as_json, "checkout", run.render, result)


@cli.command()
@click.argument("track", callback=track_cb)
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
    from .commands import export as run

    ws = opts.workspace()
    result = run.export(ws, track, branch, dry_run, refresh=refresh)
    json_or_lines(as_json, "export", lambda r: run.render(r, ws.root), result, ws.root)


# -- lint ---------------------------------------------------------------------------------------


@cli.command()
@click.argument("track", required=False, callback=track_cb)
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
    from .commands import lint as run

    if onto and no_apply:
        raise click.UsageError("--onto needs the upstream clone: drop --no-apply")
    problems = run.lint(opts.workspace(), track, check_export, check_apply=not no_apply,
                        onto=onto)
    ui.emit(run.render(problems, as_json))
    if run.failed(problems, strict):
        sys.exit(1)


# -- rebase --------------------------------------------------------------------------------------


@cli.command()
@click.argument("track", required=False, callback=track_cb)
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
    from .commands import rebase_render as render
    from .commands.rebase_render import _rebase_report, _rebase_status
    from .model import Outcome

    if do_drop and do_skip:
        do_skip = False  # `--skip --drop`: skip it by dropping it
    render.check_usage(track, onto, on_conflict, dry_run, check, {
        "--continue": do_continue, "--skip": do_skip, "--drop": do_drop, "--abort": do_abort,
        "--status": do_status})
    ws = opts.workspace()
    if do_status:
        _rebase_status(run.status(ws), as_json)
        return
    if do_abort:
        ui.emit(render.abort_lines(run.abort(ws), as_json))
        return
    try:
        with ui.progress("rebasing") as bar:
            if track:  # no --continue, --skip or --drop (check_usage refused them with TRACK)
                result = run.rebase(ws, track, onto, on_conflict, dry_run, progress=bar)
            elif do_continue:
                result = run.continue_rebase(ws, progress=bar)
            else:  # --skip or --drop
                result = run.skip(ws, progress=bar, drop=do_drop)
    except KeyboardInterrupt:
        ui.emit(render.interrupted_lines(not dry_run and run.status(ws) is not None,
                                         resumed=do_continue or do_skip))
        raise
    _rebase_report(ws, result, as_json)
    if result.state == "stopped":
        sys.exit(1)
    if check and any(r.outcome is Outcome.CONFLICT for r in result.patches):
        if not as_json:
            click.echo("would conflict: " + ", ".join(
                r.slug for r in result.patches if r.outcome is Outcome.CONFLICT), err=True)
        sys.exit(1)


# -- status, record, sync, report, draft: declared in cli_upstream.py -------------------------
for _command in cli_upstream.COMMANDS:
    cli.add_command(_command)


# -- stack and quilt verbs: declared in cli_stack.py ---------------------------------------------
for _command in cli_stack.COMMANDS:
    cli.add_command(_command)


# -- compare, port, log -------------------------------------------------------------------------


@cli.command()
@click.argument("a", callback=track_cb)
@click.argument("b", callback=track_cb)
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
    from .commands import compare as run

    ui.emit(run.render(run.compare(opts.workspace(), a, b), a, b, as_json, brief))


@cli.command()
@click.argument("patch")
@click.option("--from", "source", required=True, callback=track_cb, metavar="A",
              help="The track that carries PATCH.")
@click.option("--to", "target", required=True, callback=track_cb, metavar="B",
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
    from . import ui
    from .commands import port as run

    ws = opts.workspace()
    ui.emit(run.render(run.port(ws, patch, source, target, as_slug), ws.root))


@cli.command("log")
@click.argument("patch")
@click.option("--track", "-t", callback=track_cb, metavar="T",
              help="Only this track (default: every track that carries or carried PATCH).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def log_(opts: Options, patch: str, track: str | None, as_json: bool) -> None:
    """PATCH's history, newest first: its rebases (outcome, evidence, old and new version and
    the range-diff), the commits that changed its file, its drafts, issue, PR and sync states."""
    from . import ui
    from .commands.log import log, render

    result = log(opts.workspace(), patch, track)
    if as_json:
        ui.print_json(result.as_json())
    else:
        click.echo(render(result))


# -- demo ---------------------------------------------------------------------------------------


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path | None) -> None:
    """Build a small CPython-like upstream and a Pyodide-like series, and run patchq on them.

    Everything stays in DIRECTORY (default: a new temporary directory) to go on by hand:
    DIRECTORY/cpython is the upstream clone, DIRECTORY/patches the patch repo.
    """
    from . import ui
    from .commands import demo as sample_demo

    ui.emit(sample_demo.run(sample_demo.build_sample(directory), main))


# -- entry point --------------------------------------------------------------------------------


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
            where = f"details saved to {save_crash(exc)}"
        except OSError as save_error:
            where = f"the details could not be saved ({save_error.strerror})"
        click.echo(f"patchq: unexpected error ({type(exc).__name__}: {exc}); {where}", err=True)
        return 70
    return 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
