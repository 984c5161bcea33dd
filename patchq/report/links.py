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

_REF = re.compile(r"^\s*(?:([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+))?#?([0-9]+)\s*$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
_HOST = re.compile(r"^https://([A-Za-z0-9.-]+(?::[0-9]+)?)/")
_GH_ISSUE = re.compile(r"\b(gh-|bpo-)([0-9]{1,7})\b", re.IGNORECASE)


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
        """``text`` cut into pieces, CPython's ``gh-N`` / ``bpo-N`` linked to their issues.

        >>> [(l.text, l.url) for l in GitHub("python/cpython").split_text("gh-12: fix")]
        [('gh-12', 'https://github.com/python/cpython/issues/12'), (': fix', '')]
        """
        if not self.web:
            return [Link(text)]
        pieces: list[Link] = []
        last = 0
        for match in _GH_ISSUE.finditer(text):
            if match.group(1).lower() != "gh-":
                continue  # bpo numbers live on bugs.python.org, not GitHub
            if match.start() > last:
                pieces.append(Link(text[last:match.start()]))
            pieces.append(Link(match.group(0), f"{self.web}/{self.repo}/issues/{match.group(2)}"))
            last = match.end()
        if last < len(text):
            pieces.append(Link(text[last:]))
        return pieces or [Link(text)]
