"""The verbs about upstream, declared for cli.py: upstream (add, list), status (the merge matrix), record (what
people decide), sync (GitHub's state), report, draft (an issue and PR for upstream)."""

from __future__ import annotations

import click

from .cli_args import GreedyOption, Options, pass_options, since_cb, slug_cb, track_cb, tracks_cb

# -- status, record, sync -----------------------------------------------------------------------


@click.command()
@click.argument("track", required=False, callback=track_cb)
@click.option("--against", cls=GreedyOption, multiple=True, metavar="REF...",
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
    from .commands import status as run

    ws = opts.workspace()
    with ui.progress("checking", enabled=not as_json) as bar:
        result = run.status(ws, track, tuple(against), record=not no_write, progress=bar)
    ui.emit(run.render(result, as_json, ws.map_path.name, no_write))


@click.command()
@click.argument("slug")
@click.argument("assignments", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--track", "-t", callback=track_cb,
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
    from .commands import record as run

    result = run.record(opts.workspace(), slug, assignments, track)
    ui.emit(run.render(result, as_json, slug, track, shown_only=not assignments))


@click.command()
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
    from .commands import sync as run

    ws = opts.workspace()
    forge = run.github(ws, github_url, timeout,
                       warn=None if as_json else lambda text: click.echo(text, err=True))
    with ui.progress("asking GitHub", enabled=not as_json) as bar:
        result = run.sync(ws, forge, search=not no_search, progress=bar)
    ui.emit(run.render(result, as_json))


# -- report --------------------------------------------------------------------------------------


@click.command()
@click.option("--format", "-f", "format_", type=click.Choice(["md", "html", "json"]),
              default="md", show_default=True,
              help="Markdown (an issue or a wiki page), one self-contained HTML page, or JSON "
                   "(stable keys, docs/report.md).")
@click.option("--out", "-o", metavar="PATH",
              help="Write the report to PATH (atomically) instead of standard output.")
@click.option("--since", metavar="DATE|last", callback=since_cb,
              help="Compare with the newest snapshot taken on or before DATE (YYYY-MM-DD), or "
                   "with the last one (last). Default: a week before now.")
@click.option("--track", "-t", "tracks", multiple=True, callback=tracks_cb, metavar="T",
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


@click.command()
@click.argument("slug", required=False, callback=slug_cb)
@click.option("--all", "all_", is_flag=True,
              help="Draft every upstreamable patch absent from the target with no submission.")
@click.option("--track", "-t", callback=track_cb,
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

    render.check_usage(slug, all_, issue, bool(github_url or fork_url), push, open_, reopen)
    ws = opts.workspace()
    options = drafting.Options(track=track, target=target, issue=issue, section=section,
                               regenerate=regenerate, force=force)
    online = None
    if push or open_:
        from .commands.draft_online import Online

        online = Online(push_only=push and not open_, github_url=github_url, fork_url=fork_url,
                        timeout=timeout, reopen=reopen)
    if not slug:  # --all (check_usage refused neither and both)
        from .commands.draft_all import draft_all

        with ui.progress("drafting", enabled=not as_json) as bar:
            done = draft_all(ws, options, online, progress=bar)
        ui.emit(render.render_all(done, as_json))
        return
    result = drafting.draft(ws, slug, options, online)
    ui.emit(render.render(result, ws.root, ws.git.path, as_json))


# -- upstream add / list ----------------------------------------------------------------------


@click.group()
def upstream() -> None:
    """The upstreams of this patch repo: [upstream] (the default) and [upstreams.NAME]."""


@upstream.command("add")
@click.argument("name")
@click.argument("directory", metavar="DIR")
@click.option("--github", default="", metavar="OWNER/REPO", help="Its issues and PRs.")
@click.option("--fork", default="", metavar="OWNER/REPO", help="Where draft branches go.")
@pass_options
def upstream_add(opts: Options, name: str, directory: str, github: str, fork: str) -> None:
    """Record the clone DIR as upstream NAME; import a series onto it with --upstream NAME."""
    from .commands import upstream as run

    click.echo("\n".join(run.render_added(run.add(opts.workspace(), name, directory,
                                                  github, fork))))


@upstream.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_options
def upstream_list(opts: Options, as_json: bool) -> None:
    """The upstreams, their clones, GitHub repositories and tracks."""
    from . import ui
    from .commands import upstream as run

    infos = run.list_upstreams(opts.workspace())
    if as_json:
        ui.print_json([i.as_json() for i in infos])
    else:
        click.echo("\n".join(run.render_list(infos)))


COMMANDS = (status, record, sync, report, draft, upstream)
