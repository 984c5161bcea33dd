"""CPython's conventions for issues, pull requests and NEWS entries. Pure: values in, text out.

>>> split_issue("gh-101234: Fix platform.system() on Emscripten")
(101234, 'Fix platform.system() on Emscripten')
>>> pr_title("Fix it", 42)
'gh-42: Fix it'
>>> news_section([("Python/pylifecycle.c", 8), ("Lib/test/test_embed.py", 30)])
'Core_and_Builtins'
>>> news_path("Library", "2024-05-06-07-08-09", 42, "AbC-12")
'Misc/NEWS.d/next/Library/2024-05-06-07-08-09.gh-issue-42.AbC-12.rst'
"""

from __future__ import annotations

import base64
import hashlib
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

# The directories of Misc/NEWS.d/next/ (blurb's sections), in blurb's order.
SECTIONS = ("Security", "Core_and_Builtins", "Library", "Documentation", "Tests", "Build",
            "Windows", "macOS", "IDLE", "Tools-Demos", "C_API")

# Until an issue number exists, drafts say this where the number goes; it is replaced with
# the real number (in the drafts as well) as soon as one is known.
PLACEHOLDER = "gh-NNNNN"

NEWS_DIR = "Misc/NEWS.d/next"
NEWS_WIDTH = 76

_ISSUE_PREFIX = re.compile(r"^\s*(?:\[[^\]]*\]\s*)*(?:gh|GH|bpo)-(\d+)\s*:\s*(.*)$", re.DOTALL)
_BRANCH_PREFIX = re.compile(r"^\s*\[[0-9]+\.[0-9]+\]\s*")
_NEWS_NAME = re.compile(r"^Misc/NEWS\.d/next/([^/]+)/[0-9-]+\.gh-issue-(\d+)\.[A-Za-z0-9_-]+\.rst$")
_NONCE_OK = re.compile(r"^[A-Za-z0-9_-]{6}$")

# Core parts of the interpreter that live under Modules/.
_CORE_MODULES = ("Modules/main.c", "Modules/getpath", "Modules/gcmodule.c", "Modules/config.c",
                 "Modules/getbuildinfo.c", "Modules/signalmodule.c", "Modules/faulthandler.c")
_BUILD_FILES = ("configure", "configure.ac", "aclocal.m4", "Makefile.pre.in", "pyconfig.h.in",
                "setup.py", "config.guess", "config.sub", "install-sh")
# Sections that come along with a change rather than being it.
_SECONDARY = ("Tests", "Documentation")


def section_of_path(path: str) -> str | None:
    """The NEWS section a changed file belongs to (None: says nothing, like NEWS files).

    >>> [section_of_path(p) for p in ("Lib/test/test_os.py", "Lib/idlelib/run.py",
    ...  "Modules/_io/fileio.c", "Modules/main.c", "Include/cpython/pylifecycle.h",
    ...  "Include/internal/pycore_ceval.h", "configure.ac", "Modules/Setup.stdlib.in",
    ...  "PCbuild/python.vcxproj", "Mac/README.rst", "Tools/wasm/wasm_build.py",
    ...  "Tools/clinic/clinic.py", "Doc/library/os.rst", "Misc/NEWS.d/next/Library/x.rst")]
    ... # doctest: +NORMALIZE_WHITESPACE
    ['Tests', 'IDLE', 'Library', 'Core_and_Builtins', 'C_API', 'Core_and_Builtins', 'Build',
     'Build', 'Windows', 'macOS', 'Build', 'Tools-Demos', 'Documentation', None]
    """
    if path.startswith("Misc/NEWS.d/") or path in ("Misc/NEWS", "Misc/ACKS"):
        return None
    top = path.split("/", 1)[0]
    if path.startswith(("Lib/test/", "Lib/idlelib/idle_test/")) or top == "Tests":
        return "Tests"
    if path.startswith("Lib/idlelib/"):
        return "IDLE"
    if top == "Lib":
        return "Library"
    if path in _BUILD_FILES or path.startswith(("Modules/Setup", "Tools/build/", "Tools/wasm/",
                                                 "Tools/configure/", "Misc/python.pc",
                                                 "Android/", "Platforms/")):
        return "Build"
    if top == "Modules":
        return "Core_and_Builtins" if path.startswith(_CORE_MODULES) else "Library"
    if path.startswith("Include/internal/"):
        return "Core_and_Builtins"
    if top == "Include":
        return "C_API"
    if top in ("Objects", "Python", "Parser", "Grammar", "Programs", "InternalDocs"):
        return "Core_and_Builtins"
    if top == "Doc":
        return "Documentation"
    if top in ("PC", "PCbuild"):
        return "Windows"
    if top in ("Mac", "iOS"):
        return "macOS"
    if top == "Tools":
        return "Tools-Demos"
    return None


