"""Small named helpers that build real git repositories and run patchq in-process."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

FIXED_DATE = "2024-01-02T03:04:05+00:00"


def git(repo: Path, *args: str, input: bytes | None = None, check: bool = True) -> str:
    """Run git in ``repo`` and return its stdout (stripped)."""
    res = subprocess.run(["git", *args], cwd=repo, input=input, capture_output=True, check=False)
    if check and res.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {res.stderr.decode()}")
    return res.stdout.decode("utf-8", "surrogateescape").strip()


def write(root: Path, files: dict[str, str | bytes | None]) -> None:
    """Write (or delete, for None) files under ``root``."""
    for name, content in files.items():
        path = root / name
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def commit(repo: Path, files: dict[str, str | bytes | None], message: str,
           date: str = FIXED_DATE, author: str = "Test Person <test@example.invalid>") -> str:
    """Change files and commit; returns the commit id."""
    write(repo, files)
    git(repo, "add", "-A")
    env = dict(os.environ, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", message, f"--author={author}"],
                   cwd=repo, check=True, env=env)
    return git(repo, "rev-parse", "HEAD")


def numbered_lines(prefix: str, count: int = 30) -> str:
    return "".join(f"{prefix} line {i}\n" for i in range(1, count + 1))


def make_upstream(path: Path, files: dict[str, str | bytes] | None = None,
                  tag: str = "v1.0") -> Path:
    """A small upstream: one commit on main with ``files`` (default: a few CPython-ish files),
    tagged ``tag``; branch 3.11 points at it too."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    commit(path, files or {
        "Python/pylifecycle.c": numbered_lines("pylifecycle"),
        "Lib/platform.py": numbered_lines("platform"),
        "README.rst": "This is Python\n",
    }, "Initial")
    if tag:
        git(path, "tag", tag)
    git(path, "branch", "3.11")
    return path


def format_patch(repo: Path, rev_range: str, out: Path) -> list[Path]:
    """``git format-patch`` a range into ``out`` (Pyodide's layout)."""
    out.mkdir(parents=True, exist_ok=True)
    git(repo, "format-patch", "-q", "-o", str(out), rev_range)
    return sorted(out.iterdir())


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def patchq(*args: str, cwd: Path | None = None, input: str | None = None) -> Run:
    """Run patchq in-process like a user would (same error handling and exit codes)."""
    from click.testing import CliRunner

    from patchq.cli import main

    runner = CliRunner()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with runner.isolation(input=input) as streams:
            code = main(list(args))
            out = streams[0].getvalue().decode("utf-8", "replace")
            err = streams[1].getvalue().decode("utf-8", "replace") if streams[1] else ""
    finally:
        os.chdir(old)
    return Run(code, out, err)


def tree_snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (but .git) with its bytes: compare before and after."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def refs_snapshot(repo: Path) -> str:
    """All refs and HEAD of a repository: compare before and after."""
    return git(repo, "show-ref") + "\nHEAD " + git(repo, "rev-parse", "HEAD") + " " + \
        git(repo, "symbolic-ref", "-q", "HEAD", check=False)


def patch_repo(tmp: Path, upstream: Path, *extra: str) -> Path:
    """``patchq init`` a patch repo next to ``upstream``."""
    root = tmp / "patches"
    root.mkdir(exist_ok=True)
    res = patchq("-C", str(root), "init", "--upstream", str(upstream), *extra)
    assert res.code == 0, res.text
    return root


def demo_sample(tmp: Path):
    """The demo's upstream and Pyodide-like patches, without running any step."""
    from patchq.commands.demo import build_sample

    return build_sample(tmp / "demo")


def real_patch_repo(realdata: Path, tmp: Path, *init_args: str) -> tuple[Path, Path]:
    """A clone of the real CPython (never the real data itself) and a patch repo `patchq
    init`ed on it: (patch repo, clone)."""
    subprocess.run(["git", "clone", "-q", str(realdata / "cpython"), str(tmp / "cpython")],
                   check=True)
    repo = tmp / "patches"
    repo.mkdir()
    git(repo, "init", "-q")
    res = patchq("-C", str(repo), "init", "--upstream", "../cpython", *init_args)
    assert res.code == 0, res.text
    return repo, tmp / "cpython"


def conda_forge_dir(realdata: Path | None = None) -> Path | None:
    """conda-forge's own CPython series (``3.13.5/``, ``3.13.14/``): PATCHQ_CONDA_FORGE, else
    ``conda-forge`` under the real data, else ``../shared/realdata/conda-forge`` beside the
    checkout; None when none is there (the tests that need it skip)."""
    root = Path(__file__).resolve().parents[1]
    given = os.environ.get("PATCHQ_CONDA_FORGE")
    candidates = [Path(given)] if given else [
        *([realdata / "conda-forge"] if realdata else []),
        root.parent / "shared" / "realdata" / "conda-forge",
        root.parent.parent / "shared" / "realdata" / "conda-forge"]
    return next((p for p in candidates if (p / "3.13.5" / "series").is_file()), None)


def load_map(repos) -> dict:
    """The patch repo's map as plain data (tomllib; tomlkit on Python 3.10)."""
    text = (repos.patches / "upstream_map.toml").read_text()
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomlkit

        return tomlkit.parse(text).unwrap()
    return tomllib.loads(text)
