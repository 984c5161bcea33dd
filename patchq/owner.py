"""Which patch repo a queue branch belongs to, recorded in the upstream clone.

A queue branch is one patchq built: ``checkout`` (and ``rebase``) record, in the clone's own
git config, the patch repo it was built for (its path from the clone) and its track::

    [branch "patchq/3.13"]
        patchqowner = ../patches
        patchqtrack = 3.13

git keeps the record with the branch (``git branch -m`` moves it, ``-D`` drops it). Commands
that read a queue branch as a series (``export``, the stack commands) or rewrite it
(``checkout``, ``rebase``) take only a branch recorded for this patch repo and this track:
``export 3.13 --branch main`` cannot read the user's own ``main`` as the queue (and delete
the series), ``checkout --branch main --force`` cannot rewrite it, and two patch repos
sharing one clone cannot take each other's queue branch.

A branch built before owners were recorded is recognised by the track's manifest (which names
the branch checkout built) and adopted. A record naming a patch repo that no longer exists
(moved or deleted) is taken over.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import StateError
from .git import Git

OWNER, TRACK = "patchqowner", "patchqtrack"


def owner_id(git: Git, root: Path) -> str:
    """The id of a patch repo: its path relative to the clone's work tree, so that a copy of
    both (``cp -a``) keeps its record true."""
    return os.path.relpath(os.path.realpath(root), os.path.realpath(git.path))


def _key(branch: str, name: str) -> str:
    return f"branch.{branch}.{name}"


def recorded(git: Git, branch: str) -> tuple[str | None, str | None]:
    """(owner, track) recorded for ``branch``."""
    values = git.config_values(_key(branch, OWNER), _key(branch, TRACK))
    return values.get(_key(branch, OWNER)), values.get(_key(branch, TRACK))


def claim(git: Git, root: Path, branch: str, track: str,
          seen: tuple[str | None, str | None] | None = None) -> None:
    """Record that this patch repo built ``branch`` for ``track``. ``seen``: what ``check``
    found recorded, in this process and under patchq's lock (saves reading it again)."""
    me = owner_id(git, root)
    if (recorded(git, branch) if seen is None else seen) != (me, track):
        git.set_config(_key(branch, OWNER), me)
        git.set_config(_key(branch, TRACK), track)


def _legacy(git: Git, branch: str, track: str) -> bool:
    """Built by a patchq that recorded no owner: the track's manifest names the branch."""
    from .queuecache import Manifest

    return Manifest(git, track).data.get("branch") == branch


def check(git: Git, root: Path, branch: str, track: str, *, building: bool = False
          ) -> tuple[str | None, str | None]:
    """Refuse ``branch`` unless it is this patch repo's queue branch of ``track``. With
    ``building`` (checkout, rebase), a branch that does not exist yet is fine too.
    Returns the (owner, track) recorded for it, for ``claim``."""
    owner, built_for = recorded(git, branch)
    exists = git.branch_tip(branch) is not None
    if owner is None:
        if (building and not exists) or (exists and _legacy(git, branch, track)):
            return owner, built_for
        if not exists:
            raise StateError(f"there is no queue branch {branch} in {git.path}",
                             f"run `patchq checkout {track}` first")
        raise StateError(f"branch {branch} in {git.path} is not a queue branch patchq built "
                         f"for track {track}; patchq does not read or rewrite it",
                         f"use the track's own queue branch (`patchq checkout {track}` builds "
                         "it), or give --branch a new name")
    me = owner_id(git, root)
    other = Path(os.path.normpath(Path(git.path) / owner))
    if owner != me and (other / "upstream_map.toml").is_file():
        raise StateError(f"branch {branch} in {git.path} is the queue branch of another patch "
                         f"repo ({other})",
                         "give this repo's track its own queue branch ([tracks.T] queue = "
                         "\"NAME\" in upstream_map.toml, or --branch NAME), or use another "
                         "clone (--upstream-dir)")
    if owner == me and built_for is not None and built_for != track:
        raise StateError(f"branch {branch} is the queue branch of track {built_for}, not "
                         f"{track}", f"use track {built_for}'s commands, or give --branch a "
                         "new name")
    return owner, built_for