def news_section(files: Sequence[tuple[str, int]]) -> str:
    """The section for a change touching ``files`` ((path, lines changed) pairs): the one with
    the most changed lines, tests and documentation counting only when nothing else does.

    >>> news_section([("Lib/test/test_platform.py", 40), ("Lib/platform.py", 3)])
    'Library'
    >>> news_section([("Doc/library/os.rst", 4)])
    'Documentation'
    >>> news_section([("README.rst", 1)])
    'Build'
    """
    weights: dict[str, int] = {}
    for path, lines in files:
        section = section_of_path(path)
        if section:
            weights[section] = weights.get(section, 0) + max(lines, 1)
    primary = {s: w for s, w in weights.items() if s not in _SECONDARY} or weights
    if not primary:
        return "Build"
    return max(primary, key=lambda s: (primary[s], -SECTIONS.index(s)))


def check_section(value: str) -> str:
    """A section name as given by a person (``Core and Builtins``, ``c-api``...), normalized.

    >>> [check_section(v) for v in ("core and builtins", "C API", "tools/demos", "macos")]
    ['Core_and_Builtins', 'C_API', 'Tools-Demos', 'macOS']
    >>> check_section("Nonsense")
    Traceback (most recent call last):
    ValueError: unknown NEWS section 'Nonsense'
    """
    def key(text: str) -> str:
        return re.sub(r"[^a-z]", "", text.lower())

    for section in SECTIONS:
        if key(section) == key(value):
            return section
    raise ValueError(f"unknown NEWS section {value!r}")


def split_issue(subject: str) -> tuple[int | None, str]:
    """A subject's issue number (``gh-N:``, ``bpo-N:``, after ``[3.11]``) and the rest.

    >>> split_issue("[3.11] gh-7: Do it (GH-8)")
    (7, 'Do it (GH-8)')
    >>> split_issue("Make it work")
    (None, 'Make it work')
    """
    match = _ISSUE_PREFIX.match(subject)
    if match and not subject.lstrip().lower().startswith("bpo"):
        return int(match.group(1)), match.group(2).strip()
    if match:
        return None, match.group(2).strip()
    return None, _BRANCH_PREFIX.sub("", subject).strip()


def pr_title(summary: str, issue: int | None) -> str:
    """``gh-<issue>: <summary>``, CPython's title for commits and PRs (the placeholder when
    no issue exists yet).

    >>> pr_title("Fix it", None)
    'gh-NNNNN: Fix it'
    """
    return f"{issue_tag(issue)}: {summary}"


def issue_tag(issue: int | None) -> str:
    return f"gh-{issue}" if issue else PLACEHOLDER


def fill_placeholder(text: str, issue: int | None) -> str:
    """Put the issue number where drafts wrote the placeholder.

    >>> fill_placeholder("gh-NNNNN: x (see gh-NNNNN)", 5)
    'gh-5: x (see gh-5)'
    """
    return text.replace(PLACEHOLDER, f"gh-{issue}") if issue else text


def nonce(seed: str) -> str:
    """Six URL-safe base64 characters, like blurb's, derived from ``seed`` (slug and time), so
    the same draft at the same time always gets the same name.

    >>> nonce("fix-it 2024-05-06-07-08-09")
    'cRSwZ5'
    >>> len({nonce(str(i)) for i in range(100)})
    100
    """
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:6]


def news_stamp(when: datetime) -> str:
    """The time part of a NEWS file name (UTC).

    >>> news_stamp(datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc))
    '2024-05-06-07-08-09'
    """
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d-%H-%M-%S")


def news_path(section: str, stamp: str, issue: int, nonce_text: str) -> str:
    if section not in SECTIONS:
        raise ValueError(f"unknown NEWS section {section!r}")
    if not _NONCE_OK.match(nonce_text):
        raise ValueError(f"bad nonce {nonce_text!r}")
    return f"{NEWS_DIR}/{section}/{stamp}.gh-issue-{issue}.{nonce_text}.rst"


def parse_news_path(path: str) -> tuple[str, int] | None:
    """(section, issue) of a NEWS entry file name, or None.

    >>> parse_news_path("Misc/NEWS.d/next/Build/2024-05-06-07-08-09.gh-issue-42.AbC-12.rst")
    ('Build', 42)
    """
    match = _NEWS_NAME.match(path)
    return (match.group(1), int(match.group(2))) if match else None


