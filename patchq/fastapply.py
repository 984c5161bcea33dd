"""Applying simple patches without git: bytes in, bytes out, for pushing many patches fast.

Only what is sure to give exactly what ``git apply`` gives: text changes whose every hunk
matches, byte for byte, at the line where git looks first (the hunk's position in the file
as the earlier hunks left it), new files and deleted files. Anything else -- renames, mode
changes, binary patches, quoted names, a hunk that moved or needs a 3-way merge -- returns
None, and the caller lets git apply the patch.

>>> d = parse(b"--- a/x\\n+++ b/x\\n@@ -1,3 +1,3 @@\\n a\\n-b\\n+B\\n c\\n")
>>> [(f.old_path, f.new_path) for f in d]
[('x', 'x')]
>>> apply_file(b"a\\nb\\nc\\n", d[0])
b'a\\nB\\nc\\n'
>>> apply_file(b"z\\na\\nb\\nc\\n", d[0]) is None   # moved: git would find it, we leave it to git
True
>>> nl = parse(b"--- a/x\\n+++ b/x\\n@@ -1 +1 @@\\n-a\\n\\\\ No newline at end of file\\n+a\\n")
>>> apply_file(b"a", nl[0])
b'a\\n'
"""

from __future__ import annotations

from . import diff as diffmodel
from .diff import FilePatch, Hunk, Unsupported, split_lines
from .validate import refused_path

__all__ = ["FilePatch", "Hunk", "Unsupported", "apply_file", "parse"]


def _name(spec: bytes, strip: int) -> str | None:
    """The file a ``---``/``+++`` name stands for, as git would take it (raises Unsupported)."""
    if spec == b"/dev/null":
        return None
    if spec.startswith(b'"'):
        raise Unsupported("quoted file name")
    parts = spec.decode("utf-8", "surrogateescape").split("/")
    if len(parts) <= strip:
        raise Unsupported("path shorter than -p")
    name = "/".join(parts[strip:])
    if refused_path(name):  # git refuses it: so does everything that applies patches
        raise Unsupported("unusual path")
    return name


def _check(item: FilePatch, strip: int, lenient: bool) -> None:
    """Raise Unsupported for what only git applies right (or what does not parse)."""
    if item.rename or item.copy or item.binary or any(
            line.startswith((b"similarity", b"dissimilarity", b"old mode", b"new mode"))
            for line in item.header):
        raise Unsupported("rename, copy, mode change or binary file")
    if item.hunks and not item.old_spec and not item.new_spec:
        raise Unsupported("hunk outside a file")
    old, new = _name(item.old_spec, strip), _name(item.new_spec, strip)
    if old is None and new is None:
        raise Unsupported("no file name")
    if old and new and old != new and not lenient:
        raise Unsupported("file renamed by a plain diff")
    if item.old_path is None and item.new_mode not in ("", "100644", "100755"):
        raise Unsupported("special file mode")


def parse(diff: bytes, strip: int = 1, lenient: bool = False) -> tuple[FilePatch, ...]:
    """The files of a unified diff (git's or plain ``diff -u``), from :func:`patchq.diff.parse`.
    Raises Unsupported.

    ``lenient`` accepts what GNU patch accepts and git does not: a plain diff whose two names
    differ (``--- a/x.orig``, ``+++ b/x``) and a file patched twice in one diff."""
    files = diffmodel.parse(diff, strip)
    for item in files:
        _check(item, strip, lenient)
    if not files or any(not f.hunks for f in files):
        raise Unsupported("nothing to apply")
    if not lenient and len({f.new_path or f.old_path for f in files}) != len(files):
        raise Unsupported("a file patched twice")
    return files


def apply_file(old: bytes | None, patch: FilePatch) -> bytes | None:
    """The new content of one file, or None when a hunk does not match exactly where
    ``git apply`` tries first (then git must do it: it may look further, or merge).

    Like git, a hunk whose old side starts at line 1 must match at the beginning, and one
    without trailing context at the end of the file; others are tried at the line where
    the earlier hunks put them. A deleted file gives b"".
    """
    image = split_lines(old) if old is not None else []
    for hunk in patch.hunks:
        if not hunk.old:  # only a new file may be made of additions alone
            if patch.old_path is not None or image:
                return None
            image = list(hunk.new)
            continue
        if hunk.old_start <= 1:
            pos = 0
        elif hunk.trailing == 0:
            pos = len(image) - len(hunk.old)
        else:
            pos = hunk.new_start - 1 if hunk.new_start else 0
        if pos < 0 or tuple(image[pos:pos + len(hunk.old)]) != hunk.old:
            return None
        if hunk.trailing == 0 and pos + len(hunk.old) != len(image):
            return None
        image[pos:pos + len(hunk.old)] = hunk.new
    return b"".join(image)
