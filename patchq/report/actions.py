"""The action list: the few things a maintainer should do this week, each with its command.

Pure. In this order, a few patches named per line (oldest or most urgent first):

1. ``resolve``: a patch a rebase set aside (it does not apply on the new base): ``patchq push
   -t T SLUG`` stops at its conflict in the upstream clone; resolve, ``git add``, push again;
2. ``status``: patches nothing has checked against upstream: ``patchq status T``;
3. ``sync``: recorded PRs or issues ``patchq sync`` never read, or read more than a week ago;
4. ``review``: drafts written but not opened: review ``drafts/SLUG/``, then
   ``patchq draft -t T SLUG --open``;
5. ``draft``: upstreamable patches never proposed: ``patchq draft -t T SLUG``;
6. ``partial``: upstream has part of a patch: propose the rest (``patchq draft``) or drop it;
7. ``decide``: never-proposed patches whose disposition nobody decided:
   ``patchq record SLUG disposition=upstreamable`` (or ``downstream-only reason=...``).
"""

from __future__ import annotations

from datetime import datetime

from .fmt import plural
from .history import parse_time
from .model import Action, ActionKind, PatchRow, TrackReport

LISTED = 3  # patches named per action; the rest are counted
STALE_DAYS = 7  # a sync older than this is stale for a weekly report


def _names(rows: list[PatchRow]) -> tuple[tuple[str, ...], int]:
    return tuple(r.slug for r in rows[:LISTED]), max(0, len(rows) - LISTED)


def _stale(row: PatchRow, now: datetime) -> bool:
    if not (row.pr or row.issue):
        return False
    if not row.github_checked_at:
        return True
    return (now - parse_time(row.github_checked_at)).days > STALE_DAYS


def _track_actions(t: TrackReport) -> list[Action]:
    out: list[Action] = []
    onto = f" onto {t.last_rebase.to_ref}" if t.last_rebase else ""
    conflicts = [p.row for p in t.needs_person if p.why == "conflict"]
    how = "push stops at its conflict in the upstream clone: resolve, git add, push again"
    for row in conflicts[:LISTED]:
        out.append(Action(
            ActionKind.RESOLVE, t.name, f"resolve {row.slug}: the rebase{onto} set it aside",
            f"patchq push -t {t.name} {row.slug}", (row.slug,),
            detail="; ".join(x for x in (row.conflict_text, how) if x)))
    if len(conflicts) > LISTED:
        rest = conflicts[LISTED:]
        out.append(Action(ActionKind.RESOLVE, t.name,
                          f"{plural(len(rest), 'more patch', 'more patches')} set aside",
                          f"patchq push -t {t.name} {rest[0].slug}",
                          tuple(r.slug for r in rest[:LISTED]), more=max(0, len(rest) - LISTED)))
    unchecked = [r for r in t.patches if not r.checked]
    if unchecked:
        slugs, more = _names(unchecked)
        out.append(Action(ActionKind.STATUS, t.name,
                          f"{plural(len(unchecked), 'patch was', 'patches were')} never checked "
                          "against upstream", f"patchq status {t.name}", slugs, more=more))
    drafts = [r for r in t.patches if r.category == "drafted" and r.has_draft
              and not r.pr and not r.branch]
    if drafts:
        slugs, more = _names(drafts)
        out.append(Action(ActionKind.REVIEW, t.name,
                          f"review {plural(len(drafts), 'draft')} in drafts/, then open "
                          f"{'it' if len(drafts) == 1 else 'them'} upstream",
                          f"patchq draft -t {t.name} {drafts[0].slug} --open", slugs, more=more))
    upstreamable = [r for r in t.unproposed if r.disposition == "upstreamable"]
    if upstreamable:
        slugs, more = _names(upstreamable)
        out.append(Action(ActionKind.DRAFT, t.name,
                          f"draft {plural(len(upstreamable), 'upstreamable patch', 'upstreamable patches')}"
                          " never proposed (oldest first)",
                          f"patchq draft -t {t.name} {upstreamable[0].slug}", slugs, more=more,
                          detail="`patchq draft --all` drafts every one" if more else ""))
    partial = [p.row for p in t.needs_person if p.why == "partial"]
    if partial:
        slugs, more = _names(partial)
        out.append(Action(ActionKind.PARTIAL, t.name,
                          f"upstream has part of {plural(len(partial), 'patch', 'patches')}: "
                          "propose the rest or drop it",
                          f"patchq draft -t {t.name} {partial[0].slug}", slugs, more=more))
    undecided = [r for r in t.unproposed if r.disposition == "undecided"]
    if undecided:
        slugs, more = _names(undecided)
        out.append(Action(ActionKind.DECIDE, t.name,
                          f"decide whether {plural(len(undecided), 'patch', 'patches')} never "
                          "proposed should go upstream",
                          f"patchq record {undecided[0].slug} disposition=upstreamable", slugs,
                          more=more, detail="or disposition=downstream-only reason=\"why\""))
    return out


def actions_of(tracks: tuple[TrackReport, ...], now: datetime) -> tuple[Action, ...]:
    """The action list of the report (module docstring); ``sync`` once for every track."""
    per_track = [_track_actions(t) for t in tracks]
    stale = [r for t in tracks for r in t.patches if _stale(r, now)]
    ordered: list[Action] = []
    for kind in ActionKind:
        if kind is ActionKind.SYNC:
            if stale:
                never = sum(1 for r in stale if not r.github_checked_at)
                why = []
                if never:
                    why.append(f"{plural(never, 'recorded PR or issue', 'recorded PRs or issues')}"
                               " not yet read from GitHub")
                if len(stale) > never:
                    why.append(f"{len(stale) - never} last checked over {STALE_DAYS} days ago")
                slugs, more = _names(stale)
                ordered.append(Action(ActionKind.SYNC, "", "read PR and issue states: "
                                      + ", ".join(why), "patchq sync", slugs, more=more))
            continue
        ordered.extend(a for actions in per_track for a in actions if a.kind is kind)
    return tuple(ordered)
