"""The operation states of the stack verbs, typed: a push stopped at a patch that does not apply
(:class:`StoppedPush`) and an edit in progress (:class:`EditState`), both frozen.

JSON only at the edges: ``patchq/operation.json`` in the upstream clone's git dir
(:mod:`patchq.store`) and the journal of a stack change (:mod:`patchq.stack_tx`, its ``then``).
The format is the one earlier patchq versions wrote: :func:`typed` reads it, ``to_json`` writes
the same keys back. A stopped push inside an edit carries the edit as its ``resume``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum

from . import store as pqstore
from .errors import StateError
from .git import Git


class Phase(str, Enum):
    """How far a stopped push got (saved by its value)."""

    APPLYING = "applying"  # journaled, the patch not yet applied to the work tree for a person
    STOPPED = "stopped"  # its conflicts (or rejects) are in the work tree


def stopped_hint(slug: str) -> str:
    return (f"resolve the conflicts of {slug}, `git add` the files, then `patchq push` to go on "
            f"(or `patchq pop` to back {slug} out)")


def edit_hint(slug: str, return_to: str | None) -> str:
    back = f" and push back to {return_to}" if return_to else ""
    return (f"change what {slug} needs, then `patchq edit --continue` to refresh it{back} "
            f"(`patchq edit --abort` to go back without refreshing)")


@dataclass(frozen=True)
class EditState:
    """An edit in progress: ``slug`` is the top patch, for a person to amend; ``return_to`` is
    the patch to push back up to afterwards (None: nothing to push back)."""

    track: str
    slug: str
    return_to: str | None
    hint: str

    @classmethod
    def of(cls, track: str, slug: str, return_to: str | None) -> EditState:
        return cls(track, slug, return_to, edit_hint(slug, return_to))

    def to_json(self) -> dict:
        return {"verb": "edit", "track": self.track, "slug": self.slug,
                "return_to": self.return_to, "hint": self.hint}

    @classmethod
    def from_json(cls, data: Mapping) -> EditState:
        slug, return_to = data["slug"], data.get("return_to")
        return cls(data["track"], slug, return_to, data.get("hint") or edit_hint(slug, return_to))


@dataclass(frozen=True)
class StoppedPush:
    """A push (or a port) that stopped at ``slug``, which does not apply on ``tip`` (where the
    branch stays); ``target`` is where the push was going, ``resume`` the edit to carry on
    afterwards. ``created``: the files the patch names that did not exist (backing it out
    removes them); ``kind`` and ``files`` say what the stop left in the work tree."""

    track: str
    branch: str
    slug: str
    target: str
    tip: str
    resume: EditState | None
    hint: str
    created: tuple[str, ...] = ()
    phase: Phase = Phase.APPLYING
    kind: str | None = None  # conflict, rejects, clean (once stopped)
    files: tuple[str, ...] = ()

    @classmethod
    def of(cls, track: str, branch: str, slug: str, target: str, tip: str,
           resume: EditState | None, created: list[str]) -> StoppedPush:
        return cls(track, branch, slug, target, tip, resume, stopped_hint(slug), tuple(created))

    def stopped(self, kind: str, files: list[str]) -> StoppedPush:
        """The state once the patch is in the work tree, for a person."""
        return replace(self, phase=Phase.STOPPED, kind=kind, files=tuple(files))

    def leftovers(self) -> list[str]:
        """What backing it out removes when the branch does not have it: new files, rejects."""
        return [*self.created, *self.rejects()]

    def rejects(self) -> tuple[str, ...]:
        """The .rej files the stop left (a patch git could not merge 3-way)."""
        return self.files if self.kind == "rejects" else ()

    def to_json(self) -> dict:
        out: dict = {"verb": "push", "phase": self.phase.value, "track": self.track,
                     "branch": self.branch, "slug": self.slug, "target": self.target,
                     "tip": self.tip, "resume": self.resume.to_json() if self.resume else None,
                     "hint": self.hint, "created": list(self.created)}
        if self.phase is Phase.STOPPED:
            out.update(kind=self.kind, files=list(self.files))
        return out

    @classmethod
    def from_json(cls, data: Mapping) -> StoppedPush:
        resume = data.get("resume")
        slug = data["slug"]
        return cls(data["track"], data["branch"], slug, data["target"], data["tip"],
                   EditState.from_json(resume) if resume else None,
                   data.get("hint") or stopped_hint(slug), tuple(data.get("created") or ()),
                   Phase(data["phase"]), data.get("kind"), tuple(data.get("files") or ()))


StackState = StoppedPush | EditState


def typed(data: Mapping | None) -> StackState | None:
    """The stack verb's state that ``data`` (an operation state, as saved) is, or None when it
    is none, or another verb's (a rebase, a change being journaled)."""
    if data is None:
        return None
    try:
        if data.get("verb") == "push" and data.get("phase") in ("applying", "stopped"):
            return StoppedPush.from_json(data)
        if data.get("verb") == "edit":
            return EditState.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError(f"the operation state ({data.get('verb')}) is not one patchq wrote "
                         f"({type(exc).__name__}: {exc})",
                         "remove it by hand if no patchq command is running") from None
    return None


def to_json(state: StackState | None) -> dict | None:
    return state.to_json() if state is not None else None


def current(git: Git) -> StackState | None:
    """The stopped push or the edit in progress in ``git``'s clone, or None."""
    return typed(pqstore.current(git))


def save(git: Git, state: StackState | None) -> None:
    """Save ``state`` as the operation in progress (None: there is none any more)."""
    if state is None:
        pqstore.clear(git)
    else:
        pqstore.save(git, state.to_json())
