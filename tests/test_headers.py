"""The whole-header parser (patchq.headers): each layout real series use, written here by hand
in their shapes (fields after multi-paragraph descriptions, folded lines, both spellings,
pseudo-headers, fields after the diffstat, backport subjects, stacked mails, NEWS entries)."""

from __future__ import annotations

import pytest

from patchq.headers import Forwarding, Layout, RefKind, Where, parse_bytes

DIFF = b"--- a/Lib/x.py\n+++ b/Lib/x.py\n@@ -1 +1 @@\n-a\n+b\n"
GH = "python/cpython"


def news_diff(path: str, text: str = "Fixed it.") -> bytes:
    return (b"--- /dev/null\n+++ b/" + path.encode() + b"\n@@ -0,0 +1 @@\n+" +
            text.encode() + b"\n")


def test_forwarded_after_a_multi_paragraph_description():
    h = parse_bytes(b"Description: Add an install layout\n"
                    b" This option:\n"
                    b"  - installs into dist-packages.\n"
                    b" .\n"
                    b" We install modules there so that admins can build their own.\n"
                    b" .\n"
                    b" Customize site.py too.\n"
                    b"\n"
                    b"Forwarded: not-needed\n\n" + DIFF)
    assert h.layout is Layout.DEP3
    assert h.subject == h.title == "Add an install layout"
    assert h.body == ("This option:\n - installs into dist-packages.\n\nWe install modules "
                      "there so that admins can build their own.\n\nCustomize site.py too.")
    assert h.forwarding is Forwarding.NOT_NEEDED
    assert [(f.name, f.where) for f in h.fields] == \
        [("Description", Where.HEAD), ("Forwarded", Where.BODY)]
    assert h.fields[1].line == 9


def test_forwarded_after_an_indented_free_paragraph():
    h = parse_bytes(b"Description: Call the linker with -O1\n We do it as policy.\n\n"
                    b" Could be forwarded as a configure flag.\n\nForwarded: no\n\n" + DIFF)
    assert h.forwarding is Forwarding.NO and h.forwarded == "no"
    assert h.body == "We do it as policy.\n\nCould be forwarded as a configure flag."


@pytest.mark.parametrize("value,kind", [("not-needed", Forwarding.NOT_NEEDED),
                                        ("not-needed.", Forwarding.NOT_NEEDED),
                                        ("Not-Needed", Forwarding.NOT_NEEDED),
                                        ("no", Forwarding.NO), ("yes", Forwarding.YES),
                                        ("https://example.invalid/x", Forwarding.ADDRESS),
                                        ("sent by mail, no answer", Forwarding.OTHER)])
def test_forwarded_values(value, kind):
    h = parse_bytes(f"Description: X\nForwarded: {value}\n\n".encode() + DIFF)
    assert h.forwarding is kind and h.forwarded == value


def test_no_forwarded_field():
    assert parse_bytes(b"Description: X\n\n" + DIFF).forwarding is Forwarding.NONE


def test_field_names_in_any_case_and_both_spellings():
    h = parse_bytes(b"subject: Use the system libffi\nFROM: Jane Doe <jane@x.invalid>\n"
                    b"bug-upstream: https://github.com/python/cpython/issues/11\n"
                    b"FORWARDED: https://github.com/python/cpython/pull/12\n\n" + DIFF)
    assert h.layout is Layout.DEP3
    assert h.subject == "Use the system libffi"
    assert (h.author_name, h.author_email) == ("Jane Doe", "jane@x.invalid")
    assert h.issue(GH) == 11 and h.pull(GH) == 12
    assert h.field("Bug-Upstream") == "https://github.com/python/cpython/issues/11"


def test_dep3_fields_and_their_links():
    h = parse_bytes(b"Description: Fix a crash\n"
                    b" Longer text.\n"
                    b"Origin: upstream, https://github.com/python/cpython/commit/46cae0208531\n"
                    b"Bug-upstream: https://github.com/python/cpython/issues/106092\n"
                    b"Bug-Debian: https://bugs.debian.org/1050843\n"
                    b"Bug: https://bugs.python.org/issue37744\n"
                    b"Author: Anders Example\n"
                    b"Last-Update: 2023-08-29\n"
                    b"Applied-Upstream: 3.11.5\n\n" + DIFF)
    assert h.issue(GH) == 106092
    assert h.bpo == (37744,)
    assert h.origin_commit(GH) == "46cae0208531"
    assert (h.author_name, h.author_email, h.date) == ("Anders Example", "", "2023-08-29")
    assert h.field("Applied-Upstream") == "3.11.5"
    assert h.field("bug-debian") == "https://bugs.debian.org/1050843"


