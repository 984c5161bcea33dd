"""docs/report.md and its example workflows say what the report really does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import report_sample
from helpers import patchq

DOCS = Path(__file__).resolve().parent.parent / "docs"


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", (DOCS / "report.md").read_text(), re.DOTALL)


@pytest.mark.parametrize(("index", "name"), [(0, "weekly-report.yml"), (1, "pr-lint.yml")])
def test_the_example_workflows_are_the_ones_the_doc_shows(index, name):
    shipped = (DOCS / "examples" / name).read_text()
    assert shipped.split("\n", 1)[1] == yaml_blocks()[index]
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(shipped)
    steps = [s.get("run", "") + s.get("uses", "") for job in workflow["jobs"].values()
             for s in job["steps"]]
    text = "\n".join(steps)
    if name == "weekly-report.yml":
        assert "schedule" in workflow[True]  # YAML 1.1 reads the key `on` as True
        for needed in ('pip install "patchq @ git+https://', "patchq sync", "patchq report --format html",
                       "actions/upload-artifact", "git add patchq-history.jsonl", "git push"):
            assert needed in text
    else:
        assert "pull_request" in workflow[True]
        assert "lint --check-export" in text


def test_every_json_key_is_documented(tmp_path, monkeypatch):
    monkeypatch.setenv("PATCHQ_NOW", report_sample.NOW)
    repo = report_sample.build(tmp_path / "p")
    res = patchq("-C", str(repo), "report", "-f", "json", "--no-record")
    assert res.code == 0, res.text
    data = json.loads(res.out)
    doc = (DOCS / "report.md").read_text()
    keys: set[str] = set()

    def walk(value, dynamic: bool = False) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if not dynamic:
                    keys.add(key)
                # upstream refs and counts are keyed by data, not by the schema
                walk(item, dynamic=key in ("upstream",) and not dynamic)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    missing = sorted(k for k in keys if f"`{k}`" not in doc and not re.search(
        rf"[{{ ,]{re.escape(k)}[,}} ]", doc))
    assert not missing, f"undocumented JSON keys: {missing}"


PINNED = re.compile(r'pip install "patchq @ git\+https://[^"@\s]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})"')


@pytest.mark.parametrize("name", ["weekly-report.yml", "pr-lint.yml"])
def test_the_workflows_install_patchq_pinned_from_its_repository(name):
    """A bare `pip install patchq` would run whatever a public index serves under that name in
    a job holding a token."""
    text = (DOCS / "examples" / name).read_text()
    installs = [ln.strip() for ln in text.splitlines() if "pip install" in ln
                and not ln.strip().startswith("#")]
    assert installs and all(PINNED.search(ln) for ln in installs), installs
    for doc in DOCS.rglob("*.md"):
        assert not re.search(r"(?<!`)pip install patchq\b(?! @)", doc.read_text()), doc


def test_the_pr_lint_workflow_runs(tmp_path, monkeypatch):
    """The lint job's own patchq commands, run as the workflow runs them (from the patch repo,
    with the upstream clone at ../cpython), pass on a series that is up to date."""
    import shlex

    import draft_data

    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((DOCS / "examples" / "pr-lint.yml").read_text())
    commands = [s["run"] for job in workflow["jobs"].values() for s in job["steps"]
                if s.get("run", "").startswith("patchq ")]
    assert commands
    built = draft_data.template(tmp_path / "built")
    repo, _ = draft_data.fresh(built, tmp_path, monkeypatch)
    for command in commands:
        res = patchq(*shlex.split(command)[1:], cwd=repo)
        assert res.code == 0, (command, res.text)
