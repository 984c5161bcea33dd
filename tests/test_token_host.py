"""The token goes only over https to the configured GitHub's host: a fork URL in the map (a
committed file anyone can change in a pull request) or on the command line that names another
host, or plain http, is refused before anything is sent, and the token is never sent there."""

from __future__ import annotations

import base64
import re

import draft_data
import pytest
import tomlkit
from draft_data import draft_template_fixture  # noqa: F401
from helpers import patchq, refs_snapshot
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from patchq.errors import ForgeError
from patchq.forge import GitHubForge
from patchq.validate import github_host, token_api, token_url

STREAMS = "Make-the-standard-streams-configurable-for-an-embedd"
CANARY = "ghp_CANARYhost0123456789abcdefXYZ"


@pytest.mark.parametrize("url, api", [
    ("https://github.com/me/cpython.git", None),
    ("https://GitHub.com/me/cpython", "https://api.github.com"),
    ("https://ghe.example.com/me/cpython.git", "https://ghe.example.com/api/v3"),
    ("http://127.0.0.1:9999/fork.git", "http://127.0.0.1:8888"),  # a test server, both local
    ("git@github.com:me/cpython.git", None),  # ssh: the token is never given to it
    ("/srv/git/fork.git", None),
])
def test_allowed(url, api):
    assert token_url(url, api) == url


@pytest.mark.parametrize("url, api, message", [
    ("http://github.com/me/cpython.git", None, "over plain http"),
    ("https://evil.example.com/me/cpython.git", None, "it goes only to github.com"),
    ("http://127.0.0.1:9999/loot.git", None, "it goes only to github.com"),
    ("https://github.com.evil.example/x.git", None, "it goes only to github.com"),
    ("https://github.com/me/cpython.git", "https://ghe.example.com/api/v3",
     "it goes only to ghe.example.com"),
    ("http://ghe.example.com/me/cpython.git", "http://ghe.example.com/api/v3", "plain http"),
])
def test_refused(url, api, message):
    with pytest.raises(ForgeError, match=message) as err:
        token_url(url, api)
    assert "\n" not in str(err.value)


def test_github_host():
    assert github_host(None) == "github.com"
    assert github_host("http://127.0.0.1:5/") == "127.0.0.1"


def test_the_api_gets_the_token_only_over_https_or_loopback():
    token_api("https://ghe.example.com/api/v3")
    token_api("http://127.0.0.1:8080")
    token_api("http://[::1]:8080")
    with pytest.raises(ForgeError, match="goes only over https"):
        token_api("http://ghe.example.com/api/v3")
    with pytest.raises(ForgeError, match="goes only over https"):
        GitHubForge(token=CANARY, url="http://localhost.evil.example/api/v3")
    GitHubForge(url="http://ghe.example.com/api/v3")  # no token: nothing to protect


@pytest.fixture
def thief():
    """A plain-http server on 127.0.0.1 that asks for credentials and keeps what it gets."""
    seen: list[str] = []

    def handler(request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            seen.append(base64.b64decode(auth[6:]).decode())
        return Response("", status=401, headers={"WWW-Authenticate": 'Basic realm="x"'})

    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(re.compile(".*")).respond_with_handler(handler)
    server.start()
    yield server.url_for("/attacker/loot.git"), seen, server
    server.clear()
    server.stop()


def _set_fork_url(repo, url):
    path = repo / "upstream_map.toml"
    doc = tomlkit.parse(path.read_text())
    doc["upstream"]["fork_url"] = url
    path.write_text(tomlkit.dumps(doc))


@pytest.mark.parametrize("how", ["map", "option"])
@pytest.mark.parametrize("verb", ["--push", "--open"])
def test_a_fork_url_elsewhere_never_gets_the_token(draft_template, tmp_path, monkeypatch,
                                                   thief, how, verb):
    repo, up = draft_data.fresh(draft_template, tmp_path, monkeypatch)
    url, seen, server = thief
    extra = ["--fork-url", url] if how == "option" else []
    if how == "map":
        _set_fork_url(repo, url)
    monkeypatch.setenv("GITHUB_TOKEN", CANARY)
    before = refs_snapshot(up)
    res = patchq("-C", str(repo), "draft", STREAMS, verb, *extra)
    assert res.code == 1, res.text
    err = res.err.strip().splitlines()
    assert len(err) == 1 and "refusing to send the GitHub token to 127.0.0.1" in err[0]
    assert "unset GITHUB_TOKEN" in err[0] and CANARY not in res.text
    assert seen == [] and server.log == []  # nothing was even asked of the server
    assert refs_snapshot(up) == before


def test_without_a_token_nothing_is_at_risk(draft_template, tmp_path, monkeypatch, thief):
    """No token: the push goes out without credentials (and fails here: the server wants
    some) -- nothing secret was sent."""
    repo, _ = draft_data.fresh(draft_template, tmp_path, monkeypatch)
    url, seen, _ = thief
    _set_fork_url(repo, url)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    res = patchq("-C", str(repo), "draft", STREAMS, "--push")
    assert res.code == 1 and "cannot reach the fork" in res.err
    assert seen == []


def test_the_credential_helper_answers_only_for_the_url_patchq_checked(tmp_path):
    """A redirect to another host gets nothing: the helper answers for one protocol and
    host only."""
    import subprocess

    from patchq.git import CREDENTIAL_HELPER, TOKEN_ENV, TOKEN_HOST_ENV, TOKEN_PROTOCOL_ENV

    env = {"PATH": "/usr/bin:/bin", TOKEN_ENV: CANARY, TOKEN_HOST_ENV: "github.com",
           TOKEN_PROTOCOL_ENV: "https"}

    def ask(request: str) -> str:
        return subprocess.run(["sh", "-c", CREDENTIAL_HELPER[1:] + ' "$@"', "helper", "get"],
                              input=request, env=env, capture_output=True, text=True,
                              check=True).stdout

    assert CANARY in ask("protocol=https\nhost=github.com\n\n")
    assert ask("protocol=https\nhost=evil.example\n\n") == ""
    assert ask("protocol=http\nhost=github.com\n\n") == ""
    assert ask("protocol=https\nhost=github.com.evil\n\n") == ""
