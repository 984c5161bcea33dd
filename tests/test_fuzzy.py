"""Applying as GNU patch does (fuzz, offsets) and as conda-build does (line endings), when git
will not: the module on its own, compared with GNU patch itself, and through the commands."""

from __future__ import annotations

import difflib
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import git, make_upstream, patch_repo, patchq

from patchq import fuzzy
from patchq.fastapply import parse

GNU_PATCH = shutil.which("patch")


def _apply(base: bytes, diff: bytes, path: str = "f") -> fuzzy.FuzzyApply:
    return fuzzy.apply_patch(diff, 1, lambda p: base if p == path else None)


def _content(done: fuzzy.FuzzyApply) -> bytes | None:
    return done.files[0][1]


HUNK_2 = (b"--- a/f\n+++ b/f\n@@ -4,7 +4,7 @@\n"
          b" l4\n l5\n l6\n-l7\n+L7\n l8\n l9\n l10\n")
LINES = [b"l%d\n" % i for i in range(1, 15)]


def test_a_changed_first_context_line_takes_fuzz_1():
    base = LINES.copy()
    base[3] = b"changed 4\n"
    done = _apply(b"".join(base), HUNK_2)
    assert _content(done) == b"".join(base[:6] + [b"L7\n"] + base[7:])
    assert [(p.hunk, p.fuzz, p.offset) for p in done.placements] == [(1, 1, 0)]
    assert done.notes == ("applied with fuzz 1 at f hunk 1",)


def test_two_changed_context_lines_take_fuzz_2_and_context_stays_the_files_own():
    base = LINES.copy()
    base[3], base[4] = b"changed 4\n", b"changed 5\n"
    done = _apply(b"".join(base), HUNK_2)
    assert _content(done) == b"".join(base[:6] + [b"L7\n"] + base[7:])
    assert done.fuzz == 2


def test_an_offset_without_fuzz_is_found_and_not_called_fuzz():
    base = [b"new top\n", b"new top 2\n"] + LINES
    done = _apply(b"".join(base), HUNK_2)
    assert _content(done) == b"".join(base[:8] + [b"L7\n"] + base[9:])
    assert [(p.fuzz, p.offset) for p in done.placements] == [(0, 2)]
    assert done.notes == ()


def test_a_hunk_fuzz_cannot_place_is_refused_naming_it():
    base = LINES.copy()
    base[6] = b"l7 rewritten upstream\n"  # the removed line itself
    with pytest.raises(fuzzy.Refused, match="f: hunk 1 does not apply, even with fuzz 2"):
        _apply(b"".join(base), HUNK_2)
    base = LINES.copy()
    base[2:6] = [b"x\n", b"y\n", b"z\n", b"w\n"]  # three context lines gone: beyond fuzz 2
    with pytest.raises(fuzzy.Refused):
        _apply(b"".join(base), HUNK_2)


def test_a_crlf_patch_on_an_lf_file_keeps_the_files_lf():
    crlf = HUNK_2.replace(b"\n", b"\r\n").replace(b"--- a/f\r\n+++ b/f\r\n", b"--- a/f\n+++ b/f\n")
    done = _apply(b"".join(LINES), crlf)
    assert _content(done) == b"".join(LINES[:6] + [b"L7\n"] + LINES[7:])
    assert done.endings == (("f", fuzzy.Endings.CRLF_PATCH_LF_FILE),)
    assert done.notes == ("line endings reconciled in f (CRLF patch on an LF file)",)


def test_an_lf_patch_on_a_crlf_file_keeps_the_files_crlf():
    crlf_lines = [ln.replace(b"\n", b"\r\n") for ln in LINES]
    done = _apply(b"".join(crlf_lines), HUNK_2)
    assert _content(done) == b"".join(crlf_lines[:6] + [b"L7\r\n"] + crlf_lines[7:])
    assert done.endings == (("f", fuzzy.Endings.LF_PATCH_CRLF_FILE),)


def test_a_hunk_with_short_leading_context_stays_at_the_start_of_the_file():
    # one line of context before, three after: it was written at the top of the file
    diff = b"--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n l1\n-l2\n+L2\n l3\n l4\n l5\n"
    moved = [b"top\n"] + LINES
    with pytest.raises(fuzzy.Refused):  # with fuzz 1 it may not move (GNU patch: FAILED)
        fuzzy.apply_patch(diff, 1, lambda p: b"".join(moved), max_fuzz=1)
    done = _apply(b"".join(moved), diff)  # fuzz 2 uses the difference up: "at 2 with fuzz 2"
    assert [(p.fuzz, p.offset) for p in done.placements] == [(2, 1)]
    assert _content(done) == b"".join([b"top\n", LINES[0], b"L2\n"] + LINES[2:])
    assert _content(_apply(b"".join(LINES), diff)) == b"".join([LINES[0], b"L2\n"] + LINES[2:])


