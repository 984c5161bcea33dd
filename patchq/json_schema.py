"""The versioned schema of every JSON document patchq prints (docs/json.md).

Each document is one JSON object whose first key is ``"schema": "patchq-<verb>/<N>"``. A
command whose data is a list (``list``, ``lint``, ``draft --all``) puts it under one key
(:data:`LIST_KEYS`). N grows when a key is removed or changes meaning; new keys may be added
within a version. ``report -f json`` writes its own document (``patchq-report/1``,
docs/report.md), which follows the same rule.

Pure: no click, no git.

>>> document("lint", [])
{'schema': 'patchq-lint/1', 'problems': []}
>>> document("top", {"track": "3.11", "patches": ["a"]})["schema"]
'patchq-top/1'
"""

from __future__ import annotations

from typing import Any

VERSIONS: dict[str, int] = {
    "list": 1, "lint": 1, "status": 1, "record": 1, "sync": 1, "draft": 1, "rebase": 1,
    "compare": 1, "applied": 1, "unapplied": 1, "top": 1, "next": 1, "previous": 1,
    "series": 1, "files": 1, "push": 1, "pop": 1, "import": 1, "checkout": 1, "export": 1,
    "log": 1, "upstream-list": 1,
}
LIST_KEYS = {"list": "patches", "lint": "problems", "draft": "items",
             "upstream-list": "upstreams"}


def name(verb: str) -> str:
    """The schema name of ``verb``'s document."""
    if verb not in VERSIONS:
        raise KeyError(f"no JSON schema is declared for {verb!r} (add it to VERSIONS and to "
                       "docs/json.md)")
    return f"patchq-{verb}/{VERSIONS[verb]}"


def document(verb: str, data: Any) -> dict:
    """``data`` as ``verb``'s versioned document: an object with ``schema`` first."""
    if isinstance(data, list):
        return {"schema": name(verb), LIST_KEYS[verb]: data}
    if not isinstance(data, dict):
        raise TypeError(f"{verb}'s JSON is a {type(data).__name__}, not an object or a list")
    rest = {k: v for k, v in data.items() if k != "schema"}
    return {"schema": name(verb), **rest}
