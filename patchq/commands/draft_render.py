"""What `patchq draft` prints: one draft (what was made, the texts, what happened online) and
the table of `--all`. Text only; cli.py echoes it. And what the options allow together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from ..errors import PatchqError
from ..ui import Line, Table, json_text, shown
from .draft import ISSUE_MD, NEWS_RST, PR_MD, DraftResult
from .draft_all import AllResult, Status


def draft_lines(result: DraftResult, root: Path, clone: Path) -> list[str]:
    """The report of one draft, line by line."""
    how = "cleanly" if result.how == "clean" else "with a 3-way merge"
    out = [(f"{result.slug}: ported from track {result.track} onto {result.target} "
           f"({result.target_ref} {result.target_commit[:12]}) {how}"),
           (f"branch {result.branch} {result.branch_state} in {clone} "
           f"(tip {result.commit[:12]}; author {result.author})")]
    if result.issue and not result.issue_created:
        out.append(f"issue gh-{result.issue}" +
                   (f" ({result.issue_source}): issue.md is for reference, no issue is opened"
                    if result.issue_source else ""))
    if result.co_authors:
        out.append("co-authored by " + ", ".join(result.co_authors))
    where = shown(root, result.directory)
    out.append(f"drafts in {where}/: " + (", ".join(result.written) + " written"
                                           if result.written else "unchanged"))
    if result.kept:
        out.append(f"kept your edits to {', '.join(result.kept)} (--regenerate overwrites them)")
    out += result.notes
    for name in (ISSUE_MD, PR_MD):
        out.append(f"\n---- {where}/{name} " + "-" * max(4, 60 - len(where) - len(name)))
        out.append(result.texts[name].rstrip("\n"))
    if result.no_news:
        out.append(f"\n---- no NEWS entry: {result.no_news}")
    elif result.news_own:
        out.append(f"\n---- NEWS entry: the patch's own, {result.news_file}")
    elif result.news_file:
        out.append(f"\n---- NEWS entry: {result.news_file}")
        out.append(result.texts.get(NEWS_RST, "").rstrip("\n"))
    else:
        out.append(f"\n---- NEWS entry ({result.section}; added to the branch once the issue "
                   "number is known)")
        out.append(result.texts.get(NEWS_RST, "").rstrip("\n"))
    out.append("")
    if result.issue_url or result.pr_url or result.pushed:
        if result.issue_url:
            state = "created" if result.issue_created else "recorded"
            out.append(f"issue gh-{result.issue} {state}: {result.issue_url}")
        if result.pushed:
            out.append(f"branch {result.branch} {result.pushed} on fork {result.fork}")
        if result.pr_url:
            out.append(f"draft PR #{result.pr} {result.pr_state}: {result.pr_url}")
    else:
        out.append(f"next: review and edit the drafts, then `patchq draft {result.slug} --open` "
                   "(with GITHUB_TOKEN set)")
    return out


def all_rows(result: AllResult) -> list[tuple[str, str, str, str]]:
    return [(i.slug, i.track, i.status.value, i.detail) for i in result.items]


def all_summary(result: AllResult) -> str:
    if not result.items:
        return "no patches to draft"
    return (f"{result.count(Status.DRAFTED)} drafted, {result.count(Status.SKIPPED)} skipped, "
            f"{result.count(Status.REFUSED)} refused, {result.count(Status.FAILED)} failed "
            "(drafts in drafts/)")


def not_drafted_line(result: AllResult) -> tuple[str, str] | None:
    """(message, hint) when some could not be drafted: N of the M that were to be."""
    missing = result.not_drafted
    if not missing:
        return None
    names = ", ".join(i.slug for i in missing[:3]) + (" ..." if len(missing) > 3 else "")
    return (f"{len(missing)} of {result.attempted} patches could not be drafted ({names})",
            "see the table above; the others were drafted or skipped")


def check_usage(slug: str | None, all_: bool, issue: int | None, online_url: bool, push: bool,
                open_: bool, reopen: bool) -> None:
    """Refuse options that do not go together (``online_url``: --github-url or --fork-url)."""
    if all_ == bool(slug):
        raise click.UsageError("give a SLUG or --all (not both)")
    if all_ and issue:
        raise click.UsageError("--issue names the issue of one patch; it cannot go with --all")
    if online_url and not (push or open_):
        raise click.UsageError("--github-url and --fork-url go with --push or --open")
    if reopen and not open_:
        raise click.UsageError("--reopen goes with --open")


def render(result: DraftResult, root: Path, clone: Path, as_json: bool) -> Iterator[str]:
    """What `patchq draft SLUG` prints."""
    if as_json:
        yield json_text(result.as_json())
    else:
        yield "\n".join(draft_lines(result, root, clone))


def render_all(result: AllResult, as_json: bool) -> Iterator[Line]:
    """What `patchq draft --all` prints; then the error when some could not be drafted."""
    if as_json:
        yield json_text(result.as_json())
    else:
        if result.items:
            yield Table(["slug", "track", "result", "detail"], all_rows(result))
        yield all_summary(result)
    failed = not_drafted_line(result)
    if failed:
        raise PatchqError(*failed)
