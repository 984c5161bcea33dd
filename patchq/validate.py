"""Inputs checked at the edge, before they reach git, the file system or the network.

Four kinds of input come from people or from committed files anyone can change in a pull
request, and each has one check here, used by every command that takes it:

- **branch and ref names** (``--branch``, ``[tracks.T] queue``, ``--base``, ``--onto``...):
  :func:`branch_name` follows ``git check-ref-format --branch`` and refuses more (``HEAD``,
  ``@``, anything starting with ``-``); :func:`revision` keeps a revision from being read as
  an option. Nothing a user gives reaches git where it could be taken for an option.
- **paths a patch touches**: :func:`refused_path` says why git would refuse a path
  (``verify_path`` with ``core.protectNTFS``, git's default): a ``.git`` component in any
  case (``.GIT``, ``.git.``, ``git~1``), ``.`` and ``..`` components, an absolute path, an
  empty component, a NUL. :func:`patch_problems` reads every path of a diff.
- **patch files and series entries on disk**: :func:`contained` refuses a file that is a
  symbolic link leading out of its directory tree; :func:`patch_problems` refuses binary data
  (NUL bytes) as a patch.
- **where the token goes**: :func:`token_url` allows ``GITHUB_TOKEN`` to go only over https to
  the configured GitHub's host (github.com, or the Enterprise host of ``--github-url``);
  plain http only to a loopback address (127.0.0.0/8, ::1), which never leaves the machine.

Pure: no git, no network; the checks match git's own (the tests compare them with git).

>>> branch_name("patchq/3.13")
'patchq/3.13'
>>> refused_path("Lib/.GIT/config")
"a '.git' component"
>>> refused_path("Lib/os.py") is None
True
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

from .errors import ForgeError, InputError

# -- branch and ref names ----------------------------------------------------------------------

_BAD_REF_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def ref_format_problem(name: str) -> str | None:
    """Why ``refs/heads/<name>`` is not a valid ref (``git check-ref-format`` rules), or None."""
    if not name:
        return "it is empty"
    if _BAD_REF_CHARS.search(name):
        return "it holds a space, a control character or one of ~ ^ : ? * [ \\"
    if ".." in name:
        return "it holds '..'"
    if "@{" in name:
        return "it holds '@{'"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "it has an empty path component"
    if name.endswith("."):
        return "it ends with '.'"
    for part in name.split("/"):
        if part.startswith("."):
            return "a component starts with '.'"
        if part.endswith(".lock"):
            return "a component ends with '.lock'"
    return None


def branch_name(name: str, what: str = "branch name") -> str:
    """``name`` if it is a branch name git accepts (``git check-ref-format --branch``) and
    cannot be read as an option or as HEAD; else one clear error.

    >>> branch_name("--detach")
    Traceback (most recent call last):
    ...
    patchq.errors.InputError: branch name '--detach' is refused: it starts with '-'; use a name like patchq/3.13
    """
    problem = None
    if name.startswith("-"):
        problem = "it starts with '-'"
    elif name in ("HEAD", "@") or name.startswith("refs/"):
        problem = "it names HEAD or a full ref, not a branch"
    else:
        problem = ref_format_problem(name)
    if problem:
        raise InputError(f"{what} {name!r} is refused: {problem}",
                         "use a name like patchq/3.13")
    return name


def revision(text: str, what: str = "revision") -> str:
    """A revision a user gives (a tag, a branch, a commit id, ``v3.13.5^``): never empty,
    never read as an option, no control characters.

    >>> revision("v3.13.5")
    'v3.13.5'
    """
    if not text or text.startswith("-") or re.search(r"[\x00-\x1f\x7f]", text):
        raise InputError(f"{what} {text!r} is refused: it is empty, starts with '-' or holds "
                         "a control character", "give a tag, a branch or a commit id")
    return text


# -- paths a patch touches ----------------------------------------------------------------------


def _dotgit_like(component: str) -> bool:
    """``.git`` (or its NTFS short name ``git~1``) in any case, followed only by spaces and
    dots: what git's ``is_ntfs_dotgit`` refuses."""
    low = component.lower()
    for name in (".git", "git~1"):
        if low.startswith(name) and not low[len(name):].strip(" ."):
            return True
    return False


def refused_path(path: str) -> str | None:
    """Why git would refuse ``path`` in its index (``verify_path``), or None when it is fine.

    >>> [refused_path(p) for p in ("./x", "a/../b", "/etc/passwd", "a//b", "Lib\\\\.git\\\\x")]
    ["a '.' or '..' component", "a '.' or '..' component", 'an absolute path', 'an empty component', "a '.git' component"]
    """
    if not path:
        return "an empty path"
    if "\x00" in path:
        return "a NUL character"
    if path.startswith("/"):
        return "an absolute path"
    for component in path.split("/"):
        if not component:
            return "an empty component"
        if component in (".", ".."):
            return "a '.' or '..' component"
        # git's NTFS protection (on by default everywhere) splits at backslashes too
        if any(_dotgit_like(part) for part in component.split("\\")):
            return "a '.git' component"
    return None


_PATH_LINES = (b"diff --git ", b"--- ", b"+++ ", b"rename from ", b"rename to ", b"copy from ",
               b"copy to ")


