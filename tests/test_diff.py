"""The diff model (patchq.diff) on diffs git itself writes: binary files, mode changes,
renames, CRLF lines, missing final newlines, quoted names. Each diff is made by a real git in
a temporary repository, and what the model reads is checked against the files' bytes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from patchq import diff, fastapply, patchfile


def run(repo: Path, *args: str) -> bytes:
    res = subprocess.run(["git", "-c", "core.autocrlf=false", "-c", "core.quotePath=true", *args],
                         cwd=repo, capture_output=True, check=True)
    return res.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    run(tmp_path, "init", "-q", "-b", "main")
    return tmp_path


def commit(repo: Path, files: dict[str, bytes | None]) -> None:
    for name, data in files.items():
        path = repo / name
        if data is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    run(repo, "add", "-A")
    run(repo, "commit", "-q", "-m", "step")


def last_diff(repo: Path, *options: str) -> bytes:
    return run(repo, "diff", "--no-color", *options, "HEAD~1", "HEAD")


def rebuilt(files: tuple[diff.FilePatch, ...]) -> bytes:
    """The diff written again from the model: header lines, then each hunk's lines."""
    return b"".join(b"".join(f.header) + b"".join(h.header + b"".join(h.lines) for h in f.hunks)
                    for f in files)


TEXT = b"".join(b"line %d\n" % n for n in range(1, 21))


def test_text_changes_read_byte_for_byte_and_apply_exactly(repo):
    commit(repo, {"a.txt": TEXT, "gone.txt": b"bye\n"})
    new = TEXT.replace(b"line 3\n", b"line three\n").replace(b"line 18\n", b"")
    commit(repo, {"a.txt": new, "gone.txt": None, "new.txt": b"hello\n"})
    data = last_diff(repo)
    files = diff.parse(data)
    assert rebuilt(files) == data
    by_path = {f.path: f for f in files}
    changed, gone, born = by_path["a.txt"], by_path["gone.txt"], by_path["new.txt"]
    assert (changed.added, changed.removed, len(changed.hunks)) == (1, 2, 2)
    assert changed.hunks[0].label.startswith("@@ -1,")
    assert (gone.old_path, gone.new_path, born.old_path, born.new_mode) == \
        ("gone.txt", None, None, "100644")
    applied = fastapply.parse(data)
    assert fastapply.apply_file(TEXT, next(f for f in applied if f.path == "a.txt")) == new
    assert patchfile.diff_stats(data) == patchfile.unidiff_stats(data)


def test_binary_files_with_and_without_their_data(repo):
    blob = bytes(range(256)) * 4
    commit(repo, {"img.bin": blob})
    commit(repo, {"img.bin": blob[::-1]})
    for options, literal in ((("--binary",), True), ((), False)):
        data = last_diff(repo, *options)
        (item,) = diff.parse(data)
        assert item.binary and not item.hunks and item.path == "img.bin"
        assert any(line.startswith(b"GIT binary patch") for line in item.header) is literal
        assert diff.stat(item).status == "binary"
        assert rebuilt((item,)) == data
        with pytest.raises(fastapply.Unsupported):
            fastapply.parse(data)


def test_plain_diff_binary_line_is_a_file_of_its_own(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"\0\1")
    (tmp_path / "b" / "x.bin").write_bytes(b"\0\2")
    res = subprocess.run(["diff", "-ru", "a", "b"], cwd=tmp_path, capture_output=True,
                         check=False)
    (item,) = diff.parse(res.stdout)
    assert item.binary and item.path == "x.bin"


def test_mode_changes(repo):
    commit(repo, {"run.sh": b"echo hi\n"})
    os.chmod(repo / "run.sh", 0o755)
    commit(repo, {})
    data = last_diff(repo)
    (item,) = diff.parse(data)
    assert (item.old_mode, item.new_mode, item.mode_change, item.hunks) == \
        ("100644", "100755", True, ())
    with pytest.raises(fastapply.Unsupported):
        fastapply.parse(data)
    commit(repo, {"run.sh": b"echo bye\n"})
    (edit,) = diff.parse(last_diff(repo))
    assert (edit.old_mode, edit.new_mode, edit.mode_change) == ("100755", "100755", False)


