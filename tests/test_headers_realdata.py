"""Opt-in: the whole-header parser on every patch of the real series available (Debian 3.11.2,
3.13.5, 3.13.15 under PATCHQ_REALDATA; conda-forge 3.13.5 and 3.13.14 under
PATCHQ_REALDATA/conda-forge or PATCHQ_CONDA_FORGE). What must hold for every patch is checked
against a plain line scan of the file; then the figures issue 11 names for Debian 3.13.5."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import conda_forge_dir, patchq, real_patch_repo

from patchq import headers, patchfile
from patchq.header_layouts import known_field

pytestmark = pytest.mark.realdata

GH = "python/cpython"
DEBIAN = ("3.11.2", "3.13.5", "3.13.15")
CONDA = ("3.13.5", "3.13.14")

_FIELD_LINE = re.compile(r"^(?: {4})?([A-Za-z][A-Za-z0-9_-]*):(\s|$)")
_DIFFSTAT = re.compile(r"^ \S.* +\| +\d+|^ \d+ files? changed")
_GITHUB = re.compile(r"github\.com/python/cpython/(issues|pull)/(\d+)")
_CHERRY = re.compile(r"cherry[ -]picked from commits? ([0-9a-f]{7,40})", re.IGNORECASE)


def series(directory: Path) -> list[Path]:
    names = [line.split()[0] for line in (directory / "series").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    return [directory / name for name in names]


def every_series(realdata: Path) -> list[tuple[str, Path]]:
    out = [(f"debian/{v}", realdata / "debian" / v) for v in DEBIAN
           if (realdata / "debian" / v / "series").is_file()]
    cf = conda_forge_dir(realdata)
    if cf is not None:
        out += [(f"conda-forge/{v}", cf / v) for v in CONDA if (cf / v / "series").is_file()]
    return out


def header_regions(data: bytes) -> list[tuple[int, str]]:
    """(line number, text) of every line a header can be on: before the first diff, and
    each later mail's header (a file of several format-patch mails)."""
    text = data.decode("utf-8", "replace").splitlines()
    out, inside = [], True
    for number, line in enumerate(text, 1):
        if re.match(r"^From [0-9a-f]{40} ", line):
            inside = True
        elif inside and (line.startswith(("diff --git ", "Index: ")) or
                         (line.startswith("--- ") and number < len(text) and
                          text[number].startswith("+++ "))):
            inside = False
        if inside:
            out.append((number, line))
    return out


def test_every_patch_of_every_real_series(realdata):
    found = every_series(realdata)
    assert found, "no real series found"
    checked = 0
    for name, directory in found:
        for path in series(directory):
            data = path.read_bytes()
            h = headers.parse(patchfile.parse(data, path.name))
            where = f"{name}/{path.name}"
            region = header_regions(data)
            # no field lost: every line a plain scan takes as a known field is a field
            scanned = {n for n, line in region
                       if (m := _FIELD_LINE.match(line)) and known_field(m.group(1))}
            parsed = {f.line for f in h.fields}
            assert scanned <= parsed, (where, sorted(scanned - parsed))
            # every Forwarded: line, and its value as written
            forwarded = [line.split(":", 1)[1].strip() for _, line in region
                         if line.lower().startswith("forwarded:")]
            assert [f.value for f in h.fields if f.key == "forwarded"] == forwarded, where
            # every upstream link of a field is a reference
            for _, line in region:
                m = _FIELD_LINE.match(line)
                if not m or not known_field(m.group(1)):
                    continue
                for kind, number in _GITHUB.findall(line):
                    kinds = {headers.RefKind.ISSUE if kind == "issues" else headers.RefKind.PR}
                    assert any(r.number == int(number) and r.kind in kinds for r in h.refs), \
                        (where, line)
            # every cherry-picked commit is an origin commit
            text = "\n".join(line for _, line in region)
            for sha in _CHERRY.findall(text):
                assert sha in {c.sha for c in h.origin_commits}, (where, sha)
            # the subject is never a header line, a diffstat, a separator or a commit line
            for title in (h.subject, h.title, h.summary):
                if h.layout is not headers.Layout.NONE:
                    assert title.strip(), where
                m = _FIELD_LINE.match(title)
                assert not (m and known_field(m.group(1))), (where, title)
                assert not _DIFFSTAT.match(" " + title), (where, title)
                assert not title.startswith(("#", "---", "From ", "commit ")), (where, title)
            # the body holds no field line
            for line in h.body.splitlines():
                m = _FIELD_LINE.match(line)
                assert not (m and known_field(m.group(1))), (where, line)
            # every NEWS entry the patch adds (a new file) is read, with its number
            added = re.findall(r"^--- (?:/dev/null|\S+\t1970-01-01[^\n]*)\n\+\+\+ \S*?"
                               r"(Misc/NEWS\.d/next/[^\t\n]*?\.(?:gh-issue|bpo)-\d+[^\t\n]*)",
                               data.decode("utf-8", "replace"), re.MULTILINE)
            assert sorted(e.path for e in h.news) == sorted(added), where
            checked += 1
    assert checked >= 62


