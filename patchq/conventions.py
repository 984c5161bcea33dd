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
from collections.abc import Mapping, Sequence
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


def news_section(files: Sequence[tuple[str, int]], words: str = "") -> str:
    """The section for a change touching ``files`` ((path, lines changed) pairs): C_API when
    it changes the public C API (a header under ``Include/`` but ``Include/internal/``, or
    ``PyConfig``), else the one with the most changed lines, tests and documentation counting
    only when nothing else does.

    >>> news_section([("Lib/test/test_platform.py", 40), ("Lib/platform.py", 3)])
    'Library'
    >>> news_section([("Doc/library/os.rst", 4)])
    'Documentation'
    >>> news_section([("README.rst", 1)])
    'Build'
    >>> news_section([("Python/initconfig.c", 90), ("Include/cpython/initconfig.h", 2)])
    'C_API'
    >>> news_section([("Python/initconfig.c", 9)], "Add PyConfig.stdio_fd")
    'C_API'
    """
    public = [p for p, _ in files if p.startswith("Include/") and
              not p.startswith("Include/internal/")]
    if public or re.search(r"\bPyConfig\b|\bPyPreConfig\b", words):
        return "C_API"
    weights: dict[str, int] = {}
    for path, lines in files:
        section = section_of_path(path)
        if section:
            weights[section] = weights.get(section, 0) + max(lines, 1)
    primary = {s: w for s, w in weights.items() if s not in _SECONDARY} or weights
    if not primary:
        return "Build"
    return max(primary, key=lambda s: (primary[s], -SECTIONS.index(s)))


def needs_news(files: Sequence[tuple[str, int]]) -> str:
    """"" when a change needs a NEWS entry, else why not: the devguide asks none for changes
    to documentation or tests only.

    >>> needs_news([("Doc/library/os.rst", 4)]), needs_news([("Lib/os.py", 1)])
    ('it changes documentation only', '')
    >>> needs_news([("Lib/test/test_os.py", 4), ("Doc/library/os.rst", 1)])
    'it changes tests and documentation only'
    """
    kinds = {section_of_path(p) for p, _ in files} - {None}
    if kinds == {"Documentation"}:
        return "it changes documentation only"
    if kinds == {"Tests"}:
        return "it changes tests only"
    if kinds == {"Tests", "Documentation"}:
        return "it changes tests and documentation only"
    return ""


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


_BUG_WORDS = re.compile(r"\b(fix(es|ed)?|crash(es)?|error|fail(s|ure)?|broken|bug|wrong|"
                        r"incorrect|leak|hang|regression|segfault)\b", re.IGNORECASE)


def is_bug(summary: str, body: str = "") -> bool:
    """Does the change fix a bug (issue form "Bug report") or propose a feature?

    >>> is_bug("Fix platform.system() on Emscripten"), is_bug("Make streams configurable")
    (True, False)
    """
    first = re.split(r"\n\s*\n", body.strip(), maxsplit=1)[0] if body.strip() else ""
    return bool(_BUG_WORDS.search(summary)) or bool(_BUG_WORDS.search(first[:200]))


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


# -- titles ---------------------------------------------------------------------------------

_VENDOR = re.compile(r"^(?:debian|ubuntu|arch|fedora|conda(?:-forge)?|pyodide|suse)\s*:\s+",
                     re.IGNORECASE)
_FIELD_LIKE = re.compile(r"^[A-Za-z][\w-]*:(\s|$)")
_DIFFSTAT = re.compile(r"\|\s+\d+\s*[+-]*\s*$|\b\d+ files? changed\b|\binsertions?\(\+\)")
_PATCH_LINE = re.compile(r"^(---|\+\+\+|@@|diff |Index: |From [0-9a-f]{7,40}\b|commit [0-9a-f]{7,40}\b)")
_SENTENCES = re.compile(r"[a-z0-9)\]'\"]\.\s+[A-Za-z]")
_HEADER_NAMES = ("description", "subject", "origin", "bug", "forwarded", "author", "from",
                 "date", "last-update", "applied-upstream", "reviewed-by", "signed-off-by",
                 "co-authored-by", "dp")