def test_a_plain_diff_names_the_file_as_gnu_patch_picks_it():
    diff = b"--- a/f.orig\n+++ b/f\n@@ -4,7 +4,7 @@\n l4\n l5\n l6\n-l7\n+L7\n l8\n l9\n l10\n"
    done = _apply(b"".join(LINES), diff)
    assert done.files[0][0] == "f"
    with pytest.raises(fuzzy.Refused, match="no such file"):
        fuzzy.apply_patch(diff, 1, lambda p: None)


def test_creating_a_file_that_exists_is_refused():
    diff = b"--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+x\n"
    with pytest.raises(fuzzy.Refused, match="exists"):
        _apply(b"y\n", diff)


def test_the_hunk_record_keeps_line_kinds_in_order():
    item = parse(HUNK_2)[0]
    assert b"".join(item.hunks[0].kinds) == b"   -+   "


# -- the same results as GNU patch, on many generated cases ------------------------------------


def _edited(rng: random.Random, lines: list[bytes], edits: int, marks: bytes) -> list[bytes]:
    """``lines`` with ``edits`` random changes: a line replaced, inserted or deleted."""
    out = list(lines)
    for _ in range(edits):
        at, roll = rng.randrange(len(out)), rng.random()
        if roll < 0.4:
            out[at] = marks[:1] + b"%d\n" % rng.randint(0, 99)
        elif roll < 0.7:
            out.insert(at, marks[1:] + b"%d\n" % rng.randint(0, 99))
        elif len(out) > 1:
            del out[at]
    return out


def _case(rng: random.Random) -> tuple[bytes, bytes] | None:
    words = [b"w%d\n" % rng.randint(0, 12) for _ in range(rng.randint(3, 40))]
    changed = _edited(rng, words, rng.randint(1, 4), b"XN")
    diff = b"".join(difflib.diff_bytes(difflib.unified_diff, words, changed, b"a/f", b"b/f",
                                       n=rng.choice([3, 3, 2, 1]), lineterm=b"\n"))
    if not diff:
        return None
    base = _edited(rng, words, rng.randint(0, 4), b"YM")  # upstream moved on
    return b"".join(base), diff


def _gnu(tmp: Path, base: bytes, diff: bytes) -> bytes | None:
    (tmp / "f").write_bytes(base)
    res = subprocess.run([GNU_PATCH or "patch", "-p1", "--fuzz=2", "-f", "-s",
                          "--no-backup-if-mismatch", "-r", "-"], cwd=tmp, input=diff,
                         capture_output=True, check=False)
    return None if res.returncode else (tmp / "f").read_bytes()


@pytest.mark.skipif(GNU_PATCH is None, reason="GNU patch is not installed")
def test_every_generated_case_gives_what_gnu_patch_gives(tmp_path):
    rng = random.Random(20261203)
    compared = applied = fuzzed = 0
    for _ in range(600):
        case = _case(rng)
        if case is None:
            continue
        base, diff = case
        theirs = _gnu(tmp_path, base, diff)
        try:
            done = _apply(base, diff)
            ours: bytes | None = _content(done)
            fuzzed += done.fuzz > 0
        except fuzzy.Refused:
            ours = None
        assert ours == theirs, (diff.decode(), base.decode())
        compared += 1
        applied += theirs is not None
    # the cases cover both sides: many applied (some only with fuzz), many refused
    assert compared > 500 and 0.3 * compared < applied < 0.9 * compared and fuzzed > 50


# -- through the commands -------------------------------------------------------------------


def _repo_with(tmp_path: Path, base_files: dict, patch_text: bytes, name: str = "0001-x.patch"):
    upstream = make_upstream(tmp_path / "cpython", base_files)
    src = tmp_path / "src"
    src.mkdir()
    (src / name).write_bytes(patch_text)
    (src / "series").write_text(name + "\n")
    repo = patch_repo(tmp_path, upstream)
    return upstream, repo, src


FUZZ_PATCH = (b"From: Ann Example <ann@example.invalid>\nSubject: Change line 7\n\n"
              + HUNK_2.replace(b"a/f", b"a/Lib/f.py").replace(b"b/f", b"b/Lib/f.py"))