def test_renames_and_copies(repo):
    commit(repo, {"old/name.py": TEXT})
    commit(repo, {"old/name.py": None, "new/name.py": TEXT.replace(b"line 10\n", b"ten\n")})
    data = last_diff(repo, "-M")
    (item,) = diff.parse(data)
    assert item.rename and (item.old_path, item.new_path) == ("old/name.py", "new/name.py")
    assert (item.added, item.removed) == (1, 1)
    assert diff.stat(item) == patchfile.unidiff_stats(data)[0]
    assert diff.stat(item).status == "renamed"
    with pytest.raises(fastapply.Unsupported):
        fastapply.parse(data)
    commit(repo, {"copy.py": TEXT.replace(b"line 10\n", b"ten\n")})
    (copied,) = diff.parse(run(repo, "diff", "-C", "--find-copies-harder", "HEAD~1", "HEAD"))
    assert copied.copy and copied.new_path == "copy.py" and copied.old_path == "new/name.py"


def test_crlf_lines_keep_their_cr(repo):
    old = b"one\r\ntwo\r\nthree\r\n"
    new = b"one\r\nTWO\r\nthree\r\n"
    commit(repo, {"win.txt": old})
    commit(repo, {"win.txt": new})
    data = last_diff(repo)
    (item,) = diff.parse(data)
    assert item.crlf
    assert item.hunks[0].old == (b"one\r\n", b"two\r\n", b"three\r\n")
    assert item.hunks[0].tagged[1] == (ord("-"), b"two")  # normalized: no CR, no ending
    assert fastapply.apply_file(old, fastapply.parse(data)[0]) == new


@pytest.mark.parametrize("old, new", [(b"a\nb", b"a\nc"), (b"a\nb", b"a\nb\n"),
                                      (b"a\nb\n", b"a\nb"), (b"only", b"")])
def test_no_newline_markers(repo, old, new):
    commit(repo, {"f.txt": old})
    commit(repo, {"f.txt": new})
    data = last_diff(repo)
    assert b"\\ No newline at end of file" in data
    (item,) = diff.parse(data)
    assert all(h.no_newline for h in item.hunks)
    assert rebuilt((item,)) == data
    hunk = item.hunks[0]
    assert b"".join(hunk.old) == old and b"".join(hunk.new) == new
    assert fastapply.apply_file(old, fastapply.parse(data)[0]) == new


def test_quoted_names(repo):
    commit(repo, {"café.txt": b"a\n"})
    commit(repo, {"café.txt": b"b\n"})
    data = last_diff(repo)
    assert b'"a/caf\\303\\251.txt"' in data
    (item,) = diff.parse(data)
    assert item.quoted and item.path == "café.txt"
    with pytest.raises(fastapply.Unsupported):
        fastapply.parse(data)


def test_log_output_by_commit_and_path(repo):
    commit(repo, {"a.txt": b"1\n", "b.txt": b"1\n"})
    commit(repo, {"a.txt": b"2\n"})
    commit(repo, {"a.txt": b"3\n", "b.txt": b"3\n"})
    log = run(repo, "log", "-p", "--format=commit %H", "HEAD~2..HEAD")
    shas = run(repo, "rev-list", "HEAD~2..HEAD").decode().split()
    read = diff.parse_log(log)
    assert [sha for sha, _ in read] == shas
    assert [[f.path for f in files] for _, files in read] == [["a.txt", "b.txt"], ["a.txt"]]
    only_b = diff.parse_log(log, {"b.txt"})
    assert [[f.path for f in files] for _, files in only_b] == [["b.txt"], []]


def test_strict_and_tolerant_reading():
    short = b"--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n"
    with pytest.raises(diff.Unsupported):
        diff.parse(short)
    (item,) = diff.parse(short, tolerant=True)
    assert item.hunks[0].kinds == (b" ", b"-", b"+")
    mail = b"Subject: x\n\nbody\n" + short.replace(b"-1,3 +1,3", b"-1,2 +1,2") + b"-- \n2.43\n"
    (item,) = diff.parse(mail)
    assert item.header == (b"--- a/x\n", b"+++ b/x\n") and item.hunks[0].section == b""