def test_origin_backport_and_a_fork_s_commit():
    backport = parse_bytes(b"Description: X\nOrigin: backport, https://github.com/python/"
                           b"cpython/commit/f7fceed79ca1bceae8dbe5ba5bc8928564da7211\n\n" + DIFF)
    assert backport.origin_commit(GH) == "f7fceed79ca1bceae8dbe5ba5bc8928564da7211"
    fork = parse_bytes(b"Description: X\nOrigin: Backported from upstream, https://github.com/"
                       b"someone/cpython/commit/a173b50b22b2f884853fcde45fec9bffb0fc5aae\n\n" +
                       DIFF)
    assert fork.origin_commit(GH) == ""  # a fork's commit is not upstream's
    assert fork.origin_commit() == "a173b50b22b2f884853fcde45fec9bffb0fc5aae"
    pull = parse_bytes(b"Description: X\nOrigin: upstream, https://github.com/python/cpython/"
                       b"pull/145440\n\n" + DIFF)
    assert pull.pull(GH) == 145440


def test_forwarded_to_an_issue_a_commit_or_bpo():
    issue = parse_bytes(b"Description: X\nForwarded: https://github.com/python/cpython/"
                        b"issues/5\n\n" + DIFF)
    assert issue.issue(GH) == 5 and issue.pull(GH) is None
    commit = parse_bytes(b"Description: X\nForwarded: https://github.com/python/cpython/"
                         b"commit/c3d679fd398f42a2e489fbe3dab17fac1fb2439c\n\n" + DIFF)
    assert commit.origin_commit(GH) == "c3d679fd398f42a2e489fbe3dab17fac1fb2439c"
    bpo = parse_bytes(b"Description: X\nForwarded: https://bugs.python.org/issue37744\n\n" +
                      DIFF)
    assert bpo.bpo == (37744,) and bpo.issue(GH) is None


def test_links_of_another_repository_are_not_upstream():
    h = parse_bytes(b"Description: X\nBug: https://github.com/pyodide/pyodide/issues/3\n\n" +
                    DIFF)
    assert h.issue(GH) is None and h.issue() == 3


MAIL = (b"From c5b58a47f342e067d7de44eb4aeb3385552314e8 Mon Sep 17 00:00:00 2001\n"
        b"From: Jane Doe <jane@x.invalid>\n"
        b"Date: Sun, 11 Aug 2024 10:43:45 +0200\n"
        b"Subject: [PATCH 1/3] gh-122917 Allow stable API extensions to include a\n"
        b" multiarch tuple in the filename\n"
        b"\n"
        b"This permits stable ABI extensions for several architectures.\n"
        b"\n"
        b"It is listed below the current suffix.\n"
        b"\n"
        b"Forwarded: https://github.com/python/cpython/pull/122917\n"
        b"Bug-Upstream: https://github.com/python/cpython/issues/122931\n"
        b"---\n"
        b" Makefile.pre.in                                | 1 +\n"
        b" .../next/C_API/2024-08-12-09-48-04.gh-issue-122931.QwHc2l.rst  | 2 ++\n"
        b" 2 files changed, 3 insertions(+)\n"
        b" create mode 100644 Misc/NEWS.d/next/C_API/2024-08-12-09-48-04.gh-issue-122931."
        b"QwHc2l.rst\n"
        b"\n"
        b"diff --git a/Makefile.pre.in b/Makefile.pre.in\n"
        b"--- a/Makefile.pre.in\n+++ b/Makefile.pre.in\n@@ -1 +1,2 @@\n a\n+b\n"
        b"diff --git a/Misc/NEWS.d/next/C_API/2024-08-12-09-48-04.gh-issue-122931.QwHc2l.rst "
        b"b/Misc/NEWS.d/next/C_API/2024-08-12-09-48-04.gh-issue-122931.QwHc2l.rst\n"
        b"new file mode 100644\n"
        b"--- /dev/null\n"
        b"+++ b/Misc/NEWS.d/next/C_API/2024-08-12-09-48-04.gh-issue-122931.QwHc2l.rst\n"
        b"@@ -0,0 +1,2 @@\n+Stable ABI extensions may carry a\n+multiarch tuple.\n")


