"""quilt's series file: entries, -pN, comments kept in place on rewrite, names that escape."""

from __future__ import annotations

import pytest

from patchq.errors import SeriesError
from patchq.model import SeriesEntry
from patchq.seriesdir import (
    check_relative,
    discover_format_patch_files,
    load_patch,
    parse_series,
    read_series,
    render_series,
    unlisted_files,
)

DEBIAN = """\
# Debian's series
deb-locations.diff
#git-updates.diff
setup-modules.diff -p0

# minimal
min-tempfile.diff   # keep this one
min-pyrepl-import.dff
"""


def test_entries_strip_levels_comments_and_disabled_patches():
    s = parse_series(DEBIAN)
    assert [(e.name, e.strip) for e in s.entries] == [
        ("deb-locations.diff", 1), ("setup-modules.diff", 0), ("min-tempfile.diff", 1),
        ("min-pyrepl-import.dff", 1)]
    assert s.disabled == ("git-updates.diff",)
    assert [e.slug for e in s.entries] == ["deb-locations", "setup-modules", "min-tempfile",
                                           "min-pyrepl-import.dff"]


def test_tabs_and_extra_options_are_kept():
    s = parse_series("a.patch\t-p2 --fuzz=0\n")
    assert s.entries == (SeriesEntry("a.patch", 2, ("--fuzz=0",)),)
    assert s.entries[0].line() == "a.patch -p2 --fuzz=0"


def test_rendering_the_same_entries_gives_the_same_text():
    s = parse_series(DEBIAN)
    assert render_series(s, list(s.entries)) == DEBIAN


def test_removing_an_entry_keeps_every_comment():
    s = parse_series(DEBIAN)
    entries = [e for e in s.entries if e.name != "setup-modules.diff"]
    assert render_series(s, entries) == DEBIAN.replace("setup-modules.diff -p0\n", "")


def test_an_added_entry_goes_after_its_predecessor():
    s = parse_series(DEBIAN)
    entries = list(s.entries)
    entries.insert(2, SeriesEntry("new.patch"))
    out = render_series(s, entries)
    assert out == DEBIAN.replace("setup-modules.diff -p0\n", "setup-modules.diff -p0\nnew.patch\n")
    appended = render_series(s, [*s.entries, SeriesEntry("last.patch")])
    assert appended == DEBIAN + "last.patch\n"
    first = render_series(s, [SeriesEntry("first.patch"), *s.entries])
    assert first == DEBIAN.replace("deb-locations.diff\n", "first.patch\ndeb-locations.diff\n")


def test_a_changed_strip_level_rewrites_only_that_line():
    s = parse_series(DEBIAN)
    entries = [SeriesEntry("setup-modules.diff") if e.name == "setup-modules.diff" else e
               for e in s.entries]
    assert render_series(s, entries) == DEBIAN.replace("setup-modules.diff -p0", "setup-modules.diff")


def test_reordered_entries_keep_the_comments_in_their_slots():
    s = parse_series(DEBIAN)
    entries = list(reversed(s.entries))
    out = render_series(s, entries)
    lines = out.splitlines()
    assert lines[0] == "# Debian's series" and "#git-updates.diff" in lines
    assert [e.name for e in parse_series(out).entries] == [e.name for e in entries]


def test_series_from_nothing():
    empty = parse_series("")
    assert render_series(empty, [SeriesEntry("a.patch"), SeriesEntry("b.diff", 0)]) == \
        "a.patch\nb.diff -p0\n"
    assert render_series(empty, []) == ""


@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/passwd", "a/../../b", "-p1",
                                  "a\\b", ""])
def test_names_escaping_the_directory_are_refused(name):
    with pytest.raises(SeriesError, match="escapes"):
        check_relative(name)


def test_a_series_line_escaping_the_directory_is_refused():
    with pytest.raises(SeriesError, match="escapes"):
        parse_series("good.patch\n../../outside.patch\n")


def test_subdirectories_are_allowed():
    assert check_relative("debian/fix.patch") == "debian/fix.patch"


def test_read_series_errors_are_clear(tmp_path):
    with pytest.raises(SeriesError, match="does not exist"):
        read_series(tmp_path)
    (tmp_path / "series").mkdir()
    with pytest.raises(SeriesError, match="cannot read"):
        read_series(tmp_path)


def test_load_patch_names_the_missing_file(tmp_path):
    with pytest.raises(SeriesError, match="series names gone.patch, which does not exist"):
        load_patch(tmp_path, SeriesEntry("gone.patch"))
    (tmp_path / "dir.patch").mkdir()
    with pytest.raises(SeriesError, match="is a directory"):
        load_patch(tmp_path, SeriesEntry("dir.patch"))


def test_format_patch_files_in_name_order(tmp_path):
    for name in ("0010-ten.patch", "0002-two.patch", "notes.txt", "0001-one.diff"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub.patch").mkdir()
    assert discover_format_patch_files(tmp_path) == ["0001-one.diff", "0002-two.patch",
                                                     "0010-ten.patch"]


def test_unlisted_files_ignore_listed_disabled_and_hidden(tmp_path):
    (tmp_path / "series").write_text("a.patch\n#b.patch\n")
    for name in ("a.patch", "b.patch", "c.patch", ".hidden"):
        (tmp_path / name).write_text("x")
    assert unlisted_files(tmp_path, read_series(tmp_path)) == ["c.patch"]
