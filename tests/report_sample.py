"""A patch repo for report tests, written directly (map TOML with the documented fields, series
files, history lines), without running status, sync or rebase."""

from __future__ import annotations

import json
from pathlib import Path

NOW = "2026-11-25T12:00:00Z"


def patch_text(subject: str, path: str, added: int, removed: int = 0,
               author: str = "Ann Example <ann@example.invalid>",
               date: str = "Tue, 1 Mar 2022 10:00:00 +0000") -> str:
    """A format-patch style file adding ``added`` and removing ``removed`` lines of ``path``."""
    old = [f"old line {i}\n" for i in range(removed)]
    new = [f"new line {i}\n" for i in range(added)]
    body = "".join("-" + line for line in old) + "".join("+" + line for line in new)
    hunk = f"@@ -1,{removed} +1,{added} @@\n" if removed else f"@@ -0,0 +1,{added} @@\n"
    return (f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            f"From: {author}\nDate: {date}\nSubject: [PATCH] {subject}\n"
            f"\nWhy we carry it.\n---\n"
            f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n{hunk}{body}")


def write_series(root: Path, track: str, patches: list[tuple[str, str]]) -> None:
    """``patches``: (file name, content) in series order."""
    directory = root / "series" / track
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in patches:
        (directory / name).write_text(content)
    (directory / "series").write_text("".join(f"{name}\n" for name, _ in patches))


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


SUBJECTS = [
    ("Public-pymain_run_python", "Public pymain_run_python", "Modules/main.c", 12, 3),
    ("Partly-upstream-fix", "gh-4242: Fix the partly upstreamed thing", "Lib/os.py", 20, 5),
    ("Emscripten-only", "Emscripten: skip the tty module", "setup.py", 6, 0),
    ("Open-pr-old", "Make sys.stdout configurable", "Python/pylifecycle.c", 30, 10),
    ("Open-pr-new", "Add a WASI platform tag", "Lib/sysconfig.py", 4, 1),
    ("Drafted-locally", "Explain the subprocess error in the browser", "Lib/subprocess.py", 8, 2),
    ("Draft-pr", "Build without threads", "configure.ac", 15, 15),
    ("Never-proposed-old", "Patch the ctypes loader", "Lib/ctypes/util.py", 40, 0),
    ("Escape-me", 'Quote <script>alert("x")</script> & \'friends\' | pipes *stars*',
     "Lib/html/__init__.py", 3, 1),
    ("Conflicting", "Rework the import system hooks", "Lib/importlib/_bootstrap.py", 25, 20),
    ("Never-checked", "A patch nobody looked at", "Lib/this.py", 2, 2),
]

# the patches' own dates (mail Date:): most were written after they entered the series (a
# refresh rewrote them), one long before (a patch carried for years before patchq)
DATES = {"": "Wed, 25 Nov 2026 08:00:00 +0000",
         "Never-checked": "Sun, 1 Mar 2020 10:00:00 +0000",
         "Never-proposed-old": "Sat, 1 Jun 2024 10:00:00 +0000"}


MAP = """\
# upstream_map.toml -- what patchq knows about this downstream series.

[upstream]
path = "../cpython"
url = "https://github.com/python/cpython.git"
github = "python/cpython"

[tracks."3.11"]
follows = "3.11"
base = "v3.11.2"
base_commit = "3482c5397841dbf458933a4ea47f3fd8fcf0ef41"

[patches.Public-pymain_run_python]
disposition = "upstreamable"
pr = "python/cpython#101"

[patches.Public-pymain_run_python.github]
checked_at = "2026-11-25T08:00:00Z"
submission = "merged-pr"
pr_state = "merged"
pr_base = "main"
pr_merge_commit = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
pr_merged_at = "2026-11-20T10:00:00Z"
review = "approved"
updated_at = "2026-11-20T10:00:00Z"

[patches.Public-pymain_run_python.tracks."3.11"]
carried = true
since = "2025-03-01"

[patches.Public-pymain_run_python.tracks."3.11".upstream."main"]
state = "present"
evidence = [{method = "patch-id", commits = ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"], detail = "same change"}]
checked_at = "2026-11-25T08:00:00Z"
ref_commit = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

[patches.Public-pymain_run_python.tracks."3.11".upstream."3.11"]
state = "absent"
checked_at = "2026-11-25T08:00:00Z"

[patches.Partly-upstream-fix]
disposition = "upstreamable"
issue = "python/cpython#4242"

[patches.Partly-upstream-fix.tracks."3.11"]
carried = true
since = "2025-06-15"

[patches.Partly-upstream-fix.tracks."3.11".upstream."main"]
state = "partial"
hunks_total = 3
hunks_present = 2
evidence = [{method = "hunks", commits = ["cccccccccccccccccccccccccccccccccccccccc"], detail = "2 of 3 hunks"}]
checked_at = "2026-11-25T08:00:00Z"

[patches.Partly-upstream-fix.tracks."3.11".upstream."3.11"]
state = "absent"
checked_at = "2026-11-25T08:00:00Z"

[patches.Emscripten-only]
disposition = "downstream-only"
reason = "Emscripten has no terminal"

[patches.Emscripten-only.tracks."3.11"]
carried = true
since = "2024-11-01"

[patches.Emscripten-only.tracks."3.11".upstream."3.11"]
state = "absent"
checked_at = "2026-11-25T08:00:00Z"

[patches.Open-pr-old]
disposition = "upstreamable"
pr = "python/cpython#202"

[patches.Open-pr-old.github]
checked_at = "2026-11-25T08:00:00Z"
submission = "open-pr"
pr_state = "open"
pr_base = "main"
pr_created_at = "2026-10-01T09:00:00Z"
review = "changes_requested"
labels = ["type-feature", "OS-emscripten"]
updated_at = "2026-10-20T09:00:00Z"

[patches.Open-pr-old.tracks."3.11"]
carried = true
since = "2025-01-20"

[patches.Open-pr-old.tracks."3.11".upstream."3.11"]
state = "absent"
checked_at = "2026-11-25T08:00:00Z"

[patches.Open-pr-new]
pr = "python/cpython#303"

[patches.Open-pr-new.github]
checked_at = "2026-11-25T08:00:00Z"
submission = "open-pr"
pr_state = "open"
pr_created_at = "2026-11-15T09:00:00Z"
review = "none"
updated_at = "2026-11-24T09:00:00Z"

[patches.Open-pr-new.tracks."3.11"]
carried = true
since = "2026-11-10"

[patches.Drafted-locally]
disposition = "upstreamable"

[patches.Drafted-locally.tracks."3.11"]
carried = true
since = "2026-02-02"

[patches.Draft-pr]
pr = "python/cpython#404"
branch = "patchq/draft/Draft-pr"

[patches.Draft-pr.github]
checked_at = "2026-11-25T08:00:00Z"
submission = "draft-pr"
pr_state = "open"
pr_draft = true

[patches.Draft-pr.tracks."3.11"]
carried = true
since = "2026-01-05"

[patches.Never-proposed-old]

[patches.Never-proposed-old.tracks."3.11"]
carried = true
since = "2024-05-01"

[patches.Never-proposed-old.tracks."3.11".upstream."3.11"]
state = "absent"
checked_at = "2026-11-25T08:00:00Z"

[patches.Escape-me]
notes = "subject full of markup"

[patches.Escape-me.tracks."3.11"]
carried = true
since = "2026-11-22"

[patches.Escape-me.tracks."3.11".upstream."3.11"]
state = "absent"
checked_at = "2026-11-25T08:00:00Z"

[patches.Conflicting]

[patches.Conflicting.tracks."3.11"]
carried = true
since = "2025-09-09"
outcome = "conflict"
needs_person = true

[patches.Conflicting.tracks."3.11".upstream."3.11"]
state = "absent"
checked_at = "2026-11-25T08:00:00Z"

[patches.Never-checked.tracks."3.11"]
carried = true
since = "2026-11-01"

[patches.Gone-upstream]
disposition = "upstreamable"
pr = "python/cpython#505"

[patches.Gone-upstream.tracks."3.11"]
carried = false
since = "2025-02-02"
outcome = "upstream"
dropped = "2026-11-21"
evidence = [{method = "patch-id", commits = ["dddddddddddddddddddddddddddddddddddddddd"], detail = "v3.11.9"}]

[patches.Removed-by-hand.tracks."3.11"]
carried = false
since = "2025-02-02"
"""


def snapshot(at: str, patches: int, lines: int, categories: dict[str, str],
             base: str = "v3.11.2") -> str:
    counts = {"patches": patches, "lines": lines}
    for category in categories.values():
        counts[category] = counts.get(category, 0) + 1
    groups: dict[str, list[str]] = {}
    for slug, category in sorted(categories.items()):
        groups.setdefault(category, []).append(slug)
    return json.dumps({"at": at, "v": 1, "tracks": {"3.11": {
        "base": base, "counts": counts, "patches": groups}}}, sort_keys=True,
        separators=(",", ":"))


def build(root: Path, history: bool = True, corrupt: bool = True) -> Path:
    """The sample patch repo in ``root`` (created); returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "upstream_map.toml").write_text(MAP)
    files = [(f"{n:04d}-{slug}.patch", patch_text(subject, path, add, rem,
                                                  date=DATES.get(slug, DATES[""])))
             for n, (slug, subject, path, add, rem) in enumerate(SUBJECTS, 1)]
    write_series(root, "3.11", files)
    (root / "drafts" / "Drafted-locally").mkdir(parents=True)
    (root / "drafts" / "Drafted-locally" / "issue.md").write_text("# Explain the error\n")
    if history:
        old = {slug: "unproposed" for slug, *_ in SUBJECTS
               if slug not in ("Escape-me", "Open-pr-new", "Never-checked")}
        old.update({"Gone-upstream": "submitted", "Removed-by-hand": "unproposed",
                    "Open-pr-old": "submitted", "Emscripten-only": "downstream_only"})
        lines = [
            snapshot("2026-10-28T09:00:00Z", 13, 260, old),
            snapshot("2026-11-04T09:00:00Z", 12, 250, old),
            snapshot("2026-11-11T09:00:00Z", 12, 244, old),
        ]
        if corrupt:
            lines.append('{"at": "2026-11-12T09:00:00Z", "tracks": {"3.11": ')
        lines.append(snapshot("2026-11-18T09:00:00Z", 11, 240, old))
        (root / "patchq-history.jsonl").write_text("\n".join(lines) + "\n")
    return root


# -- a large sample: the numbers of Debian's 3.13.5 series rebased onto v3.13.15 -------------


LONG_SLUG = "Add-Debian-specific-documentation-path-to-IDLE-menu"


def _large_patch(k: int) -> tuple[str, str, int, int]:
    """(slug, subject, added, removed) of the k-th patch of the large sample."""
    if k == 0:
        return "issue127330", "Add support for OpenSSL 3.4", 9320, 8614
    if k == 1:
        return LONG_SLUG, "Add Debian specific documentation path to IDLE menu", 9, 1
    if k == 2:
        return ("stable-abi-multiarch", ("gh-122917: Allow stable API extensions to include a "
                "multiarch tuple in the filename"), 8, 1)
    if k < 26:
        return (f"deb-patch-{k:02d}", (f"Debian: carried change number {k} to the build "
                "and install layout"), 8 + k, k % 5)
    return (f"CVE-2026-{1000 + k}", (f"[3.13] gh-{140000 + k}: Fix a denial of service in "
            f"module {k} (GH-{150000 + k}) (#{160000 + k})"), 30 + k, 10)


def build_large(root: Path) -> Path:
    """62 patches a week ago on v3.13.5 (21,218 lines); now v3.13.15, 36 dropped as upstream
    with evidence, 3 set aside, 26 carried (18,600 lines), one open PR, one downstream-only."""
    root.mkdir(parents=True, exist_ok=True)
    patches = [_large_patch(k) for k in range(62)]
    carried = patches[:26]
    files = [(f"{slug}.diff", patch_text(subject, f"Lib/file{n}.py", add, rem,
                                         date=f"Mon, {1 + n % 28} Sep 2025 10:00:00 +0000"))
             for n, (slug, subject, add, rem) in enumerate(carried)]
    write_series(root, "3.13", files)
    to = "9cfce2afeaa6780c42e890b010be47137e66e8f8"
    out = [('[upstream]\ngithub = "python/cpython"\n'
           'downstream_url = "https://salsa.debian.org/cpython-team/python3/-/blob/master"\n'),
           ('[tracks."3.13"]\nfollows = "3.13"\nbase = "v3.13.15"\n'
           f'base_commit = "{to}"\n'),
           ('[tracks."3.13".last_rebase]\nfrom = "v3.13.5"\nto = "v3.13.15"\n'
           f'to_commit = "{to}"\nat = "2026-11-25T10:00:00Z"\n'
           "counts = {unchanged = 13, offset = 8, refreshed = 2, upstream = 36, conflict = 3}\n")]
    for n, (slug, _, _, _) in enumerate(patches):
        key = toml_string(slug)
        record = []
        if n == 3:
            record.append('disposition = "downstream-only"\nreason = "Debian\'s own layout"')
        if n == 4:
            record.append('pr = "python/cpython#130001"\n\n'
                          f"[patches.{key}.github]\nchecked_at = \"2026-11-24T08:00:00Z\"\n"
                          'submission = "open-pr"\npr_state = "open"\n'
                          'pr_created_at = "2026-06-01T00:00:00Z"\nreview = "commented"\n'
                          'labels = ["type-bug", "OS-linux", "needs backport to 3.13"]')
        out.append(f"[patches.{key}]\n" + "\n".join(record) + "\n")
        here = [f'[patches.{key}.tracks."3.13"]', 'since = "2026-11-18"']
        if n < 26:
            outcome = "conflict" if n < 3 and n != 2 or n == 5 else "unchanged"
            here += ["carried = true", f'outcome = "{outcome}"']
            if outcome == "conflict":
                here.append("needs_person = true")
        else:
            here += ["carried = false", 'outcome = "upstream"', 'dropped = "2026-11-25"',
                     'evidence = [{method = "hunks", commits = ["' + to + '"], detail = '
                     '"4/4 hunks in v3.13.15: in place"}, {method = "empty-apply", commits = '
                     '["' + to + '"], detail = "a clean 3-way merge onto v3.13.15 changes '
                     'nothing"}]']
        out.append("\n".join(here) + "\n")
    (root / "upstream_map.toml").write_text("\n".join(out))
    week_ago = {slug: "unproposed" for slug, *_ in patches}
    week_ago[patches[3][0]] = "downstream_only"
    week_ago[patches[4][0]] = "submitted"
    (root / "patchq-history.jsonl").write_text(
        snapshot("2026-11-18T09:00:00Z", 62, 21218, week_ago, base="v3.13.5")
        .replace('"3.11"', '"3.13"') + "\n")
    return root