def clean_title(summary: str) -> str:
    """A summary as a CPython title: no vendor tag (``Debian:``), no final period.

    >>> clean_title("Debian: Degrade tempfile gracefully without shutil.")
    'Degrade tempfile gracefully without shutil'
    """
    text = " ".join(summary.split())
    text = _VENDOR.sub("", text)
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    return text


def title_problem(title: str) -> str:
    """Why ``title`` cannot be an issue or PR title ("" when it can): empty, a header or
    patch line, a diffstat, more than one sentence, or a sentence cut off.

    >>> [title_problem(t) for t in ("Fix os.path.expandvars() on Windows", "", "# DP: x",
    ...  "Forwarded: no", " Lib/x.py | 2 +-", "---", "needs forwarding. bootstrap fails",
    ...  "C compiler flags:")]  # doctest: +NORMALIZE_WHITESPACE
    ['', 'is empty', 'is a header line', 'is a header line', 'is a diffstat line',
     'is a line of the diff', 'is more than one sentence', 'stops mid-sentence']
    """
    text = title.strip()
    if not text:
        return "is empty"
    if text.startswith(("#", ">")):
        return "is a header line"
    field = _FIELD_LIKE.match(text)
    if field and text.split(":", 1)[0].lower() in _HEADER_NAMES:
        return "is a header line"
    if _DIFFSTAT.search(text):
        return "is a diffstat line"
    if _PATCH_LINE.match(text):
        return "is a line of the diff"
    if _SENTENCES.search(text):
        return "is more than one sentence"
    if text[-1] in ",:;" or text.endswith(("...", "\u2026")):
        return "stops mid-sentence"
    if len(text) > 150:
        return "is longer than a title (150 characters)"
    return ""


# -- NEWS text ------------------------------------------------------------------------------

_DIRECTIVE = re.compile(r"^\.\. (?:py:)?(module|currentmodule|function|method|classmethod|"
                        r"staticmethod|class|exception|data|attribute|decorator|"
                        r"c:function|c:type|c:struct|c:member|c:macro|c:var|c:data)::\s+(.+)$")
_ROLES = {"module": "mod", "function": "func", "method": "meth", "classmethod": "meth",
          "staticmethod": "meth", "class": "class", "exception": "exc", "data": "data",
          "attribute": "attr", "decorator": "deco", "c:function": "c:func", "c:type": "c:type",
          "c:struct": "c:struct", "c:member": "c:member", "c:macro": "c:macro",
          "c:var": "c:data", "c:data": "c:data"}
_C_NAME = re.compile(r"([A-Za-z_][\w.]*)\s*(?:\(|$)")