def test_mail_with_pseudo_headers_in_its_body_and_its_own_news_entry():
    h = parse_bytes(MAIL)
    assert h.layout is Layout.MAIL
    assert h.subject == ("gh-122917 Allow stable API extensions to include a multiarch tuple in "
                         "the filename")
    assert h.summary == "Allow stable API extensions to include a multiarch tuple in the filename"
    # the subject's gh-N is the PR Forwarded names, not an issue
    assert h.issue(GH) == 122931 and h.issues(GH) == (122931,)
    assert h.pull(GH) == 122917
    assert h.body == ("This permits stable ABI extensions for several architectures.\n\n"
                      "It is listed below the current suffix.")
    assert [f.name for f in h.fields if f.where is Where.BODY] == ["Forwarded", "Bug-Upstream"]
    (entry,) = h.news
    assert entry.path == "Misc/NEWS.d/next/C_API/2024-08-12-09-48-04.gh-issue-122931.QwHc2l.rst"
    assert (entry.section, entry.issue, entry.text) == \
        ("C_API", 122931, "Stable ABI extensions may carry a\nmultiarch tuple.")
    assert h.commits[0].sha == "c5b58a47f342e067d7de44eb4aeb3385552314e8"
    assert h.origin_commit(GH) == ""  # not a backport: its own commit is no upstream commit


def test_fields_after_the_diffstat():
    h = parse_bytes(b"From c148a68efe54b4452cfec6a65205b83bff5fefb3 Mon Sep 17 00:00:00 2001\n"
                    b'From: "Miss Islington (bot)"\n'
                    b" <31488909+miss-islington@users.noreply.github.com>\n"
                    b"Date: Wed, 25 Jun 2025 20:24:55 +0200\n"
                    b"Subject: [PATCH] [3.13] gh-91555: Revert disabling of logger while\n"
                    b" handling log record. (GH-135858) (GH-135911)\n"
                    b"\n"
                    b"Co-authored-by: Vinay Example <vinay@x.invalid>\n"
                    b"---\n"
                    b" Lib/logging/__init__.py | 28 ++-----\n"
                    b" Misc/NEWS.d/3.13.4.rst  |  2 +-\n"
                    b" 2 files changed, 3 insertions(+), 27 deletions(-)\n"
                    b"\n"
                    b"Origin: upstream, https://github.com/python/cpython/commit/"
                    b"c148a68efe54b4452cfec6a65205b83bff5fefb3\n"
                    b"Bug-Upstream: https://github.com/python/cpython/issues/91555"
                    b"#issuecomment-2975624512\n"
                    b"\n" + DIFF)
    assert (h.author_name, h.author_email) == \
        ("Miss Islington (bot)", "31488909+miss-islington@users.noreply.github.com")
    assert h.subject == ("[3.13] gh-91555: Revert disabling of logger while handling log "
                         "record. (GH-135858) (GH-135911)")
    assert h.branch == "3.13"
    assert h.summary == "Revert disabling of logger while handling log record."
    assert h.issue(GH) == 91555
    assert h.pulls(GH) == (135911, 135858)  # the PR that made this commit first
    assert h.origin_commit(GH) == "c148a68efe54b4452cfec6a65205b83bff5fefb3"
    assert [(f.name, f.where) for f in h.fields if f.where is not Where.HEAD] == [
        ("Co-authored-by", Where.BODY), ("Origin", Where.AFTER_STAT),
        ("Bug-Upstream", Where.AFTER_STAT)]
    assert h.co_authors == ("Vinay Example <vinay@x.invalid>",)
    assert h.body == ""
    assert h.news == ()  # a change to a released NEWS file is not the patch's own entry


