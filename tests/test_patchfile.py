"""One patch file: every header style of docs/design.md §4 and the edge cases real series have."""

from __future__ import annotations

import pytest

from patchq import patchfile
from patchq.errors import SeriesError
from patchq.model import Description

DIFF = (b"diff --git a/Python/pylifecycle.c b/Python/pylifecycle.c\n"
        b"index 26fbd0a1111111111111111111111111111111..cec6f942222222222222222222222222222222 100644\n"
        b"--- a/Python/pylifecycle.c\n"
        b"+++ b/Python/pylifecycle.c\n"
        b"@@ -1,3 +1,3 @@ init_sys_streams(PyThreadState *tstate)\n"
        b" a\n-b\n+B\n c\n")

FORMAT_PATCH = (
    b"From 17fce4fd44292e9325ac09e6b905b6390da0a38b Mon Sep 17 00:00:00 2001\n"
    b"From: Ben Wasmer <ben@pyodide.invalid>\n"
    b"Date: Tue, 21 Feb 2023 11:30:00 +0000\n"
    b"Subject: [PATCH 2/5] Make the standard streams configurable for an\n"
    b" embedder\n"
    b"\n"
    b"A browser has no file descriptors of its own.\n"
    b"\n"
    b"Second paragraph.\n"
    b"---\n"
    b" Python/pylifecycle.c | 2 +-\n"
    b" 1 file changed, 1 insertion(+), 1 deletion(-)\n"
    b"\n" + DIFF + b"-- \n2.39.5\n\n")


def test_format_patch_with_folded_subject_body_and_signature():
    p = patchfile.parse(FORMAT_PATCH)
    assert p.style == patchfile.MAIL
    d = p.description
    assert d.subject == "Make the standard streams configurable for an embedder"
    assert d.body == "A browser has no file descriptors of its own.\n\nSecond paragraph."
    assert (d.author_name, d.author_email) == ("Ben Wasmer", "ben@pyodide.invalid")
    assert d.date == "Tue, 21 Feb 2023 11:30:00 +0000"
    assert p.header + p.diff == FORMAT_PATCH
    assert p.diff.startswith(b"diff --git a/Python/pylifecycle.c")
    assert p.preamble.endswith(b"Second paragraph.\n")
    stats = patchfile.diff_stats(p.diff)
    assert [(s.path, s.added, s.removed, s.status) for s in stats] == \
        [("Python/pylifecycle.c", 1, 1, "modified")]


def test_format_patch_without_signature_and_without_body():
    data = (b"From 17fce4fd44292e9325ac09e6b905b6390da0a38b Mon Sep 17 00:00:00 2001\n"
            b"From: Ada Lovecraft <ada@pyodide.invalid>\nDate: Mon, 1 May 2023 10:00:00 +0200\n"
            b"Subject: [PATCH] Public pymain_run_python\n\n---\n"
            b" Python/pylifecycle.c | 2 +-\n 1 file changed\n\n" + DIFF)
    p = patchfile.parse(data)
    assert p.description.subject == "Public pymain_run_python"
    assert p.description.body == ""
    assert p.description.message() == "Public pymain_run_python\n"
    assert p.description.date == "Mon, 1 May 2023 10:00:00 +0200"
    assert p.diff.endswith(b" c\n")
    assert len(patchfile.diff_stats(p.diff)) == 1


def test_mime_encoded_author_and_subject():
    data = (b"From: =?UTF-8?q?Jos=C3=A9=20M?= <j@x.invalid>\n"
            b"Subject: [PATCH v2 3/4] =?UTF-8?q?Caf=C3=A9?= support\n\n" + DIFF)
    d = patchfile.parse(data).description
    assert d.author_name == "José M"
    assert d.subject == "Café support"


def test_patch_tags_are_stripped_but_others_are_kept():
    assert patchfile.strip_patch_tag("[PATCH v3 07/12] [3.13] gh-1: fix") == "[3.13] gh-1: fix"
    assert patchfile.strip_patch_tag("[RFC PATCH] x") == "x"
    assert patchfile.strip_patch_tag("[3.12] y") == "[3.12] y"


