"""Two versions of one patch, compared: pure functions on diff bytes, no git.

A diff is *normalized* by dropping what changes when the same change sits on another base:
``index`` lines (blob ids), hunk line numbers, ``a/``/``b/`` prefixes (the -pN strip), file
timestamps. Two ids come out of it:

- ``content_id``: the normalized diff, context lines included (same patch, maybe moved);
- ``change_id``: only the files and the ``+``/``-`` lines (same change, context differs).

>>> one = b"diff --git a/x b/x\\nindex 1..2 100644\\n--- a/x\\n+++ b/x\\n@@ -1,2 +1,2 @@\\n a\\n-b\\n+c\\n"
>>> moved = one.replace(b"index 1..2", b"index 7..8").replace(b"-1,2 +1,2", b"-10,2 +10,2")
>>> content_id(one) == content_id(moved)
True
>>> context = one.replace(b"\\n a\\n", b"\\n z\\n")
>>> content_id(one) == content_id(context), change_id(one) == change_id(context)
(False, True)
>>> print(interdiff(one, one.replace(b"+c", b"+d"), "3.11", "3.13"))
--- 3.11
+++ 3.13
@@ -3,4 +3,4 @@
 @@
  a
 -b
-+c
++d
"""

from __future__ import annotations

import difflib
import hashlib

from .diff import HUNK_HEADER

_DROP = ("index ", "similarity index ", "dissimilarity index ")


def _path(spec: str, strip: int) -> str:
    path = spec.split("\t", 1)[0].strip()
    if path == "/dev/null":
        return path
    if path.startswith('"') and path.endswith('"'):
        path = path[1:-1]
    parts = path.split("/")
    return "/".join(parts[strip:]) if len(parts) > strip else parts[-1]


def normalized(diff: bytes, strip: int = 1) -> list[str]:
    """The diff's lines without what depends on the base (blob ids, line numbers, prefixes)."""
    out: list[str] = []
    lines = diff.decode("utf-8", "surrogateescape").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) >= 2 and lines[-2] == "-- ":  # format-patch's signature (git version)
        lines = lines[:-2]
    for line in lines:
        line = line.rstrip("\r")
        if line.startswith(_DROP):
            continue
        if line.startswith("diff --git "):
            continue  # the ---/+++ lines (or rename lines) name the files
        if line.startswith(("--- ", "+++ ")):
            out.append(line[:4] + _path(line[4:], strip))
            continue
        if line.startswith("@@") and HUNK_HEADER.match(line.encode("utf-8", "surrogateescape")):
            out.append("@@")
            continue
        if line.startswith(("Index: ", "=====")):
            continue
        out.append(line)
    return out


def _digest(lines: list[str]) -> str:
    return hashlib.sha1("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def content_id(diff: bytes, strip: int = 1) -> str:
    """Equal for the same diff on any base: blob ids and line numbers do not count."""
    return _digest(normalized(diff, strip))


def change_id(diff: bytes, strip: int = 1) -> str:
    """Equal for the same change: only the files and the added and removed lines count."""
    kept = [ln for ln in normalized(diff, strip)
            if ln.startswith(("+", "-", "rename ", "new file", "deleted file", "Binary", "GIT "))
            and ln != "@@"]
    return _digest(kept)


def files(diff: bytes, strip: int = 1) -> list[str]:
    """The files a diff touches, in order."""
    out: list[str] = []
    for line in normalized(diff, strip):
        if line.startswith(("+++ ", "--- ")):
            path = line[4:]
            if path != "/dev/null" and path not in out:
                out.append(path)
    return out


def interdiff(old: bytes, new: bytes, old_label: str, new_label: str, strip_old: int = 1,
              strip_new: int = 1, context: int = 3) -> str:
    """A diff of the two normalized diffs (what ``git range-diff`` shows for one pair)."""
    lines = difflib.unified_diff(normalized(old, strip_old), normalized(new, strip_new),
                                 fromfile=old_label, tofile=new_label, lineterm="", n=context)
    return "\n".join(lines)