def test_import_checkout_lint_and_list_report_a_fuzzy_patch_and_keep_its_file(tmp_path):
    base = LINES.copy()
    base[3] = b"changed upstream\n"
    upstream, repo, src = _repo_with(tmp_path, {"Lib/f.py": b"".join(base)}, FUZZ_PATCH)
    res = patchq("-C", str(repo), "import", str(src), "--track", "3.13", "--base", "v1.0")
    assert res.code == 0, res.text
    assert "all 1 apply on v1.0" in res.out
    assert "1 apply only as GNU patch would" in res.out
    assert "x: applied with fuzz 1 at Lib/f.py hunk 1" in res.out
    res = patchq("-C", str(repo), "checkout", "3.13")
    assert res.code == 0 and "x: applied with fuzz 1 at Lib/f.py hunk 1" in res.out
    assert git(upstream, "show", "patchq/3.13:Lib/f.py").encode() + b"\n" == \
        b"".join(base[:6] + [b"L7\n"] + base[7:])
    # lint warns and passes; --strict fails; JSON says it is a warning
    res = patchq("-C", str(repo), "lint", "3.13")
    assert res.code == 0 and "[fuzzy-apply] (warning)" in res.out
    assert patchq("-C", str(repo), "lint", "3.13", "--strict").code == 1
    items = json.loads(patchq("-C", str(repo), "lint", "3.13", "--json").out)["problems"]
    assert [(i["code"], i["severity"]) for i in items] == [("fuzzy-apply", "warning")]
    rows = json.loads(patchq("-C", str(repo), "list", "3.13", "--json").out)["patches"]
    assert [(r["applies"], r["apply_notes"]) for r in rows] == \
        [("fuzzy", ["applied with fuzz 1 at Lib/f.py hunk 1"])]
    # export keeps the file byte for byte; --refresh rewrites it so that it applies exactly
    kept = (repo / "series" / "3.13" / "0001-x.patch").read_bytes()
    assert kept == FUZZ_PATCH
    res = patchq("-C", str(repo), "export", "3.13")
    assert res.code == 0 and "nothing to write" in res.out
    res = patchq("-C", str(repo), "export", "3.13", "--refresh")
    assert res.code == 0 and "1 changed" in res.out, res.text
    fresh = (repo / "series" / "3.13" / "0001-x.patch").read_bytes()
    assert b" changed upstream\n" in fresh and b"Subject: " in fresh
    res = patchq("-C", str(repo), "lint", "3.13", "--strict")
    assert res.code == 0 and res.out.strip() == "no problems found", res.text


def test_a_crlf_patch_applies_to_the_lf_blob_git_stores(tmp_path):
    # CPython's .gitattributes keeps PCbuild files LF in git; conda-forge's patches are CRLF
    props = b"<Project>\n  <A>1</A>\n  <B>2</B>\n  <C>3</C>\n</Project>\n"
    patch = (b"From: Ann Example <ann@example.invalid>\nSubject: Unvendor\n\n"
             b"--- a/PCbuild/python.props\n+++ b/PCbuild/python.props\n"
             b"@@ -1,5 +1,5 @@\r\n <Project>\r\n   <A>1</A>\r\n-  <B>2</B>\r\n+  <B>conda</B>\r\n"
             b"   <C>3</C>\r\n </Project>\r\n")
    upstream, repo, src = _repo_with(tmp_path, {"PCbuild/python.props": props}, patch)
    res = patchq("-C", str(repo), "import", str(src), "--track", "3.13", "--base", "v1.0")
    assert res.code == 0 and "line endings reconciled in PCbuild/python.props (CRLF patch on "\
        "an LF file)" in res.out, res.text
    assert patchq("-C", str(repo), "checkout", "3.13").code == 0
    blob = subprocess.run(["git", "show", "patchq/3.13:PCbuild/python.props"], cwd=upstream,
                          capture_output=True, check=True).stdout
    assert blob == props.replace(b"<B>2</B>", b"<B>conda</B>")


def test_checkout_partial_builds_the_rest_and_push_gives_the_conflict_to_a_person(tmp_path):
    files = {"Lib/f.py": b"".join(LINES), "Lib/g.py": b"g1\ng2\ng3\n"}
    upstream = make_upstream(tmp_path / "cpython", files)
    src = tmp_path / "src"
    src.mkdir()
    (src / "0001-f.patch").write_bytes(FUZZ_PATCH)
    (src / "0002-g.patch").write_bytes(
        b"From: Ann Example <ann@example.invalid>\nSubject: Change g2\n\n"
        b"--- a/Lib/g.py\n+++ b/Lib/g.py\n@@ -1,3 +1,3 @@\n g1\n-g2 as it never was\n+G2\n g3\n")
    (src / "series").write_text("0001-f.patch\n0002-g.patch\n")
    repo = patch_repo(tmp_path, upstream)
    res = patchq("-C", str(repo), "import", str(src), "--track", "3.13", "--base", "v1.0")
    assert res.code == 0 and "1 do not apply on v1.0:" in res.out
    refs = git(upstream, "show-ref")
    res = patchq("-C", str(repo), "checkout", "3.13")
    assert res.code == 1 and "--partial" in res.err and git(upstream, "show-ref") == refs
    res = patchq("-C", str(repo), "checkout", "3.13", "--partial")
    assert res.code == 0, res.text
    assert "set aside 1, they do not apply on v1.0: g (`patchq lint 3.13` lists them all)" in res.out
    assert "needs_person = true" in (repo / "upstream_map.toml").read_text()
    assert git(upstream, "log", "--format=%s", "v1.0..patchq/3.13") == "Change line 7"
    res = patchq("-C", str(repo), "push", "g")
    assert res.code == 1 and "rejected hunks are in Lib/g.py.rej" in res.err
    assert b"-g2 as it never was" in (upstream / "Lib" / "g.py.rej").read_bytes()
