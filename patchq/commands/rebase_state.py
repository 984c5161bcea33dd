"""The state of a rebase in progress, typed: :class:`RebaseState` (frozen), JSON only at the
edge (``patchq/operation.json`` in the upstream clone's git dir, through :mod:`patchq.store`).

The state is saved before every step that touches something (design.md §7): a step makes a
new state with :func:`dataclasses.replace` and saves it; nothing changes a state in place.
The file's format is the one earlier patchq versions wrote (version 1); keys they did not
write yet (``aside``, ``order``, ``pick``, ``materialized``) take their defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

from .. import store as pqstore
from ..errors import StateError
from ..git import Git
from ..rebase_result import OldPatch, PatchResult, Stop
from ..workspace import Workspace

VERB = "rebase"
STATE_VERSION = 1


class Phase(str, Enum):
    RUNNING = "running"      # moving patches (or killed while at it)
    STOPPED = "stopped"      # at a conflict, for a person
    FINISHING = "finishing"  # every outcome saved: writing the series, moving the branch


class Skipping(str, Enum):
    """What ``--skip`` / ``--drop`` asked for the stopped patch (saved before it is done)."""

    ASIDE = "aside"  # --skip: set it aside (saved as ``true``)
    DROP = "drop"    # --drop


@dataclass(frozen=True)
class Head:
    """Where the queue branch and HEAD were before the rebase (``--abort`` goes back)."""

    tip: str | None
    head_branch: str | None
    head_commit: str | None

    def to_json(self) -> dict:
        return {"tip": self.tip, "head_branch": self.head_branch, "head_commit": self.head_commit}

    @classmethod
    def from_json(cls, data: Mapping) -> Head:
        return cls(data.get("tip"), data.get("head_branch"), data.get("head_commit"))


@dataclass(frozen=True)
class Base:
    """A base the rebase moves from or onto: the name recorded and its commit."""

    ref: str
    commit: str

    def to_json(self) -> dict:
        return {"ref": self.ref, "commit": self.commit}

    @classmethod
    def from_json(cls, data: Mapping) -> Base:
        return cls(data["ref"], data["commit"])


@dataclass(frozen=True)
class StopState:
    """The patch the rebase stopped at, and how far the stop got."""

    index: int  # 0-based position among the state's patches
    slug: str
    parent: str  # the new commit it does not merge onto
    files: tuple[str, ...]
    messages: tuple[str, ...]
    pick: str = ""  # the commit to check out when not the patch's own (its port)
    materialized: bool = False  # its conflict is in the work tree
    skipping: Skipping | None = None
    resolution: PatchResult | None = None  # the person's resolution, recorded

    @classmethod
    def of(cls, stop: Stop) -> StopState:
        return cls(stop.index, stop.slug, stop.parent, stop.files, stop.messages, stop.pick)

    def stop(self) -> Stop:
        return Stop(self.index, self.slug, self.parent, self.files, self.messages, self.pick)

    def to_json(self) -> dict:
        out: dict = {"index": self.index, "slug": self.slug, "parent": self.parent,
                     "files": list(self.files), "messages": list(self.messages),
                     "pick": self.pick, "materialized": self.materialized}
        if self.skipping is not None:
            out["skipping"] = "drop" if self.skipping is Skipping.DROP else True
        if self.resolution is not None:
            out["resolution"] = self.resolution.as_json()
        return out

    @classmethod
    def from_json(cls, data: Mapping) -> StopState:
        skipping = data.get("skipping")
        resolution = data.get("resolution")
        return cls(int(data["index"]), data["slug"], data["parent"], tuple(data["files"]),
                   tuple(data["messages"]), data.get("pick", "") or "",
                   bool(data.get("materialized")),
                   (Skipping.DROP if skipping == "drop" else Skipping.ASIDE) if skipping
                   else None,
                   PatchResult.from_json(resolution) if resolution else None)


@dataclass(frozen=True)
class RebaseState:
    """Everything a rebase in progress needs to go on, or to be undone."""

    track: str
    patch_repo: str  # the patch repo, relative to the clone (the two may move together)
    branch: str  # the queue branch
    orig: Head
    from_: Base
    to: Base
    on_conflict: str  # "stop" or "skip"
    patches: tuple[OldPatch, ...]  # the old queue
    phase: Phase = Phase.RUNNING
    results: tuple[PatchResult, ...] = ()  # of patches[:next]
    next: int = 0  # the first patch without a result
    tip: str = ""  # the new commit patches[next] goes onto
    stop: StopState | None = None
    started_at: str = ""
    aside: tuple[PatchResult, ...] = ()  # set aside by an earlier rebase, still not applying
    order: tuple[str, ...] = ()  # the series' slugs, in order (with the set-aside ones)
    branch_values: tuple[str | None, ...] = ()  # every value this rebase gave the branch
    version: int = field(default=STATE_VERSION)

    def to_json(self) -> dict:
        return {
            "verb": VERB, "version": self.version, "track": self.track,
            "patch_repo": self.patch_repo, "phase": self.phase.value, "branch": self.branch,
            "orig": self.orig.to_json(), "from": self.from_.to_json(), "to": self.to.to_json(),
            "on_conflict": self.on_conflict, "patches": [p.as_json() for p in self.patches],
            "results": [r.as_json() for r in self.results], "next": self.next,
            "tip": self.tip, "stop": self.stop.to_json() if self.stop else None,
            "started_at": self.started_at, "aside": [r.as_json() for r in self.aside],
            "order": list(self.order), "branch_values": list(self.branch_values),
        }

    @classmethod
    def from_json(cls, data: Mapping) -> RebaseState:
        stop = data.get("stop")
        return cls(
            track=data["track"], patch_repo=data["patch_repo"], branch=data["branch"],
            orig=Head.from_json(data["orig"]), from_=Base.from_json(data["from"]),
            to=Base.from_json(data["to"]), on_conflict=data["on_conflict"],
            patches=tuple(OldPatch.from_json(p) for p in data["patches"]),
            phase=Phase(data["phase"]),
            results=tuple(PatchResult.from_json(r) for r in data.get("results", ())),
            next=int(data.get("next", 0)), tip=data.get("tip", ""),
            stop=StopState.from_json(stop) if stop else None,
            started_at=data.get("started_at", ""),
            aside=tuple(PatchResult.from_json(r) for r in data.get("aside", ())),
            order=tuple(data.get("order", ())),
            branch_values=tuple(data.get("branch_values", ())),
            version=int(data.get("version", STATE_VERSION)))

    @property
    def total(self) -> int:
        """Patches in the series: the old queue and the ones still set aside."""
        return len(self.patches) + len(self.aside)

    def old_tip(self) -> str:
        return self.patches[-1].commit if self.patches else self.from_.commit

    def with_branch_value(self, value: str | None) -> RebaseState:
        """The state that remembers ``value`` as one this rebase gave the branch."""
        if value in self.branch_values:
            return self
        return replace(self, branch_values=self.branch_values + (value,))


def save(git: Git, state: RebaseState) -> RebaseState:
    """Save ``state`` (atomically); returns it, so a step reads ``state = save(git, ...)``."""
    try:
        pqstore.save(git, state.to_json())
    except OSError as exc:
        raise StateError(f"cannot save the rebase state in {git.git_path('patchq')}: "
                         f"{exc.strerror or exc}",
                         "free some space, then `patchq rebase --continue` or `--abort`") \
            from None
    return state


def current(git: Git) -> RebaseState | None:
    """The rebase in progress in ``git``'s clone, or None (none, or another verb's)."""
    data = pqstore.current(git)
    if data is None or data.get("verb") != VERB:
        return None
    return _typed(git, data)


def load(ws: Workspace) -> tuple[Git, RebaseState]:
    """The rebase in progress that belongs to ``ws``'s patch repo; refused with one line when
    there is none, it is another verb's, another version's or another patch repo's."""
    pqstore.select_busy(ws)
    git = ws.git
    data = pqstore.current(git)
    if data is None:
        raise StateError(f"no rebase is in progress in {git.path}",
                         "start one with `patchq rebase TRACK`")
    if data.get("verb") != VERB:
        raise StateError(f"a {pqstore.describe(data)} is in progress, not a rebase",
                         f"finish it with `patchq {data.get('verb')} --continue` or `--abort`")
    state = _typed(git, data)
    owner = (git.path / state.patch_repo).resolve()
    if owner != ws.root.resolve():
        raise StateError(f"the rebase in progress belongs to the patch repo {owner}",
                         f"run patchq -C {owner}")
    return git, state


def reload(git: Git, state: RebaseState) -> RebaseState:
    """The state as saved now (read again under the lock), or ``state`` when it is gone."""
    return current(git) or state


def _typed(git: Git, data: Mapping) -> RebaseState:
    if data.get("version") != STATE_VERSION:
        raise StateError("the rebase in progress was started by another version of patchq",
                         "finish it with that version")
    try:
        return RebaseState.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError(f"the rebase state {pqstore.state_path(git)} is not one patchq wrote "
                         f"({type(exc).__name__}: {exc})",
                         "remove it by hand if no patchq command is running") from None