def test_extra_mail_headers_are_kept_as_fields():
    data = (b"From: A <a@x>\nSubject: s\nX-Debbugs-Cc: someone@debian.org\n"
            b"Message-Id: <1@x>\n\n" + DIFF)
    p = patchfile.parse(data)
    assert p.field("x-debbugs-cc") == "someone@debian.org"
    assert p.field("Message-Id") == "<1@x>"


DEP3 = (b"Description: Debian: Adjust locations of directories to debian policy\n"
        b" Longer text,\n"
        b" over lines.\n"
        b" .\n"
        b" Second paragraph.\n"
        b"Author: Matthias Klose <doko@debian.org>\n"
        b"Origin: upstream, https://github.com/python/cpython/pull/1234\n"
        b"Bug: https://github.com/python/cpython/issues/99\n"
        b"Forwarded: not-needed\n"
        b"Applied-Upstream: 3.14\n"
        b"Last-Update: 2024-05-01\n"
        b"\n"
        b"--- a/Lib/pydoc.py\n+++ b/Lib/pydoc.py\n@@ -1 +1,2 @@\n a\n+b\n")


def test_dep3_fields():
    p = patchfile.parse(DEP3)
    assert p.style == patchfile.DEP3
    d = p.description
    assert d.subject == "Debian: Adjust locations of directories to debian policy"
    assert d.body == "Longer text,\nover lines.\n\nSecond paragraph."
    assert (d.author_name, d.author_email) == ("Matthias Klose", "doko@debian.org")
    assert d.date == "Wed, 1 May 2024 00:00:00 +0000"
    assert p.field("Forwarded") == "not-needed"
    assert p.field("applied-upstream") == "3.14"
    assert p.field("Origin").endswith("/pull/1234")
    assert p.header + p.diff == DEP3


