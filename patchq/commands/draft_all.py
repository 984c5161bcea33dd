"""`patchq draft --all`: every patch meant to go upstream, each drafted, skipped (and why) or
not drafted (and why), going on past failures.

A patch is skipped when its disposition is not ``upstreamable``, when it has a PR (the map's,
its header's, one patchq opened), when it is taken from an upstream commit, when sync
proposed PRs that may be it, or when the target has it (``present``/``partial`` recorded, or
the port changes nothing). An issue it names is no reason to skip it: the draft uses it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum

from .. import store as pqstore
from ..errors import MapError, PatchqError
from ..queue import LoadedPatch, load_series
from ..workspace import Workspace
from . import draft as one
from . import draft_facts as facts_of


class Status(str, Enum):
    DRAFTED = "drafted"
    SKIPPED = "skipped"  # nothing to draft (the reason says why)
    REFUSED = "refused"  # a person must fix the patch first (its subject, its author)
    FAILED = "failed"  # drafting failed (a conflict, GitHub, the fork)


@dataclass
class AllItem:
    slug: str
    track: str
    status: Status
    detail: str
    result: one.DraftResult | None = None

    def as_json(self) -> dict:
        return {"slug": self.slug, "track": self.track, "status": self.status.value,
                "detail": self.detail,
                "draft": self.result.as_json() if self.result else None}


@dataclass
class AllResult:
    items: list[AllItem] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for item in self.items if item.status is status)

    @property
    def not_drafted(self) -> list[AllItem]:
        """The patches that were to be drafted and could not be (skipped ones are not)."""
        return [i for i in self.items if i.status in (Status.REFUSED, Status.FAILED)]

    @property
    def attempted(self) -> int:
        return len(self.items) - self.count(Status.SKIPPED)

    def as_json(self) -> list[dict]:
        return [item.as_json() for item in self.items]


def why_skip(ws: Workspace, patch: LoadedPatch, track: str, target: str) -> str:
    """Why `draft --all` leaves a patch alone ("" to draft it)."""
    slug = patch.slug
    record = ws.map.patch(slug)
    disposition = str(record.get("disposition", "undecided"))
    if disposition != "upstreamable":
        return f"disposition is {disposition}"
    github = ws.upstream_get("github", track)
    meta = one.read_meta(one.drafts_dir(ws, slug))
    known = facts_of.read(patch, record, meta, github)
    reason = facts_of.skip_reason(known, github)
    if reason:
        return reason
    gh = record.get("github", {}) if isinstance(record.get("github"), dict) else {}
    submission = str(gh.get("submission", "") or "")
    if submission in ("draft-pr", "open-pr", "merged-pr", "closed-pr"):
        return f"has a pull request ({submission}, from sync)"
    upstream = record.get("tracks", {}).get(track, {}).get("upstream", {})
    state = str(upstream.get(target, {}).get("state", "")) if isinstance(upstream, dict) else ""
    if state in ("present", "partial"):
        return f"{state} in {target}"
    return ""


def draft_all(ws: Workspace, opts: one.Options, online=None,
              progress: one.Progress | None = None) -> AllResult:
    """Draft every upstreamable patch not upstream, not proposed, not taken from upstream; a
    failure is recorded and the others go on. Holds patchq's lock throughout."""
    with pqstore.writing(ws):
        return _draft_all(ws, opts, online, progress)


def _draft_all(ws: Workspace, opts: one.Options, online, progress) -> AllResult:
    names = [opts.track] if opts.track else ws.map.track_names()
    if not names:
        raise MapError("no tracks yet", "import a series with `patchq import`")
    seen: dict[str, tuple[str, LoadedPatch]] = {}
    cache = one.Cache()
    for name in sorted(names, key=one._track_order):
        ws.track(name)
        directory = ws.series_dir(name)
        if not directory.is_dir():
            continue
        cache.series[name] = load_series(directory, name)
        for patch in cache.series[name].patches:
            seen.setdefault(patch.slug, (name, patch))
    result = AllResult()
    todo = []
    for slug, (track, patch) in seen.items():
        reason = why_skip(ws, patch, track, opts.target)
        if reason:
            result.items.append(AllItem(slug, track, Status.SKIPPED, reason))
        else:
            todo.append((slug, track))
    for number, (slug, track) in enumerate(todo, 1):
        if progress:
            progress(number, len(todo), slug)
        each = one.Options(**{**asdict(opts), "track": track, "issue": None, "single": False})
        try:
            drafted = one.draft(ws, slug, each, online, cache)
        except one.AlreadyUpstream as exc:
            result.items.append(AllItem(slug, track, Status.SKIPPED, exc.message))
        except facts_of.DraftRefused as exc:
            result.items.append(AllItem(slug, track, Status.REFUSED, str(exc)))
        except PatchqError as exc:
            result.items.append(AllItem(slug, track, Status.FAILED, str(exc)))
        else:
            result.items.append(AllItem(slug, track, Status.DRAFTED, _summary(drafted),
                                        drafted))
    order = {slug: i for i, slug in enumerate(seen)}
    result.items.sort(key=lambda item: order[item.slug])
    return result


def _summary(result: one.DraftResult) -> str:
    parts = [f"{result.branch} {result.branch_state}"]
    if result.issue:
        parts.append(f"issue gh-{result.issue}" +
                     (f" ({result.issue_source})" if result.issue_source else ""))
    if result.pr:
        parts.append(f"PR #{result.pr} {result.pr_state}")
    return ", ".join(parts)
