"""The map written back section by section (patchq.map_sections, UpstreamMap.load_editable):
the same text as tomlkit's edit, people's comments kept, and tomlkit wherever that is not sure."""

from __future__ import annotations

import random

import pytest

from patchq.map_sections import Inline, mark_inline, render, split
from patchq.model import Track
from patchq.upstream_map import HEADER, UpstreamMap

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11; 3.10 loads every map with tomlkit

PATCHQ_WROTE = HEADER + """
[upstream]
path = "../upstream"

[tracks.main]
follows = "main"
base = "v1.0"
base_commit = "ece4048bcbda59f98faa1c6e2b2c4cb62f6a2fd1"

[patches.first]
disposition = "undecided"

[patches.first.tracks.main]
carried = true
since = "2026-12-04"

[patches."second.with+dots"]
disposition = "forwarded"
pr = "https://github.com/python/cpython/pull/1"

[patches."second.with+dots".tracks.main]
carried = true
outcome = "unchanged"
evidence = [{method = "patch-id", commits = ["abc"]}]

[patches."second.with+dots".tracks.main.upstream."v1.0"]
state = "absent"
checked_at = "2026-12-01T00:00:00Z"

[patches.third.tracks.main]
carried = true
"""

PEOPLE_WROTE = """\
# Our patches.   (people wrote this)

[upstream]
path = "../cpython"  # beside this repository

[tracks.main]
follows = "main"
base = "v1.0"
base_commit = "ece4048bcbda59f98faa1c6e2b2c4cb62f6a2fd1"
# the base moves with every release

# the patch we are proudest of
[patches.first]
disposition = "downstream-only"
reason = "we start from JavaScript"   # keep

[patches.first.tracks.main]
carried = true
# a note among the values
since = "2024-01-02"
"""


def rebase_like(umap: UpstreamMap) -> None:
    """What a rebase records: base, last rebase with inline counts, outcomes, evidence
    arrays of inline tables, upstream tables set off by a blank line, a value removed."""
    umap.set_track(Track("main", "main", "v1.1", "9" * 40))
    last = umap.new_table()
    last["to"] = "v1.1"
    counts = umap.new_inline()
    counts["unchanged"] = 2
    last["counts"] = counts
    umap.spaced(last)
    umap.track_table("main")["last_rebase"] = last
    for slug in umap.slugs():
        record = umap.patch_track(slug, "main")
        record["outcome"] = "upstream"
        evidence = umap.new_array()
        item = umap.new_inline()
        item["method"] = "subject"
        item["commits"] = ["1234", "5678"]
        evidence.append(item)
        record["evidence"] = evidence
        record.pop("since", None)
        if "upstream" not in record:
            record["upstream"] = umap.new_table(super_table=True)
        entry = umap.new_table()
        entry["state"] = "present"
        entry["note"] = 'quote " back\\slash \t tab \x01 ctl é'
        umap.spaced(entry)
        record["upstream"]["v1.1"] = entry


def both(tmp_path, text, change):
    """The map's text after ``change`` by tomlkit (load) and section by section."""
    path = tmp_path / "upstream_map.toml"
    path.write_text(text)
    slow = UpstreamMap.load(path)
    change(slow)
    fast = UpstreamMap.load_editable(path)
    change(fast)
    return slow.text(), fast.text(), fast


def test_a_map_patchq_wrote_comes_out_as_tomlkit_writes_it(tmp_path):
    slow, fast, umap = both(tmp_path, PATCHQ_WROTE, rebase_like)
    assert umap._edit is not None  # the plain path
    layout, before = umap._edit[1], umap._edit[2]
    assert render(layout, before, umap.doc) == fast  # not tomlkit's fallback
    assert fast == slow
    assert tomllib.loads(fast)["patches"]["first"]["tracks"]["main"]["upstream"]["v1.1"][
        "note"] == 'quote " back\\slash \t tab \x01 ctl é'


def test_nothing_changed_is_the_same_text(tmp_path):
    slow, fast, _ = both(tmp_path, PATCHQ_WROTE, lambda umap: None)
    assert fast == slow == PATCHQ_WROTE
    slow, fast, _ = both(tmp_path, PEOPLE_WROTE, lambda umap: None)
    assert fast == slow == PEOPLE_WROTE


def test_people_s_comments_stay_where_they_were(tmp_path):
    def change(umap):
        umap.set_track(Track("main", "main", "v1.1", "9" * 40))
        umap.patch_track("first", "main")["outcome"] = "unchanged"

    slow, fast, umap = both(tmp_path, PEOPLE_WROTE, change)
    # the patch's table has a comment among its values: tomlkit edits it (the fallback)
    assert render(umap._edit[1], umap._edit[2], umap.doc) is None
    assert fast == slow
    for comment in ("# Our patches.", "# beside this repository", "# the base moves",
                    "# the patch we are proudest of", "# keep", "# a note among the values"):
        assert comment in fast


def test_a_changed_table_keeps_its_trailing_comments_on_the_plain_path(tmp_path):
    def change(umap):
        umap.set_track(Track("main", "main", "v1.1", "9" * 40))

    text = PEOPLE_WROTE.replace("# a note among the values\n", "")
    slow, fast, umap = both(tmp_path, text, change)
    assert render(umap._edit[1], umap._edit[2], umap.doc) == fast
    assert fast == slow
    assert 'base = "v1.1"\nbase_commit = "' + "9" * 40 + '"\n# the base moves' in fast