def news_text(summary: str, body: str, author: str = "") -> str:
    """A NEWS entry: the first paragraph of the description (or the summary), wrapped like
    blurb's, with the author credited.

    >>> print(news_text("Make streams configurable", "", "Ben Wasmer"), end="")
    Make streams configurable. Patch by Ben Wasmer.
    """
    paragraph = first_paragraph(body) or summary
    text = " ".join(paragraph.split())
    if text and text[-1] not in ".!?":
        text += "."
    if author:
        text += f" Patch by {author}."
    return textwrap.fill(text, NEWS_WIDTH, break_long_words=False, break_on_hyphens=False) + "\n"


def first_paragraph(body: str) -> str:
    """The description's first paragraph, without trailers (``Signed-off-by:``...)."""
    for block in re.split(r"\n\s*\n", strip_trailers(body).strip()):
        if block.strip():
            return block.strip()
    return ""


_TRAILER = re.compile(r"^[A-Z][A-Za-z-]*-by: |^(Co-authored-by|Change-Id|Bug|Origin|Forwarded|"
                      r"Patchq-Slug|Last-Update|Applied-Upstream): ", re.IGNORECASE)


def strip_trailers(body: str) -> str:
    """The description without trailer lines.

    >>> strip_trailers("Why.\\n\\nSigned-off-by: A <a@b>\\n")
    'Why.'
    """
    kept = [ln for ln in body.splitlines() if not _TRAILER.match(ln)]
    return "\n".join(kept).strip()


# -- platforms and kinds ------------------------------------------------------------------------

_PLATFORMS = (
    (r"\bemscripten\b", "Emscripten (WebAssembly)"),
    (r"\bwasi\b", "WASI (WebAssembly)"),
    (r"\bweb ?assembly\b|\bwasm(32)?\b|\bbrowsers?\b|\bpyodide\b", "WebAssembly"),
    (r"\bwindows\b|\bwin32\b|^PC/|^PCbuild/", "Windows"),
    (r"\bmacos\b|\bdarwin\b|\bmac os\b|^Mac/", "macOS"),
    (r"\bios\b|^iOS/", "iOS"),
    (r"\bandroid\b|^Android/", "Android"),
    (r"\bfreebsd\b|\bnetbsd\b|\bopenbsd\b", "BSD"),
    (r"\bcygwin\b", "Cygwin"),
    (r"\baix\b", "AIX"),
    (r"\bsolaris\b|\billumos\b", "Solaris"),
    (r"\blinux\b", "Linux"),
)
# How CPython's issue form names operating systems.
_FORM_OS = {"Windows": "Windows", "macOS": "macOS", "Linux": "Linux"}


def platforms(texts: Sequence[str], paths: Sequence[str] = ()) -> list[str]:
    """Platforms a change is about, from its words and the files it touches.

    >>> platforms(["Fix platform.system() on Emscripten"], ["Lib/platform.py"])
    ['Emscripten (WebAssembly)']
    >>> platforms(["A browser has no file descriptors"])
    ['WebAssembly']
    >>> platforms(["Speed up dict"], ["Objects/dictobject.c"])
    []
    """
    found: list[str] = []
    joined = "\n".join(texts)
    for pattern, name in _PLATFORMS:
        regex = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
        if regex.search(joined) or any(regex.search(p) for p in paths):
            found.append(name)
    if any(name.endswith("(WebAssembly)") for name in found) and "WebAssembly" in found:
        found.remove("WebAssembly")
    return found


def form_os(found: Sequence[str]) -> str:
    """The issue form's "Operating systems tested on" answer.

    >>> form_os(["Emscripten (WebAssembly)"]), form_os(["Linux", "Windows"]), form_os([])
    ('Other', 'Windows, Linux', 'Linux, macOS, Windows')
    """
    if not found:
        return "Linux, macOS, Windows"
    names = list(dict.fromkeys(_FORM_OS.get(p, "Other") for p in found))
    return ", ".join(sorted(names, key=["Windows", "macOS", "Linux", "Other"].index))


_BUG_WORDS = re.compile(r"\b(fix(es|ed)?|crash(es)?|error|fail(s|ure)?|broken|bug|wrong|"
                        r"incorrect|leak|hang|regression|segfault)\b", re.IGNORECASE)


def is_bug(summary: str, body: str = "") -> bool:
    """Does the change fix a bug (issue form "Bug report") or propose a feature?

    >>> is_bug("Fix platform.system() on Emscripten"), is_bug("Make streams configurable")
    (True, False)
    """
    return bool(_BUG_WORDS.search(summary)) or bool(_BUG_WORDS.search(first_paragraph(body)[:200]))