def test_backport_mail_names_its_own_commit_and_cherry_pick():
    h = parse_bytes(b"From 59f33e82ff8f530cfe589ca47a6fdff538d1a1d3 Mon Sep 17 00:00:00 2001\n"
                    b"From: =?UTF-8?q?B=C3=A9n=C3=A9dikt=20Example?= <b@x.invalid>\n"
                    b"Date: Sun, 29 Mar 2026 15:07:15 +0200\n"
                    b"Subject: [PATCH] [3.13] gh-146080: fix a crash in SNI callbacks when the\n"
                    b" SSL object is gone (GH-146573) (#146598)\n\n"
                    b"(cherry picked from commit 24db78c5329dd405460bfdf76df380ced6231353)\n"
                    b"---\n Modules/_ssl.c | 2 +-\n\n" + DIFF)
    assert h.author_name == "B\u00e9n\u00e9dikt Example"
    assert h.issue(GH) == 146080 and h.pull(GH) == 146598
    assert [c.sha for c in h.origin_commits] == [
        "24db78c5329dd405460bfdf76df380ced6231353", "59f33e82ff8f530cfe589ca47a6fdff538d1a1d3"]
    assert h.origin_commit(GH) == "24db78c5329dd405460bfdf76df380ced6231353"


def test_cherry_picked_from_several_commits():
    h = parse_bytes(b"From: A <a@x.invalid>\nSubject: [3.13] gh-1: Fix leaks (#3)\n\n"
                    b"Cherry picked from commits 3a2a686cc45de2fb685ff332b7b914f27f660680\n"
                    b"and 1decc7ee20cf6dce61e07cd8463ed87c1eb5fcd7 with minor amendments.\n"
                    b"---\n" + DIFF)
    assert [c.sha for c in h.origin_commits][:2] == [
        "3a2a686cc45de2fb685ff332b7b914f27f660680", "1decc7ee20cf6dce61e07cd8463ed87c1eb5fcd7"]


def test_subject_forms():
    h = parse_bytes(b"From: A <a@x.invalid>\nSubject: [3.11] [CVE-2023-27043] gh-102988: "
                    b"Reject malformed addresses (GH-111116) (#123767)\n\n---\n" + DIFF)
    assert (h.branch, h.issue(GH), h.pulls(GH)) == ("3.11", 102988, (123767, 111116))
    two = parse_bytes(b"From: A <a@x.invalid>\nSubject: [3.11] gh-113171: gh-65056: Fix "
                      b"ranges (GH-113179)\n\n---\n" + DIFF)
    assert two.issues(GH) == (113171, 65056)
    cve = parse_bytes(b"From: A <a@x.invalid>\nSubject: [3.13] gh-145599, CVE 2026-3644: "
                      b"Reject control characters (GH-145600) (#146024)\n\n---\n" + DIFF)
    assert (cve.issue(GH), cve.summary) == (145599, "Reject control characters")
    old = parse_bytes(b"Description: [3.11] GH-102126: fix deadlock at shutdown (GH-102222)\n"
                      b" (cherry picked from commit 5f11478ce7fda826d399530af4c5ca96c592f144)\n"
                      b"\n" + DIFF)
    assert (old.issue(GH), old.pull(GH), old.origin_commit(GH)) == \
        (102126, 102222, "5f11478ce7fda826d399530af4c5ca96c592f144")


def test_a_title_github_cut_is_taken_whole_from_the_body():
    h = parse_bytes(b"From: A <a@x.invalid>\nSubject: [3.11] gh-102281: Fix potential nullptr "
                    b"dereference + use of uninitia\xe2\x80\xa6 (#103040)\n\n"
                    b"[3.11] gh-102281: Fix potential nullptr dereference + use of "
                    b"uninitialized memory (gh-102282)\nMore.\n---\n" + DIFF)
    assert h.summary == "Fix potential nullptr dereference + use of uninitialized memory"
    assert h.body == "More."
    assert h.pulls(GH) == (103040, 102282)