def test_debian_3_13_5_figures(realdata):
    directory = realdata / "debian" / "3.13.5"
    if not (directory / "series").is_file():
        pytest.skip("no Debian 3.13.5 series")
    read = {p.name: headers.parse(patchfile.parse(p.read_bytes(), p.name))
            for p in series(directory)}
    not_needed = [n for n, h in read.items() if h.forwarding is headers.Forwarding.NOT_NEEDED]
    assert len(not_needed) == 15
    pulls = {n: h.pull(GH) for n, h in read.items()}
    assert pulls["stable-abi-multiarch.diff"] == 122917
    assert pulls["test-freeze-strip-libdir.diff"] == 124916
    assert read["stable-abi-multiarch.diff"].issue(GH) == 122931  # gh-122917 is the PR
    gc = read["gchead-alignment.diff"]
    assert gc.issue(GH) == 127545
    assert [(e.section, e.issue) for e in gc.news] == [("Build", 127545)]
    assert read["makefile-bootstrap.diff"].layout is headers.Layout.DPATCH
    # every [3.13] gh-N backport names its issue and PR
    backports = [h for h in read.values() if h.branch == "3.13"]
    assert len(backports) >= 30
    assert all(h.issue(GH) and h.pull(GH) and h.origin_commit(GH) for h in backports)


def test_debian_3_13_5_import_records_the_headers(realdata, tmp_path):
    if not (realdata / "debian" / "3.13.5" / "series").is_file():
        pytest.skip("no Debian 3.13.5 series")
    repo, _ = real_patch_repo(realdata, tmp_path, "--github", GH)
    res = patchq("-C", str(repo), "import", str(realdata / "debian" / "3.13.5"), "--track",
                 "3.13", "--base", "v3.13.5")
    assert res.code == 0, res.text
    from patchq.upstream_map import UpstreamMap

    records = UpstreamMap.load(repo / "upstream_map.toml").doc.unwrap()["patches"]
    downstream = [s for s, r in records.items() if r["disposition"] == "downstream-only"]
    assert len(downstream) == 15
    assert all(records[s]["forwarded"].rstrip(".") == "not-needed" for s in downstream)
    assert records["stable-abi-multiarch"]["pr"] == "python/cpython#122917"
    assert records["stable-abi-multiarch"]["issue"] == "python/cpython#122931"
    assert records["test-freeze-strip-libdir"]["pr"] == "python/cpython#124916"
    assert records["gchead-alignment"]["issue"] == "python/cpython#127545"
    assert records["gchead-alignment"]["news"].startswith("Misc/NEWS.d/next/Build/")
    assert "issue" not in records["makefile-bootstrap"]
    # a backport names the upstream commit and its PR
    assert records["ssl-sni-crash"]["origin_commit"] == "24db78c5329dd405460bfdf76df380ced6231353"
    assert records["ssl-sni-crash"]["pr"] == "python/cpython#146598"
