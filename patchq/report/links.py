"""Links to upstream's issues, pull requests and commits on GitHub. Pure.

References are written ``OWNER/REPO#N`` in the map; ``#N`` or ``N`` mean upstream's own repo.
Anything that does not look like one gets no link (the renderers show it as text).

>>> gh = GitHub("python/cpython")
>>> gh.pr("python/cpython#456")
Link(text='#456', url='https://github.com/python/cpython/pull/456')
>>> gh.issue("other/repo#7").text, gh.commit("0123456789abcdef0123").text
('other/repo#7', '0123456789ab')
>>> GitHub("").pr("#4").url
''
>>> GitHub("python/cpython", "https://github.example.com/python/cpython.git").issue("9").url
'https://github.example.com/python/cpython/issues/9'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

_REF = re.compile(r"^\s*(?:([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+))?#?([0-9]+)\s*$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
_HOST = re.compile(r"^https://([A-Za-z0-9.-]+(?::[0-9]+)?)/")
# CPython's conventions: gh-N names an issue, GH-N a pull request, and a backport's title
# ends with its PR as "(#N)"
_MENTION = re.compile(r"(?<![\w-])(?P<kind>gh|GH)-(?P<n>[0-9]{1,7})\b"
                      r"|(?<=\()#(?P<pr>[0-9]{1,7})(?=\))")


def downstream_file(base: str, track: str, file: str) -> str:
    """The web address of a patch file: ``[upstream] downstream_url`` + its path ("" without
    one).

    >>> downstream_file("https://github.com/o/r/blob/main/", "3.13", "0001-a b.patch")
    'https://github.com/o/r/blob/main/series/3.13/0001-a%20b.patch'
    """
    if not base.startswith(("https://", "http://")) or not file:
        return ""
    return f"{base.rstrip('/')}/series/{quote(track)}/{quote(file)}"


@dataclass(frozen=True)
class Link:
    text: str
    url: str = ""


@dataclass(frozen=True)
class GitHub:
    """``repo`` is ``[upstream] github``; ``url`` (``[upstream] url``) names a GitHub
    Enterprise host when it is an https URL of the same repository."""

    repo: str
    url: str = ""

    @property
    def web(self) -> str:
        if not _REPO.match(self.repo or ""):
            return ""
        host = "github.com"
        match = _HOST.match(self.url or "")
        if match and self.repo.lower() in self.url.lower():
            host = match.group(1)
        return f"https://{host}"

    def _ref(self, value: str, kind: str) -> Link:
        match = _REF.match(value or "")
        if not match or not self.web:
            return Link(str(value or ""))
        repo = match.group(1) or self.repo
        number = match.group(2)
        text = f"#{number}" if repo.lower() == self.repo.lower() else f"{repo}#{number}"
        return Link(text, f"{self.web}/{repo}/{kind}/{number}")

    def pr(self, value: str) -> Link:
        return self._ref(value, "pull")

    def issue(self, value: str) -> Link:
        return self._ref(value, "issues")

    def commit(self, sha: str) -> Link:
        if not _SHA.match(sha or "") or not self.web:
            return Link((sha or "")[:12])
        return Link(sha[:12], f"{self.web}/{self.repo}/commit/{sha}")

    def repo_link(self) -> Link:
        if not self.web:
            return Link(self.repo)
        return Link(self.repo, f"{self.web}/{self.repo}")

    def split_text(self, text: str) -> list[Link]:
        """``text`` cut into pieces, CPython's ``gh-N`` (issues), ``GH-N`` and a backport's
        ``(#N)`` (pull requests) linked. The pieces join back to ``text`` exactly.

        >>> [(l.text, l.url.split("cpython/")[-1]) for l in GitHub("python/cpython").split_text(
        ...     "[3.13] gh-12: fix (GH-34) (#56)") if l.url]
        [('gh-12', 'issues/12'), ('GH-34', 'pull/34'), ('#56', 'pull/56')]
        """
        if not self.web:
            return [Link(text)]
        pieces: list[Link] = []
        last = 0
        for match in _MENTION.finditer(text):
            if match.start() > last:
                pieces.append(Link(text[last:match.start()]))
            if match.group("pr"):
                url = f"{self.web}/{self.repo}/pull/{match.group('pr')}"
            elif match.group("kind") == "GH":
                url = f"{self.web}/{self.repo}/pull/{match.group('n')}"
            else:
                url = f"{self.web}/{self.repo}/issues/{match.group('n')}"
            pieces.append(Link(match.group(0), url))
            last = match.end()
        if last < len(text):
            pieces.append(Link(text[last:]))
        return pieces or [Link(text)]

    def url_link(self, value: str) -> Link:
        """A recorded address (DEP-3 ``Forwarded:``) linked when it is a web address.

        >>> GitHub("").url_link("https://bugs.python.org/issue1").url
        'https://bugs.python.org/issue1'
        >>> GitHub("").url_link("yes").url
        ''
        """
        value = (value or "").strip()
        if re.match(r"^https?://[^\s<>\"']+$", value):
            return Link(value, value)
        return Link(value)
