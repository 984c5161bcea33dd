"""The one exception family for expected failures.

Every error a user can cause or fix (bad input, a missing ref, a dirty work tree, a forge
that refuses) is a :class:`PatchqError`. The CLI prints it as one line -- what is wrong,
then what to do -- and exits 1. Anything else is a bug and is reported as such, its details
kept by :func:`save_crash`.
"""

from __future__ import annotations


class PatchqError(Exception):
    """An expected failure: ``message`` says what is wrong, ``hint`` what to do about it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}; {self.hint}"
        return self.message


class GitError(PatchqError):
    """git refused or failed."""


class SeriesError(PatchqError):
    """A series directory or patch file is unusable."""


class MapError(PatchqError):
    """upstream_map.toml is missing, malformed, or lacks what the command needs."""


class ApplyError(PatchqError):
    """A patch does not apply; ``slug`` and ``details`` name what failed."""

    def __init__(self, message: str, hint: str | None = None, *, slug: str = "",
                 details: str = "") -> None:
        super().__init__(message, hint)
        self.slug = slug
        self.details = details


class ForgeError(PatchqError):
    """The forge (GitHub) refused, failed or could not be reached."""


class StateError(PatchqError):
    """An operation in progress (or its absence) forbids what was asked."""


class InputError(PatchqError):
    """An input patchq refuses to pass on: a ref name git would read as an option or refuse,
    a path git refuses, a link out of the patch repo, a URL the token must not go to."""


def save_crash(exc: BaseException) -> str:
    """Save a bug's traceback (and the command line) under the cache directory; its path."""
    import os
    import sys
    import tempfile
    import time
    import traceback
    from pathlib import Path

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "patchq"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        base = Path(tempfile.gettempdir())
    path = base / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    path.write_text(f"patchq {sys.argv[1:]!r}\n{text}")
    return str(path)
