"""The --json documents of the stack verbs, `import`, `checkout` and `export` (docs/json.md).

Plain functions from a command's result to JSON data; :func:`patchq.ui.print_json` adds the
``schema`` key. Paths are given relative to the patch repo when they are inside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _path(root: Path | None, path: Path) -> str:
    if root is not None:
        try:
            return str(Path(path).resolve().relative_to(Path(root).resolve()))
        except ValueError:
            pass
    return str(path)


def listing(result) -> dict[str, Any]:
    """applied, unapplied, top, next, previous (:class:`patchq.commands.stack_nav.Listing`)."""
    return {"track": result.track, "patches": list(result.slugs),
            "aside": list(getattr(result, "aside", []) or []),
            "message": result.message or None, "code": result.code}


def stop(item) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"slug": item.slug, "kind": item.kind, "files": list(item.files),
            "details": item.details, "branch": item.branch, "clone": str(item.clone)}


def move(result, root: Path | None = None) -> dict[str, Any]:
    """push and pop (:class:`patchq.commands.stack_nav.MoveResult`)."""
    return {"track": result.track,
            "pushed": [{"slug": p.slug, "commit": p.commit, "how": p.how}
                       for p in result.pushed],
            "popped": list(result.popped), "top": result.top,
            "message": result.nothing or None, "code": result.nothing_code if result.nothing
            else (1 if result.stop is not None else 0),
            "stop": stop(result.stop), "resolved": result.resolved or None,
            "aborted": result.aborted or None,
            "wrote": [_path(root, p) for p in result.wrote]}


def move_code(result) -> int:
    return move(result)["code"]


def fuzzy(items) -> list[dict[str, Any]]:
    return [{"slug": slug, "notes": list(notes)} for slug, notes in items]


def imported(result, root: Path | None = None) -> dict[str, Any]:
    return {"track": result.track, "kind": result.kind, "base": result.base,
            "base_commit": result.base_commit, "patches": list(result.slugs),
            "not_applying": [{"slug": s, "details": d} for s, d in result.not_applying],
            "fuzzy": fuzzy(result.fuzzy), "files": [_path(root, p) for p in result.files],
            "seeded": dict(result.seeded)}


def checkout(result) -> dict[str, Any]:
    return {"track": result.track, "branch": result.branch, "base": result.base,
            "base_commit": result.base_commit, "tip": result.tip, "patches": result.patches,
            "unchanged": result.unchanged, "three_way": list(result.three_way),
            "fuzzy": fuzzy(result.fuzzy), "set_aside": list(result.set_aside),
            "newly_aside": list(result.newly_aside), "previous": result.previous}


def export(result, root: Path | None = None) -> dict[str, Any]:
    plan = result.plan
    return {"track": result.track, "branch": result.branch, "dry_run": result.dry_run,
            "unchanged": list(plan.unchanged), "changed": list(plan.changed),
            "added": list(plan.added), "removed": list(plan.removed),
            "renamed": [{"from": a, "to": b} for a, b in plan.renamed],
            "written": [_path(root, p) for p in result.written],
            "warnings": list(result.warnings)}