# -- the drafts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftFacts:
    """What the drafts say, gathered by `patchq draft` from the patch, the map and the port."""

    slug: str
    summary: str  # the subject without its gh-N: prefix
    body: str  # the patch's description, trailers removed
    author: str
    issue: int | None
    target: str  # upstream branch the PR goes to
    target_commit: str
    track: str
    track_base: str
    patch_file: str  # as the patch repo holds it: series/3.11/0002-x.patch
    files: tuple[tuple[str, int], ...]  # (path, lines changed) on the target
    how: str  # clean / 3way
    section: str
    news_file: str = ""  # Misc/NEWS.d/next/... once the issue number is known
    reason: str = ""
    notes: str = ""
    since: str = ""
    downstream: str = ""  # a name: Pyodide
    downstream_link: str = ""  # a web address of the patch, "" when unknown
    platforms: tuple[str, ...] = ()
    other_tracks: tuple[str, ...] = field(default_factory=tuple)

    @property
    def who(self) -> str:
        return self.downstream or "A downstream distribution"

    @property
    def tests(self) -> list[str]:
        return [p for p, _ in self.files if section_of_path(p) == "Tests"]


def _versions(facts: DraftFacts) -> str:
    names = [facts.track, *facts.other_tracks]
    if facts.target not in names:
        names.append(facts.target)
    return ", ".join(names)


def issue_markdown(facts: DraftFacts) -> str:
    """The issue draft: ``# title``, then the body in the shape of CPython's issue forms."""
    bug = is_bug(facts.summary, facts.body)
    description = facts.body or facts.summary + "."
    where = ", ".join(facts.platforms) or "not specific to a platform"
    lines = [f"# {facts.summary}", ""]
    if bug:
        lines += ["# Bug report", "", "### Bug description:", "", description, ""]
    else:
        lines += ["# Feature or enhancement", "", "### Proposal:", "", description, ""]
    lines += [f"Platform: {where}.", ""]
    lines += ["### Why a downstream carries this change", "", _carried(facts), ""]
    if not bug:
        lines += ["### Has this already been discussed elsewhere?", "",
                  "This is a minor feature, which does not need previous discussion elsewhere",
                  ""]
    lines += ["### CPython versions tested on:", "", _versions(facts), ""]
    if bug:
        lines += ["### Operating systems tested on:", "", form_os(facts.platforms), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _carried(facts: DraftFacts) -> str:
    since = f" since {facts.since}" if facts.since else ""
    link = f"[{facts.patch_file}]({facts.downstream_link})" if facts.downstream_link \
        else f"`{facts.patch_file}`"
    text = (f"{facts.who} carries this change as a patch on CPython {facts.track}{since} "
            f"({link}, on {facts.track_base}).")
    if facts.reason:
        text += f" {facts.reason.strip().rstrip('.')}."
    if facts.notes:
        text += f"\n\n{facts.notes.strip()}"
    return text


def pr_markdown(facts: DraftFacts) -> str:
    """The PR draft: ``# gh-N: summary``, then bedevere's issue block, what the change does,
    why, how it was tested and where the downstream keeps it."""
    tag = issue_tag(facts.issue)
    lines = [f"# {pr_title(facts.summary, facts.issue)}", "",
             f"<!-- gh-issue-number: {tag} -->", f"* Issue: {tag}", "<!-- /gh-issue-number -->",
             "", facts.body or facts.summary + ".", "",
             "## Why", "", _carried(facts), "",
             "## How it was tested", ""]
    lines += [f"- {line}" for line in _tested(facts)]
    lines += ["", "## NEWS", ""]
    if facts.news_file:
        lines += [f"`{facts.news_file}`"]
    else:
        lines += [f"A `{facts.section}` entry is added once the issue number is known."]
    return "\n".join(lines).rstrip("\n") + "\n"


def _tested(facts: DraftFacts) -> list[str]:
    since = f" since {facts.since}" if facts.since else ""
    out = [(f"{facts.who} builds and runs CPython {facts.track} with this patch{since} "
            f"(applied on {facts.track_base}).")]
    how = "cleanly" if facts.how == "clean" else "with a 3-way merge"
    out.append(f"The change applies on `{facts.target}` ({facts.target_commit[:12]}) {how}.")
    tests = facts.tests
    if tests:
        out.append("Tests changed: " + ", ".join(f"`{t}`" for t in tests) + ".")
    else:
        out.append("The patch adds no test of its own.")
    return out


def split_markdown(text: str) -> tuple[str, str]:
    """(title, body) of a draft file: the first ``# `` line and what follows it.

    >>> split_markdown("# Fix it\\n\\nBody.\\n")
    ('Fix it', 'Body.\\n')
    """
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            title = line.strip().removeprefix("#").strip()
            body = "\n".join(lines[i + 1:]).strip("\n")
            return title, (body + "\n" if body else "")
    return "", ""