@pytest.mark.parametrize("value", ["../other", "../cpython"])
def test_a_value_with_a_comment_after_it(tmp_path, value):
    """Changing a value whose line carries a comment is tomlkit's work (it keeps the
    comment); an unchanged line with a comment is copied as it is."""
    def change(umap):
        umap.upstream["path"] = value
        umap.upstream["url"] = "https://example.org/cpython.git"

    text = PEOPLE_WROTE.replace("# a note among the values\n", "")
    slow, fast, umap = both(tmp_path, text, change)
    plain = render(umap._edit[1], umap._edit[2], umap.doc)
    assert (plain is None) == (value == "../other")
    assert fast == slow
    assert "# beside this repository" in fast


def test_a_removed_table_with_a_comment_goes_through_tomlkit(tmp_path):
    def change(umap):
        umap.remove_patch_track("first", "main")

    text = PEOPLE_WROTE.replace("disposition = \"downstream-only\"\n", "")
    slow, fast, umap = both(tmp_path, text, change)
    assert render(umap._edit[1], umap._edit[2], umap.doc) is None
    assert fast == slow


@pytest.mark.parametrize("extra", [
    '\n[patches.x]\nnotes = """\nlong\n"""\n',  # a multi-line string
    '\n[[patches.x.list]]\na = 1\n',  # an array of tables
    '\n  [patches.y]\na = 1\n',  # an indented header
    '\n[patches.z] # a comment after a header\na = 1\n',
    '\n[tracks.other]\nfollows = "other"\n',  # tracks.* again after the patches
])
def test_layouts_it_does_not_handle_are_edited_with_tomlkit(tmp_path, extra):
    text = PATCHQ_WROTE + extra
    slow, fast, umap = both(tmp_path, text, rebase_like)
    assert umap._edit is None
    assert fast == slow


def test_values_it_cannot_write_fall_back_to_tomlkit(tmp_path):
    def change(umap):
        umap.patch_track("first", "main")["ratio"] = 0.5

    slow, fast, umap = both(tmp_path, PATCHQ_WROTE, change)
    assert render(umap._edit[1], umap._edit[2], umap.doc) is None
    assert fast == slow
    assert "ratio = 0.5" in fast


def test_inline_tables_are_told_from_tables():
    text = '[a]\nx = {b = 1}\ny.z = 2\n\n[a.c]\nd = 3\n'
    layout = split(text)
    data = tomllib.loads(text)
    assert mark_inline(layout, data)
    assert isinstance(data["a"]["x"], Inline) and isinstance(data["a"]["y"], Inline)
    assert not isinstance(data["a"]["c"], Inline)
    before = tomllib.loads(text)
    mark_inline(layout, before)
    data["a"]["q"] = 1  # the dotted key cannot be written back as it was
    assert render(layout, before, data) is None


def test_random_edits_agree_with_tomlkit(tmp_path):
    """Seeded random edits through the map's methods: the same text both ways, and the text
    parses to the data."""
    rng = random.Random(7)
    for round_ in range(60):
        ops = [rng.randrange(6) for _ in range(rng.randrange(1, 6))]
        slugs = [f"p{rng.randrange(5)}" if rng.random() < .8 else "a.b\"c" for _ in ops]

        def change(umap, ops=ops, slugs=slugs, round_=round_):
            for op, slug in zip(ops, slugs):
                if op == 0:
                    umap.patch_track(slug, "main")["outcome"] = "conflict"
                elif op == 1:
                    umap.remove_patch_track(slug, "main")
                elif op == 2:
                    umap.ensure_patch(slug)["notes"] = f"round {round_}"
                elif op == 3:
                    umap.set_track(Track("t2", "3.13", "v3.13.1", "1" * 40))
                elif op == 4:
                    table = umap.patch_track(slug, "main")
                    table.pop("carried", None)
                    table["needs_person"] = True
                else:
                    umap.move_patch_track("first", slug, "main")

        slow, fast, umap = both(tmp_path, PATCHQ_WROTE, change)
        if 5 in ops:  # a record renamed to the end: tomlkit keeps its old blank line
            fast, slow = fast.rstrip("\n"), slow.rstrip("\n")
        assert fast == slow, (ops, slugs)
        assert tomllib.loads(fast) == tomllib.loads(slow) == umap.doc


@pytest.mark.parametrize("wrong", ["[upstream]\npath = 1\n", "not = [toml\n"])
def test_a_fast_text_that_does_not_parse_back_is_not_written(tmp_path, monkeypatch, wrong):
    from patchq import upstream_map

    slow, _, _ = both(tmp_path, PATCHQ_WROTE, rebase_like)
    monkeypatch.setattr(upstream_map, "render", lambda layout, before, after: wrong)
    path = tmp_path / "upstream_map.toml"
    path.write_text(PATCHQ_WROTE)
    umap = UpstreamMap.load_editable(path)
    rebase_like(umap)
    umap.save()
    assert path.read_text() == slow