def test_git_log_layout():
    h = parse_bytes(b"commit a956e510f6336d5ae111ba429a61c3ade30a7549\n"
                    b"Author: Miss Islington (bot) <31488909+miss-islington@users.noreply.github"
                    b".com>\n"
                    b"Date:   Thu Jan 11 10:24:47 2024 +0100\n"
                    b"\n"
                    b"    [3.11] gh-109858: Protect zipfile from zipbombs (GH-110016) "
                    b"(GH-113913)\n"
                    b"    \n"
                    b"    Raise BadZipFile when an entry overlaps another.\n"
                    b"    (cherry picked from commit 66363b9a7b9fe7c99eba3a185b74c5fdbf842eba)\n"
                    b"    \n"
                    b"    Co-authored-by: Serhiy Example <s@x.invalid>\n"
                    b"\n"
                    b"Fixes: CVE-2024-0450\n"
                    b"\n"
                    b"Bug-Debian: https://bugs.debian.org/1070133\n"
                    b"Bug-Upstream: https://github.com/python/cpython/issues/109858\n"
                    b"\n" + DIFF)
    assert h.layout is Layout.GIT_LOG
    assert h.summary == "Protect zipfile from zipbombs"
    assert h.author_name == "Miss Islington (bot)"
    assert h.body.startswith("Raise BadZipFile when an entry overlaps another.")
    assert "Co-authored-by" not in h.body and "Bug-Debian" not in h.body
    assert h.field("Fixes") == "CVE-2024-0450"
    assert h.issue(GH) == 109858 and h.pull(GH) == 113913
    assert h.origin_commit(GH) == "66363b9a7b9fe7c99eba3a185b74c5fdbf842eba"
    assert h.commits[0].sha == "a956e510f6336d5ae111ba429a61c3ade30a7549"


def test_dpatch_comments():
    h = parse_bytes(b"# DP: Build the bootstrap python without -fPIE, when\n"
                    b"# DP: the compiler defaults to it.\n\nNeeds forwarding.\n\n" + DIFF)
    assert h.layout is Layout.DPATCH
    assert h.subject == "Build the bootstrap python without -fPIE, when"
    assert h.title == "Build the bootstrap python without -fPIE, when the compiler defaults to it."
    assert h.body == "Needs forwarding."
    plain = parse_bytes(b"# ntpath not in python-minimal\n\n" + DIFF)
    assert plain.subject == "ntpath not in python-minimal"


def test_a_synopsis_that_runs_on_into_the_next_line():
    h = parse_bytes(b"Description: Keep the lib-dynload dir in place when configuring with\n"
                    b" --libdir=/usr/lib/$(DEB_HOST_MULTIARCH)\n The extensions are named.\n"
                    b"\n" + DIFF)
    assert h.subject == "Keep the lib-dynload dir in place when configuring with"
    assert h.title == ("Keep the lib-dynload dir in place when configuring with "
                       "--libdir=/usr/lib/$(DEB_HOST_MULTIARCH)")
    assert h.body == "The extensions are named."
    whole = parse_bytes(b"Description: Degrade tempfile without shutil\n python3.X-minimal "
                        b"lacks shutil.\n\n" + DIFF)
    assert whole.title == "Degrade tempfile without shutil"


def test_stacked_mails_are_commits():
    h = parse_bytes(b"From ddcd2acd85d891a53e281c773b3093f9db953964 Mon Sep 17 00:00:00 2001\n"
                    b"From: A <a@x.invalid>\nDate: Fri, 5 Dec 2025 16:24:38 +0100\n"
                    b"Subject: [PATCH] [3.13] gh-142145: Remove quadratic behavior (#142210)\n"
                    b"\n\n"
                    b"From 86747f1a1a7b4f0ea2d47fe94b841c224bae5073 Mon Sep 17 00:00:00 2001\n"
                    b"From: B <b@x.invalid>\nDate: Sun, 21 Dec 2025 00:56:59 +0100\n"
                    b"Subject: [PATCH] [3.13] gh-142754: Ensure the ownerDocument attribute "
                    b"(#142819)\n\n" + DIFF +
                    b"From 0123456789012345678901234567890123456789 Mon Sep 17 00:00:00 2001\n"
                    b"From: C <c@x.invalid>\nSubject: [PATCH] [3.13] gh-9: Third\n\n"
                    b"Bug-Debian: https://bugs.debian.org/1\n---\n" + DIFF)
    assert [c.subject for c in h.commits] == [
        "[3.13] gh-142145: Remove quadratic behavior (#142210)",
        "[3.13] gh-142754: Ensure the ownerDocument attribute (#142819)",
        "[3.13] gh-9: Third"]
    assert h.issues(GH) == (142145, 142754, 9)
    assert h.issue(GH) == 142145 and h.pull(GH) == 142210
    assert h.field("Bug-Debian") == "https://bugs.debian.org/1"
    assert (h.author_name, h.subject) == ("A", ("[3.13] gh-142145: Remove quadratic behavior "
                                               "(#142210)"))