def test_dep3_subject_and_from_variant_with_free_text():
    data = (b"From: Someone <s@x>\nSubject: Use the system libffi\nForwarded: no\n\n"
            b"Some more words after the fields.\n\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    p = patchfile.parse(data)
    assert p.style == patchfile.DEP3
    assert p.description.subject == "Use the system libffi"
    assert p.description.body == "Some more words after the fields."
    assert p.description.author == "Someone <s@x>"


def test_plain_header_and_no_header():
    plain = patchfile.parse(b"Fix the build on hppa.\nWhy it breaks.\n\n--- a/x\n+++ b/x\n"
                            b"@@ -1 +1 @@\n-a\n+b\n")
    assert plain.style == patchfile.PLAIN
    assert (plain.description.subject, plain.description.body) == \
        ("Fix the build on hppa.", "Why it breaks.")
    bare = patchfile.parse(b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n", fallback_subject="slug")
    assert bare.style == patchfile.NONE
    assert bare.description.subject == "slug"
    assert bare.header == b""


def test_index_lines_separators_and_p0():
    data = (b"Description: p0 with Index lines\n\n"
            b"Index: Lib/site.py\n"
            b"===================================================================\n"
            b"--- Lib/site.py.orig\t2024-01-01 00:00:00.000000000 +0000\n"
            b"+++ Lib/site.py\t2024-01-01 00:00:00.000000000 +0000\n"
            b"@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
            b"Index: Lib/os.py\n"
            b"===================================================================\n"
            b"--- Lib/os.py.orig\n+++ Lib/os.py\n@@ -1 +1,2 @@\n a\n+b\n")
    p = patchfile.parse(data)
    assert p.header == b"Description: p0 with Index lines\n\n"
    assert p.diff.startswith(b"Index: Lib/site.py\n")
    stats = patchfile.diff_stats(p.diff, strip=0)
    assert [(s.path, s.added, s.removed) for s in stats] == \
        [("Lib/site.py", 1, 1), ("Lib/os.py", 1, 0)]


def test_separator_line_alone_starts_the_diff():
    data = b"Some words\n" + b"=" * 67 + b"\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    p = patchfile.parse(data)
    assert p.header == b"Some words\n"


def test_renames_new_deleted_and_binary_files():
    diff = (b"diff --git a/old.txt b/new.txt\n"
            b"similarity index 90%\nrename from old.txt\nrename to new.txt\n"
            b"index 1111111..2222222 100644\n--- a/old.txt\n+++ b/new.txt\n"
            b"@@ -1 +1,2 @@\n a\n+b\n"
            b"diff --git a/added.txt b/added.txt\nnew file mode 100644\n"
            b"index 0000000..3333333\n--- /dev/null\n+++ b/added.txt\n@@ -0,0 +1 @@\n+new\n"
            b"diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n"
            b"index 4444444..0000000\n--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-old\n"
            b"diff --git a/img.bin b/img.bin\n"
            b"index 5555555555555555555555555555555555555555..6666666666666666666666666666666666666666"
            b" 100644\nGIT binary patch\nliteral 8\nPcmeZB4Ds@0W`F<yGqC?f\n\n"
            b"literal 7\nOcmeZB4Dt>B0007!X8{=i\n\n")
    p = patchfile.parse(b"From: a <a@x>\nSubject: many kinds\n\n" + diff)
    assert p.diff == diff
    stats = {s.path: (s.status, s.added, s.removed) for s in patchfile.diff_stats(p.diff)}
    assert stats == {"new.txt": ("renamed", 1, 0), "added.txt": ("added", 1, 0),
                     "gone.txt": ("removed", 0, 1), "img.bin": ("binary", 0, 0)}


def test_binary_only_patch_starts_at_git_binary_patch_line():
    data = b"Subject: bin\n\nGIT binary patch\nliteral 0\nHcmV?d00001\n\n"
    p = patchfile.parse(data)
    assert p.diff.startswith(b"GIT binary patch")


def test_crlf_lines_survive_byte_for_byte():
    data = (b"Description: CRLF everywhere\r\nForwarded: no\r\n\r\n"
            b"--- a/win.bat\r\n+++ b/win.bat\r\n@@ -1,2 +1,2 @@\r\n echo a\r\n-echo b\r\n"
            b"+echo c\r\n")
    p = patchfile.parse(data)
    assert p.header + p.diff == data
    assert p.style == patchfile.DEP3
    assert p.description.subject == "CRLF everywhere"
    assert p.field("Forwarded") == "no"
    assert [(s.added, s.removed) for s in patchfile.diff_stats(p.diff)] == [(1, 1)]


def test_crlf_content_in_an_lf_patch():
    data = b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\r\n+b\r\n"
    p = patchfile.parse(data)
    assert p.diff == data
    assert patchfile.diff_stats(p.diff)[0].added == 1


def test_non_utf8_bytes_in_header_and_diff():
    data = ("Description: Fix the café\nAuthor: José Latin <jl@x>\n\n".encode("latin-1") +
            b"--- a/latin.txt\n+++ b/latin.txt\n@@ -1 +1 @@\n-caf\xe9\n+caf\xe9 cr\xe8me\n")
    p = patchfile.parse(data)
    assert p.raw == data and p.header + p.diff == data
    assert p.description.subject == "Fix the café"
    assert p.description.author_name == "José Latin"
    assert [(s.path, s.added, s.removed) for s in patchfile.diff_stats(p.diff)] == \
        [("latin.txt", 1, 1)]


def test_no_newline_at_end_of_file():
    data = (b"--- a/nonl.txt\n+++ b/nonl.txt\n@@ -1 +1 @@\n-old\n"
            b"\\ No newline at end of file\n+new\n\\ No newline at end of file\n")
    p = patchfile.parse(data)
    assert p.diff == data
    assert [(s.added, s.removed) for s in patchfile.diff_stats(p.diff)] == [(1, 1)]


def test_empty_description_and_empty_patch():
    header_only = patchfile.parse(b"Description: nothing to apply yet\n", "slug")
    assert header_only.is_empty
    assert header_only.description.subject == "nothing to apply yet"
    nothing = patchfile.parse(b"", "the-slug")
    assert nothing.is_empty and nothing.description.subject == "the-slug"
    no_subject = patchfile.parse(b"From: a <a@x>\nSubject: \n\n" + DIFF, "fallback")
    assert no_subject.description.subject == "fallback"


def test_a_diff_that_does_not_parse_is_a_clear_error():
    with pytest.raises(SeriesError) as info:
        patchfile.diff_stats(b"--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n-a\n+b\n")
    assert "does not parse" in str(info.value)


def test_render_is_format_patch_style_without_numbering_or_signature():
    desc = Description("gh-1: Fix it", "Because.\n\nReally.", "Ada Lovecraft", "ada@x.invalid",
                       "Tue, 21 Feb 2023 11:30:00 +0000")
    out = patchfile.render(desc, b" x | 2 +-\n 1 file changed\n\n" + DIFF)
    assert out.startswith(patchfile.ZERO_FROM + b"From: Ada Lovecraft <ada@x.invalid>\n"
                          b"Date: Tue, 21 Feb 2023 11:30:00 +0000\nSubject: gh-1: Fix it\n\n"
                          b"Because.\n\nReally.\n---\n x | 2 +-\n")
    assert b"[PATCH" not in out and b"\n-- \n" not in out
    again = patchfile.parse(out)
    assert again.description == desc
    assert again.diff == DIFF


def test_render_non_ascii_declares_utf8():
    desc = Description("Café", "", "José", "j@x", "")
    out = patchfile.render(desc, DIFF)
    assert b"Content-Type: text/plain; charset=UTF-8\n" in out
    assert patchfile.parse(out).description.author_name == "José"


def test_render_keeps_the_original_preamble_when_the_description_is_the_same():
    original = patchfile.parse(DEP3)
    out = patchfile.render(original.description, b" stat\n\n" + DIFF, original,
                           same_description=True)
    assert out.startswith(original.preamble + b"---\n stat\n")


def test_render_rewrites_a_dep3_description_and_keeps_the_other_fields():
    original = patchfile.parse(DEP3)
    desc = Description("New subject", "New body.\n\nTwo.")
    out = patchfile.render(desc, DIFF, original)
    text = out.decode()
    assert text.startswith("Description: New subject\n New body.\n .\n Two.\n"
                           "Author: Matthias Klose <doko@debian.org>\n")
    for field in (b"Forwarded: not-needed", b"Bug: https://github.com/python/cpython/issues/99",
                  b"Applied-Upstream: 3.14", b"Last-Update: 2024-05-01"):
        assert field in out
    again = patchfile.parse(out)
    assert again.style == patchfile.DEP3
    assert (again.description.subject, again.description.body) == ("New subject",
                                                                   "New body.\n\nTwo.")


def test_render_keeps_extra_mail_headers_of_people():
    original = patchfile.parse(b"From: A <a@x>\nDate: Mon, 1 May 2023 10:00:00 +0000\n"
                               b"Subject: old\nX-Debbugs-Cc: someone@debian.org\n\n" + DIFF)
    out = patchfile.render(Description("new", "", "A", "a@x", "Mon, 1 May 2023 10:00:00 +0000"),
                           DIFF, original)
    assert b"X-Debbugs-Cc: someone@debian.org\n" in out
    assert patchfile.parse(out).description.subject == "new"


def test_redescribe_keeps_the_diff_part_byte_for_byte():
    original = patchfile.parse(FORMAT_PATCH)
    desc = Description("A new subject", "", "Ben Wasmer", "ben@pyodide.invalid",
                       "Tue, 21 Feb 2023 11:30:00 +0000")
    out = patchfile.redescribe(desc, original)
    assert out.endswith(FORMAT_PATCH[FORMAT_PATCH.index(b"---\n"):])
    assert patchfile.parse(out).description.subject == "A new subject"


def test_the_fast_count_equals_unidiffs_on_every_sample_patch(tmp_path):
    from spine_data import build_sources

    sources = build_sources(tmp_path)
    compared = 0
    for directory in (sources.format_patch, sources.quilt):
        for path in sorted(directory.iterdir()):
            if path.name == "series" or not path.is_file():
                continue
            parsed = patchfile.parse(path.read_bytes(), path.stem)
            if parsed.is_empty:
                continue
            strip = 0 if "p0" in path.name else 1
            assert patchfile.diff_stats(parsed.diff, strip) == \
                patchfile.unidiff_stats(parsed.diff, strip), path.name
            compared += 1
    assert compared >= 6


def test_a_quilt_orig_directory_is_not_a_rename():
    diff = (b"--- pkg.orig/Lib/x.py\n+++ pkg/Lib/x.py\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n"
            b"--- /dev/null\n+++ pkg/Lib/new.py\n@@ -0,0 +1 @@\n+n\n")
    assert patchfile.diff_stats(diff) == (
        patchfile.FileStat("Lib/x.py", 1, 1, "modified"),
        patchfile.FileStat("Lib/new.py", 1, 0, "added"))
    assert patchfile.unidiff_stats(diff)[0].status == "renamed"  # what unidiff alone says


def _by_email_utils(author: str, date: str) -> tuple[tuple[str, str], str]:
    """What the header parser gave before its fast paths: email.utils alone."""
    import email.utils
    import re
    from datetime import timezone

    value = patchfile._decode_mime(" ".join(author.split()))
    name, addr = email.utils.parseaddr(value)
    if not name and not addr:
        who = (value.strip(), "")
    elif not name and "@" not in addr:
        who = (addr, "")
    else:
        who = (name or addr.split("@")[0], addr)
    try:
        parsed = email.utils.parsedate_to_datetime(date.strip())
    except (TypeError, ValueError, IndexError):
        return who, patchfile._normalize_date(date)  # ISO and unreadable dates: one path
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return who, re.sub(r"^(\w+), 0(\d) ", r"\1, \2 ", email.utils.format_datetime(parsed))


def test_plain_authors_and_git_dates_read_as_email_utils_reads_them():
    """The fast paths for "Name <address>" and git's own dates give what email.utils gives,
    over a seeded mix of well-formed and odd headers."""
    import random
    from datetime import datetime, timedelta

    rng = random.Random(3)
    alphabet = "aZ9 ._+-'\"<>()@,;:\\[]Łé!#$%&*=?^`{|}~/"
    fast = 0
    for _ in range(20000):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 8)))
        local = "".join(rng.choice("ab9._+-'\"()") for _ in range(rng.randrange(1, 6)))
        domain = "".join(rng.choice("ab9.-") for _ in range(rng.randrange(1, 6)))
        author = f"{name} <{local}@{domain}>"
        moment = datetime(1990, 1, 1) + timedelta(seconds=rng.randrange(2_000_000_000))
        zone = rng.choice(["+0000", "-0000", "+0530", "-0800", "+1400", "-1500", "+2400"])
        day = moment.strftime("%d") if rng.random() < .2 else str(moment.day)
        weekday = rng.choice(["Mon", "Sun"]) if rng.random() < .1 else \
            ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[moment.weekday()]
        date = f"{weekday}, {day} {moment:%b %Y %H:%M:%S} {zone}"
        fast += bool(patchfile._PLAIN_AUTHOR.fullmatch(" ".join(author.split()))) + \
            patchfile._is_git_date(date)
        got = (patchfile._split_author(author), patchfile._normalize_date(date))
        assert got == _by_email_utils(author, date), (author, date)
    assert fast > 10000  # the fast paths were taken, not only email.utils


@pytest.mark.realdata
def test_real_series_headers_read_as_email_utils_reads_them():
    """Every From and Date header of Debian's and conda-forge's series, both ways."""
    import os
    from pathlib import Path

    roots = [Path(os.environ["PATCHQ_REALDATA"]) / "debian"] if os.environ.get(
        "PATCHQ_REALDATA") else []
    roots.append(Path(__file__).resolve().parents[2] / "shared" / "realdata" / "conda-forge")
    headers = []
    for root in roots:
        for path in root.rglob("*.patch") if root.is_dir() else ():
            text = path.read_bytes().decode("utf-8", "replace")
            author = next((ln[6:] for ln in text.splitlines()[:40] if ln.startswith("From: ")),
                          None)
            date = next((ln[6:] for ln in text.splitlines()[:40] if ln.startswith("Date: ")),
                        "")
            if author:
                headers.append((author, date))
    if not headers:
        pytest.skip("set PATCHQ_REALDATA=DEST (built by cpython-from-debian) to run")
    for author, date in headers:
        got = (patchfile._split_author(author), patchfile._normalize_date(date))
        assert got == _by_email_utils(author, date), (author, date)