def documented_names(lines: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Sphinx roles of the objects CPython's documentation describes, from (file, line) pairs
    of its ``.. function::``/``.. class::``/``.. c:type::``... directives, qualified with the
    file's current ``.. module::``.

    >>> names = documented_names([("Doc/library/os.path.rst", ".. module:: os.path"),
    ...  ("Doc/library/os.path.rst", ".. function:: expandvars(path)"),
    ...  ("Doc/c-api/init_config.rst", ".. c:type:: PyConfig"),
    ...  ("Doc/c-api/object.rst", ".. c:function:: PyObject* PyObject_Repr(PyObject *o)")])
    >>> sorted(names.items())  # doctest: +NORMALIZE_WHITESPACE
    [('PyConfig', 'c:type'), ('PyObject_Repr', 'c:func'), ('os.path', 'mod'),
     ('os.path.expandvars', 'func')]
    """
    names: dict[str, str] = {}
    module: dict[str, str] = {}
    for path, line in lines:
        match = _DIRECTIVE.match(line.strip())
        if not match:
            continue
        kind, rest = match.group(1), match.group(2).strip()
        if kind in ("module", "currentmodule"):
            module[path] = rest.split()[0]
            if kind == "module":
                names.setdefault(module[path], "mod")
            continue
        if kind.startswith("c:"):
            words = re.sub(r"\(.*$", "", rest).replace("*", " ").split()
            name = words[-1] if words else ""
        else:
            name = re.split(r"[\s(\[]", rest, maxsplit=1)[0]
            prefix = module.get(path, "")
            if prefix and not name.startswith(prefix + "."):
                name = f"{prefix}.{name}"
        if re.fullmatch(r"[A-Za-z_][\w.]*", name or ""):
            names.setdefault(name, _ROLES[kind])
    return names


_CODE = re.compile(r"`([^`\n]+)`|(?<![\w.`:])([A-Za-z_]\w*(?:\.\w+)+|[A-Za-z_]\w*(?=\(\))|"
                   r"Py[A-Z_]\w*|_?Py\w+_\w+)(\(\))?(?![\w`])")


_OPTION = re.compile(r"(?<![\w`-])--[a-z][\w-]*(?:=[^\s,;`]+)?(?![\w`])")


def with_roles(text: str, documented: Mapping[str, str]) -> str:
    """``text`` with Sphinx roles for the names CPython documents, and inline code (double
    backticks, as the docs' linter wants) for other code words written in backticks.

    >>> docs = {"os.path.expandvars": "func", "http.client": "mod", "PyConfig": "c:type"}
    >>> with_roles("Fix quadratic complexity in os.path.expandvars()", docs)
    'Fix quadratic complexity in :func:`os.path.expandvars`'
    >>> with_roles("Harden http.client and `tarfile._Stream.seek`; set PyConfig", docs)
    'Harden :mod:`http.client` and ``tarfile._Stream.seek``; set :c:type:`PyConfig`'
    >>> with_roles("Add a distutils option --install-layout=deb", docs)
    'Add a distutils option ``--install-layout=deb``'
    """
    def role(match: re.Match) -> str:
        quoted, bare, _call = match.group(1), match.group(2), match.group(3)
        name = (quoted or bare or "").strip()
        key = name.removesuffix("()")
        found = documented.get(key)
        if found:
            return f":{found}:`{key}`"
        if quoted:
            return f"``{quoted}``"
        return match.group(0)

    text = _CODE.sub(role, text)
    return _OPTION.sub(lambda m: f"``{m.group(0)}``", text)


def news_sentence(title: str, documented: Mapping[str, str], author: str = "") -> str:
    """A NEWS entry drafted from a title: one user-visible sentence with Sphinx roles, wrapped
    like blurb's, crediting the author.

    >>> print(news_sentence("Fix quadratic complexity in os.path.expandvars()",
    ...                     {"os.path.expandvars": "func"}, "Ben Wasmer"), end="")
    Fix quadratic complexity in :func:`os.path.expandvars`. Patch by Ben Wasmer.
    """
    text = with_roles(" ".join(title.split()), documented)
    if text and text[-1] not in ".!?":
        text += "."
    if author:
        text += f" Patch by {author}."
    return textwrap.fill(text, NEWS_WIDTH, break_long_words=False, break_on_hyphens=False) + "\n"


# -- what was tested ------------------------------------------------------------------------

_OS_NAMES = {"linux": "Linux", "macos": "macOS", "mac": "macOS", "darwin": "macOS",
             "windows": "Windows", "win32": "Windows"}


def form_answers(tested_on: str) -> tuple[list[str], list[str]]:
    """(CPython versions, operating systems) as the bug form names them, from a recorded
    ``tested_on`` ("Linux x86-64, 3.13, main"); unknown systems are "Other".

    >>> form_answers("Linux x86-64, macOS 14; 3.13, main, Emscripten")
    (['3.13', 'CPython main branch'], ['Linux', 'macOS', 'Other'])
    >>> form_answers("")
    ([], [])
    """
    versions: list[str] = []
    systems: list[str] = []
    for item in re.split(r"[,;]|\band\b", tested_on):
        word = item.strip()
        if not word:
            continue
        version = re.fullmatch(r"(?:cpython\s*|python\s*)?(3\.\d+)(?:\.\d+)?", word, re.IGNORECASE)
        if version:
            versions.append(version.group(1))
        elif re.fullmatch(r"(?:cpython\s*)?main(?:\s+branch)?", word, re.IGNORECASE):
            versions.append("CPython main branch")
        else:
            first = word.split()[0].lower()
            systems.append(_OS_NAMES.get(first, "Other"))
    return list(dict.fromkeys(versions)), list(dict.fromkeys(systems))