def test_text_that_looks_like_a_field_is_text():
    h = parse_bytes(b"Debian: Add our install schemes to sysconfig\n\nThis adds two schemes:\n"
                    b"1. deb_system: the installed layout.\n\n" + DIFF)
    assert h.layout is Layout.PLAIN
    assert h.subject == "Debian: Add our install schemes to sysconfig"
    assert h.fields == ()
    assert h.body == "This adds two schemes:\n1. deb_system: the installed layout."


def test_a_known_field_inside_a_text_paragraph_is_a_field():
    h = parse_bytes(b"From: A <a@x.invalid>\nSubject: Fix it\n\nSome words.\n"
                    b"Forwarded: https://github.com/python/cpython/pull/7\nMore words.\n---\n" +
                    DIFF)
    assert h.pull(GH) == 7
    assert h.body == "Some words.\nMore words."


def test_own_news_entries():
    h = parse_bytes(b"Description: Fix a crash\n\n" + DIFF +
                    news_diff("Misc/NEWS.d/next/Core and Builtins/2023-07-18-16-13-51.gh-issue-"
                              "106092.bObgRM.rst") +
                    news_diff("Misc/NEWS.d/next/Library/2020-01-01-00-00-00.bpo-4.abcdef.rst"))
    assert [(e.section, e.issue, e.bpo) for e in h.news] == \
        [("Core_and_Builtins", 106092, None), ("Library", None, 4)]
    assert h.issue(GH) == 106092
    quilt = parse_bytes(b"Description: X\n\n--- /dev/null\n+++ python3.13/Misc/NEWS.d/next/"
                        b"Build/2024-12-04-10-00-35.gh-issue-127545.t0THjE.rst\t2024-12-04\n"
                        b"@@ -0,0 +1 @@\n+Fix the build.\n")
    assert [(e.path, e.section, e.text) for e in quilt.news] == [
        ("Misc/NEWS.d/next/Build/2024-12-04-10-00-35.gh-issue-127545.t0THjE.rst", "Build",
         "Fix the build.")]
    changed = parse_bytes(b"Description: X\n\n--- a/Misc/NEWS.d/next/Build/2024-12-04-10-00-35."
                          b"gh-issue-1.t0THjE.rst\n+++ b/Misc/NEWS.d/next/Build/2024-12-04-10-00-"
                          b"35.gh-issue-1.t0THjE.rst\n@@ -1 +1 @@\n-a\n+b\n")
    assert changed.news == ()  # changing an entry is not adding one


def test_no_header_crlf_and_latin1():
    assert parse_bytes(DIFF).layout is Layout.NONE
    assert parse_bytes(DIFF).subject == ""
    crlf = parse_bytes(b"Description: CRLF everywhere\r\n Why.\r\n\r\nForwarded: no\r\n\r\n" +
                       DIFF)
    assert (crlf.subject, crlf.body, crlf.forwarded) == ("CRLF everywhere", "Why.", "no")
    latin = parse_bytes("Description: Caf\u00e9\nAuthor: Lo\u00efc Example\n\n".encode("latin-1")
                        + DIFF)
    assert (latin.subject, latin.author_name) == ("Caf\u00e9", "Lo\u00efc Example")


def test_refs_carry_their_source():
    h = parse_bytes(MAIL)
    sources: dict = {}
    for ref in h.refs:
        sources.setdefault((ref.kind, ref.number), ref.source)
    assert sources[(RefKind.PR, 122917)] == "Forwarded"
    assert sources[(RefKind.ISSUE, 122931)] == "Bug-Upstream"


def test_origin_vendor_is_the_downstream_s_own():
    h = parse_bytes(b"Description: X\nOrigin: vendor, https://github.com/pyodide/pyodide/pull/3\n"
                    b"Forwarded: https://github.com/python/cpython/pull/4\n\n" + DIFF)
    assert h.pulls() == (4,)
