"""Every --json document patchq prints carries its versioned schema key, and every field it
has is documented in docs/json.md: run each command with --json on the demo sample."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from fake_github import fake_github_fixture  # noqa: F401
from helpers import demo_sample, patchq

from patchq import json_schema
from patchq.cli import cli

DOC = Path(__file__).resolve().parents[1] / "docs" / "json.md"
STREAMS = "Make-the-standard-streams-configurable-for-an-embedd"


def json_commands(group: click.Group = cli, prefix: str = "") -> set[str]:
    """The commands that have a --json option (``upstream list`` as ``upstream-list``)."""
    out = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out |= json_commands(command, f"{prefix}{name}-")
        elif any(isinstance(p, click.Option) and "--json" in p.opts for p in command.params):
            out.add(prefix + name)
    return out


def documented() -> dict[str, set[str]]:
    """schema name -> the fields docs/json.md lists under its heading (``key`` and
    ``list[].key`` rows of its table)."""
    out: dict[str, set[str]] = {}
    current: set[str] | None = None
    for line in DOC.read_text().splitlines():
        if line.startswith("#"):
            names = re.findall(r"`(patchq-[a-z-]+/\d+)`", line)
            current = set() if names else None  # one table for the schemas of a heading
            for name in names:
                out[name] = current
            continue
        row = re.match(r"^\| `([^`]+)` \|", line)
        if row and current is not None:
            current.add(row.group(1))
    return out


def fields(data: dict) -> set[str]:
    """The top-level keys, and the keys of the objects of top-level lists (``key[].sub``)."""
    out = set(data)
    for key, value in data.items():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    out |= {f"{key}[].{sub}" for sub in item}
    return out


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, list[tuple[tuple[str, ...], dict]]]:
    """verb -> [(arguments, the JSON it printed)] for every --json way of the demo."""
    sample = demo_sample(tmp_path_factory.mktemp("json"))
    repo = sample.patch_repo
    runs: dict[str, list[tuple[tuple[str, ...], dict]]] = {}

    def run(*args: str, codes=(0,)) -> dict:
        res = patchq("-C", str(repo), *args)
        assert res.code in codes, (args, res.text)
        data = json.loads(res.out)
        verb = "upstream-list" if args[:2] == ("upstream", "list") else args[0]
        runs.setdefault(verb, []).append((args, data))
        return data

    assert patchq("-C", str(repo), "init", "--upstream", "../cpython", "--github",
                  "python/cpython", "--fork", "pyodide-bot/cpython").code == 0
    run("import", str(sample.incoming), "--track", "3.11", "--base", "v3.11.2", "--json")
    run("import", str(sample.incoming), "--track", "3.12", "--base", "3.12", "--json")
    run("list", "--json")
    run("checkout", "3.11", "--json")
    run("export", "3.11", "--dry-run", "--json")
    run("lint", "3.11", "--json")
    run("lint", "--json", "--no-apply", codes=(0, 1))
    run("pop", "2", "--json")
    for verb in ("applied", "unapplied", "top", "next", "previous", "series"):
        run(verb, "--json")
    run("files", "--json")
    run("push", "--json")
    run("push", "-a", "--json")
    run("push", "--json", codes=(2,))
    run("record", STREAMS, "disposition=upstreamable", "--json")
    run("record", STREAMS, "--json")
    run("status", "3.11", "--against", "main", "--no-write", "--json")
    run("compare", "3.11", "3.12", "--json")
    run("rebase", "3.11", "--onto", "v3.11.3", "--dry-run", "--json")
    run("rebase", "--status", "--json")
    run("draft", STREAMS, "--track", "3.11", "--json")
    run("draft", "--all", "--json", codes=(0, 1))
    run("rebase", "3.11", "--onto", "v3.11.3", "--json")
    run("upstream", "list", "--json")
    run("log", STREAMS, "--json")
    runs["sync-repo"] = [((), {"repo": str(repo)})]
    return runs


def test_every_json_command_is_declared_and_run(outputs):
    commands = json_commands()
    assert commands == set(json_schema.VERSIONS), "declare each --json verb's schema"
    assert commands - {"sync"} <= set(outputs), "run each --json command in this test"


def test_every_document_has_its_schema_and_documented_fields(outputs):
    docs = documented()
    for verb, items in outputs.items():
        if verb == "sync-repo":
            continue
        want = json_schema.name(verb)
        assert want in docs, f"docs/json.md has no section for {want}"
        for args, data in items:
            assert next(iter(data)) == "schema" and data["schema"] == want, args
            missing = fields(data) - docs[want]
            assert not missing, f"{' '.join(args)}: not in docs/json.md: {sorted(missing)}"


def test_sync_json(outputs, fake_github):
    repo = outputs["sync-repo"][0][1]["repo"]
    fake_github.add_issue("python/cpython", 101234, "platform.system() is empty",
                          state="closed", labels=("type-bug",))
    fake_github.add_pull("python/cpython", 10, "Make the standard streams configurable",
                         draft=True)
    assert patchq("-C", repo, "record", STREAMS, "pr=#10").code == 0
    res = patchq("-C", repo, "sync", "--github-url", fake_github.url, "--no-search", "--json")
    assert res.code == 0, res.text
    data = json.loads(res.out)
    assert data["schema"] == "patchq-sync/1"
    assert {p["slug"] for p in data["patches"] if "pr" in p} == {STREAMS}
    assert not fields(data) - documented()["patchq-sync/1"]


def test_every_declared_schema_is_documented():
    docs = documented()
    assert {json_schema.name(v) for v in json_schema.VERSIONS} | {"patchq-report/1"} <= \
        set(docs) | {"patchq-report/1"}
    assert "patchq-report/1" in DOC.read_text()  # pointed to docs/report.md


def test_report_json_has_its_schema(outputs):
    repo = outputs["sync-repo"][0][1]["repo"]
    res = patchq("-C", repo, "report", "-f", "json", "--no-record")
    assert res.code == 0, res.text
    assert json.loads(res.out)["schema"] == "patchq-report/1"


def test_document_wraps_lists_and_keeps_schema_first():
    assert json_schema.document("list", [{"slug": "a"}]) == {
        "schema": "patchq-list/1", "patches": [{"slug": "a"}]}
    data = json_schema.document("record", {"slug": "a", "schema": "old"})
    assert list(data) == ["schema", "slug"] and data["schema"] == "patchq-record/1"
    with pytest.raises(KeyError):
        json_schema.name("nosuch")
