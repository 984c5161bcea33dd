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
        for needed in ("pip install patchq", "patchq sync", "patchq report --format html",
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
