"""Patches a rebase set aside (``--on-conflict skip``, ``--skip``): they stay in the series, byte
for byte, as they were written for the old base (``set_aside_on`` in the map), marked
``needs_person``. Checkout builds the rest around them, the stack lists them, and pushing one
(``push``/``goto``/``edit``) merges it 3-way from that old base, as the rebase would have:
:func:`aside_commit` gives the commit to cherry-pick into the work tree, where its conflicts
stay (markers and stages) for a person, whatever the file's format (a DEP-3 file without
blob ids included).
"""

from __future__ import annotations

from functools import partial

from .errors import ApplyError
from .git import Git, ObjectStore, raw_changes
from .queue import LoadedPatch


def aside_commit(git: Git, patch: LoadedPatch, old_base: str, base: str, onto: str) -> str | None:
    """``patch`` applied on ``old_base`` (the base its file was written for), carried to the
    files its files became in ``base`` (the track's base now) when upstream moved them: the
    commit to cherry-pick onto ``onto``. None when the file does not apply on ``old_base``
    (or that commit is not in the clone)."""
    from .moves import Mover
    from .rebasing import rewrite_commit

    old = git.rev_parse(old_base + "^{commit}") if old_base else None
    if old is None:
        return None
    store = ObjectStore(git)
    try:
        with git.scratch_index(git.tree_of(old)) as index:
            try:
                index.apply(patch.path, patch.entry.strip, slug=patch.slug)
            except ApplyError:
                return None
            tree = index.write_tree()
        commit = store.commit(tree, [old], patch.message(),
                              patch.identity(git.commit_date(old)))
        onto_tree = git.tree_of(onto)
        gone = [c.path for c in raw_changes(git, [commit])[commit]
                if not c.added and store.entry(onto_tree, c.path) is None]
        if gone:
            port = Mover(git, store, old, base).port(old, commit, gone, onto_tree,
                                                     partial(rewrite_commit, store))
            if port is not None:
                return port.commit
        return commit
    finally:
        store.close()


def still_aside(slugs, from_ref: str) -> list:
    """Results for patches a rebase set aside before and that still do not apply on the base
    being left (``from_ref``): they stay set aside, in the series, byte for byte."""
    from .model import Outcome
    from .rebase_result import PatchResult

    return [PatchResult(slug, Outcome.CONFLICT, "", needs_person=True,
                        detail=f"still set aside: it does not apply on {from_ref} either "
                               "(`patchq push` it to resolve it)") for slug in slugs]


def in_series_order(results, order) -> list:
    """``results`` sorted as the series lists their patches (``order``: its slugs)."""
    place = {slug: number for number, slug in enumerate(order)}
    return sorted(results, key=lambda r: place.get(r.slug, len(place)))
