"""Hermetic test environment: a temporary HOME and git config, fixed identities and dates,
no tokens, no upstream override from the developer's shell."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import FIXED_DATE

_DROP = ("PATCHQ_UPSTREAM", "GITHUB_TOKEN", "GH_TOKEN", "GIT_DIR", "GIT_WORK_TREE",
         "GIT_INDEX_FILE", "XDG_CONFIG_HOME", "GIT_ASKPASS", "SSH_ASKPASS")


@pytest.fixture(autouse=True)
def hermetic(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    config = home / "gitconfig"
    config.write_text("[user]\n\tname = Test Person\n\temail = test@example.invalid\n"
                      "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")
    for name in _DROP:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Test Person")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "test@example.invalid")
        monkeypatch.setenv(f"GIT_{who}_DATE", FIXED_DATE)
    monkeypatch.setenv("PATCHQ_PLAIN", "1")
    monkeypatch.setenv("TZ", "UTC")
    cwd = os.getcwd()
    yield home
    os.chdir(cwd)


@pytest.fixture
def realdata() -> Path:
    """The directory built by ../shared/realdata/cpython-from-debian (opt-in)."""
    value = os.environ.get("PATCHQ_REALDATA")
    if not value:
        pytest.skip("set PATCHQ_REALDATA=DEST (built by cpython-from-debian) to run")
    path = Path(value)
    if not (path / "cpython" / ".git").is_dir():
        pytest.skip(f"{path}/cpython is not there")
    return path


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver's servers (the fake GitHub) listen on 127.0.0.1, an address the
    token may go to over plain http (patchq.validate.token_url: loopback only)."""
    return ("127.0.0.1", 0)