def _unquote(text: bytes) -> bytes:
    """A path git quoted C-style (``"a\\tb"``, octal escapes), unquoted."""
    if not (text.startswith(b'"') and text.endswith(b'"') and len(text) >= 2):
        return text
    body, out, at = text[1:-1], bytearray(), 0
    escapes = {ord("n"): 10, ord("t"): 9, ord('"'): 34, ord("\\"): 92, ord("a"): 7, ord("b"): 8,
               ord("f"): 12, ord("r"): 13, ord("v"): 11}
    while at < len(body):
        char = body[at]
        if char == 92 and at + 1 < len(body):
            nxt = body[at + 1]
            if 48 <= nxt <= 55:
                out.append(int(body[at + 1:at + 4], 8) & 0xFF)
                at += 4
                continue
            out.append(escapes.get(nxt, nxt))
            at += 2
            continue
        out.append(char)
        at += 1
    return bytes(out)


def _strip(spec: bytes, strip: int) -> str | None:
    spec = spec.rstrip(b"\r\n")
    if spec.startswith(b'"'):
        end = spec.find(b'"', 1)
        while end > 0 and spec[end - 1:end] == b"\\":
            end = spec.find(b'"', end + 1)
        path = _unquote(spec[:end + 1]) if end > 0 else spec
    else:
        path = spec.split(b"\t", 1)[0]
    if path in (b"/dev/null", b""):
        return None
    text = path.decode("utf-8", "surrogateescape")
    parts = text.split("/")
    if strip and len(parts) > strip:
        text = "/".join(parts[strip:])
    return text


def diff_paths(diff: bytes, strip: int = 1) -> list[str]:
    """Every path a diff names (``---``/``+++`` lines, renames and copies), after ``-pN``."""
    paths: list[str] = []
    for line in diff.split(b"\n"):
        if not line.startswith(_PATH_LINES) or line.startswith(b"diff --git "):
            continue
        if line.startswith((b"--- ", b"+++ ")):
            name = _strip(line[4:], strip)
        else:  # rename/copy from/to: already without a/ b/
            name = _strip(line.split(b" ", 2)[2], 0)
        if name is not None and name not in paths:
            paths.append(name)
    return paths


def patch_problems(data: bytes, diff: bytes, strip: int = 1) -> list[str]:
    """Why a patch file must not be taken: binary data, or paths git refuses ([] when fine)."""
    if b"\x00" in data:
        return ["it holds NUL bytes: binary data, not a patch"]
    problems = []
    for path in diff_paths(diff, strip):
        reason = refused_path(path)
        if reason:
            problems.append(f"it touches {path!r}, which git refuses ({reason})")
    return problems


# -- files on disk ----------------------------------------------------------------------------


def contained(path: Path, root: Path, what: str = "file") -> Path:
    """``path`` if, symbolic links followed, it stays inside ``root``; else one error."""
    try:
        real, top = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    except (OSError, ValueError):
        real, top = path, root
    if real != top and top not in real.parents:
        raise InputError(f"{what} {path} is a symbolic link leading out of {root}",
                         "replace the link by the file itself")
    return path


# -- where the token may go ---------------------------------------------------------------------

DEFAULT_API = "https://api.github.com"


def _loopback(host: str) -> bool:
    import ipaddress  # only where a token may go: not on every command's start

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def github_host(api_url: str | None) -> str:
    """The host of the configured GitHub's web and git side: ``github.com`` for the default
    API, else the Enterprise (or test) server's host.

    >>> github_host(None), github_host("https://ghe.example.com/api/v3")
    ('github.com', 'ghe.example.com')
    """
    url = (api_url or DEFAULT_API).strip().rstrip("/")
    host = (urlparse(url).hostname or "").lower()
    return "github.com" if host == "api.github.com" else host


def token_api(api_url: str | None) -> None:
    """The API address may receive the token: https, or plain http to a loopback address."""
    parsed = urlparse((api_url or DEFAULT_API).strip())
    if parsed.scheme != "https" and not (parsed.scheme == "http" and
                                         _loopback(parsed.hostname or "")):
        raise ForgeError(f"refusing to send the GitHub token to {parsed.scheme}://"
                         f"{parsed.hostname}: the token goes only over https",
                         "give --github-url as https://HOST/api/v3")


def token_url(url: str, api_url: str | None) -> str:
    """``url`` if git may send the token there: https to the configured GitHub's host
    (plain http only to a loopback address, as a test server is); else one error. URLs that
    are not http(s) (ssh, a path) never get the token, so they pass."""
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme not in ("http", "https"):
        return url
    host = (parsed.hostname or "").lower()
    allowed = github_host(api_url)
    if host != allowed:
        raise ForgeError(f"refusing to send the GitHub token to {host or url}: it goes only "
                         f"to {allowed}", "point [upstream] fork_url / --fork-url at the fork "
                         f"on {allowed}, or unset GITHUB_TOKEN and GH_TOKEN to push without it")
    if scheme != "https" and not _loopback(host):
        raise ForgeError(f"refusing to send the GitHub token over plain http to {host}",
                         "use the fork's https:// address")
    return url
