"""patchq's one store of state (``.git/patchq/`` of the upstream clone): the lock, the
refusal of writers while an operation is in progress, the journal of export, and the
one-line errors of a store that is not as patchq left it. Real repositories, real processes
where a process matters (concurrency, kill -9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import git
from rebase_data import FEW_KINDS, NOW, build_synth

from patchq import store
from patchq.git import Git


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    return build_synth(root / "synth", root / "home", **FEW_KINDS)


@pytest.fixture
def repos(template, tmp_path, monkeypatch):
    monkeypatch.setenv("PATCHQ_NOW", NOW)
    monkeypatch.setenv("PATCHQ_LOCK_WAIT", "0.3")
    return template.copy(tmp_path / "r")


def slugs(repos) -> list[str]:
    return list(repos.expected)


def run(repos, *args, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    """patchq in a real process (bytes allowed in ``args``)."""
    return subprocess.run([sys.executable, "-m", "patchq", "-C", str(repos.patches), *args],
                          env=dict(os.environ, **(env or {})), capture_output=True,
                          timeout=120, check=False, **kw)


def err_line(res) -> str:
    text = res.stderr.decode() if isinstance(res.stderr, bytes) else res.stderr
    lines = text.strip().splitlines()
    assert len(lines) == 1, text  # one clear line
    return lines[0]


def store_dir(repos) -> Path:
    return repos.upstream / ".git" / "patchq"


def the_map(repos) -> str:
    return (repos.patches / "upstream_map.toml").read_text()


def stopped_rebase(repos) -> None:
    res = repos.run("rebase", "main", "--onto", "v1.1")
    assert res.code == 1 and "stopped at patch" in res.out, res.text


# -- an operation in progress refuses every other writer ----------------------------------------


WRITERS = [
    ("import", lambda s: ("import", "{side}", "--track", "side", "--base", "v1.0")),
    ("export", lambda s: ("export", "main")),
    ("checkout", lambda s: ("checkout", "main")),
    ("status", lambda s: ("status", "main")),
    ("sync", lambda s: ("sync", "--no-search", "--github-url", "http://127.0.0.1:9")),
    ("draft", lambda s: ("draft", s[0])),
]


@pytest.mark.parametrize("name,args", WRITERS, ids=[w[0] for w in WRITERS])
def test_a_stopped_rebase_refuses_writers_and_abort_loses_nothing(repos, tmp_path, name, args):
    side = tmp_path / "side"
    side.mkdir()
    first = min((repos.patches / "series" / "main").glob("*.patch"))
    (side / first.name).write_bytes(first.read_bytes())
    stopped_rebase(repos)
    map_during = the_map(repos)
    words = [w.replace("{side}", str(side)) for w in args(slugs(repos))]
    res = repos.run(*words)
    assert res.code == 1, res.text
    line = res.err.strip().splitlines()[-1]  # (sync says first that it reads anonymously)
    assert line.startswith("patchq: error: a patchq rebase of track main is in progress")
    assert "patchq rebase --continue" in line
    assert the_map(repos) == map_during and not (repos.patches / "series" / "side").exists()
    before_rebase = git(repos.patches, "show", "HEAD:upstream_map.toml")
    assert repos.run("rebase", "--abort").code == 0
    assert the_map(repos).rstrip("\n") == before_rebase  # nothing was written that --abort could undo
    assert repos.run(*words).code in (0, 1)  # and now the writer runs (offline ones succeed)


def test_status_no_write_looks_during_a_rebase(repos):
    stopped_rebase(repos)
    res = repos.run("status", "main", "--no-write")
    assert res.code == 0, res.text
    res = repos.run("status", "main")
    assert res.code == 1 and "--no-write" in res.err


def test_a_record_during_a_stopped_rebase_survives_abort(repos):
    """record changes only people-owned fields: a stopped rebase takes the edit along (its
    backup of the map gets it too), so --abort puts back everything but the edit."""
    original = repos.snapshot()
    stopped_rebase(repos)
    res = repos.run("record", slugs(repos)[0], "notes=IMPORTANT-NOTE", "--track", "main")
    assert res.code == 0, res.text
    assert repos.run("rebase", "--abort").code == 0
    assert "IMPORTANT-NOTE" in the_map(repos)
    # all else is as before the rebase: undo the note by hand and compare
    assert repos.run("record", slugs(repos)[0], "notes=", "--track", "main").code == 0
    assert repos.snapshot() == original


def test_a_record_during_a_stopped_rebase_survives_its_end(repos):
    stopped_rebase(repos)
    assert repos.run("record", slugs(repos)[-1], "notes=IMPORTANT-NOTE").code == 0
    for _ in range(4):
        if repos.run("rebase", "--skip").code == 0:
            break
    assert repos.run("rebase", "--status").out.strip() == "no rebase in progress"
    text = the_map(repos)
    assert "IMPORTANT-NOTE" in text and 'last_rebase' in text


def test_only_a_stopped_rebase_carries_map_edits():
    """A stopped push or an edit (their journals hold the map they will write) and a rebase
    already writing the series refuse record."""
    assert not store.carries_map_edits({"verb": "push", "phase": "stopped"}, None, None)
    assert not store.carries_map_edits({"verb": "edit", "phase": "editing"}, None, None)
    assert not store.carries_map_edits({"verb": "rebase", "phase": "finishing",
                                        "patch_repo": "."}, None, None)


# -- the lock --------------------------------------------------------------------------------


def test_concurrent_records_both_persist(repos, monkeypatch):
    monkeypatch.setenv("PATCHQ_LOCK_WAIT", "60")
    a, b = slugs(repos)[0], slugs(repos)[-1]
    for trial in range(4):
        procs = [subprocess.Popen([sys.executable, "-m", "patchq", "-C", str(repos.patches),
                                   "record", slug, f"notes={tag}-{trial}"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for slug, tag in ((a, "AAA"), (b, "BBB"))]
        codes = [p.wait(timeout=120) for p in procs]
        assert codes == [0, 0], [p.stderr.read() for p in procs]
        text = the_map(repos)
        assert f"AAA-{trial}" in text and f"BBB-{trial}" in text, f"trial {trial}"


def test_a_writer_waits_for_the_lock_then_reads_the_map_afresh(repos, monkeypatch):
    monkeypatch.setenv("PATCHQ_LOCK_WAIT", "60")
    a, b = slugs(repos)[0], slugs(repos)[-1]
    clone = Git(repos.upstream)
    with store.locked(clone):
        waiting = subprocess.Popen([sys.executable, "-m", "patchq", "-C", str(repos.patches),
                                    "record", a, "notes=SECOND"], stderr=subprocess.PIPE)
        time.sleep(1.0)
        assert waiting.poll() is None  # it waits for the lock
        # meanwhile this holder changes the map (as another record would)
        assert repos.run("record", b, "notes=FIRST").code == 0  # reentrant: same process
    assert waiting.wait(timeout=60) == 0
    text = the_map(repos)
    assert "FIRST" in text and "SECOND" in text
    assert not (store_dir(repos) / "lock").exists()


def test_an_empty_lock_file_is_not_taken(repos):
    store_dir(repos).mkdir(exist_ok=True)
    (store_dir(repos) / "lock").write_text("")
    before = git(repos.upstream, "rev-parse", "HEAD")
    res = run(repos, "pop", "-q", text=True)
    assert res.returncode == 1
    line = err_line(res)
    assert "holds no pid" in line and "remove it if no patchq command is running" in line
    assert git(repos.upstream, "rev-parse", "HEAD") == before


def test_a_lock_of_a_live_process_refuses_naming_it(repos):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        store_dir(repos).mkdir(exist_ok=True)
        (store_dir(repos) / "lock").write_text(f"{sleeper.pid} patchq rebase\n")
        res = run(repos, "record", slugs(repos)[0], "notes=X", text=True)
        assert res.returncode == 1
        line = err_line(res)
        assert f"pid {sleeper.pid}" in line and "patchq rebase" in line
        assert "notes = \"X\"" not in the_map(repos)
    finally:
        sleeper.kill()
        sleeper.wait()
    # the pid is dead now: the lock is stale and taken over
    res = run(repos, "record", slugs(repos)[0], "notes=X", text=True)
    assert res.returncode == 0, res.stderr
    assert not (store_dir(repos) / "lock").exists()


def test_the_lock_file_never_exists_without_its_pid(repos):
    """A process takes and releases the lock over and over; every read of the lock file
    that finds it finds a pid."""
    code = ("import sys; from patchq.git import Git; from patchq import store\n"
            "g = Git(sys.argv[1])\n"
            "for _ in range(300):\n"
            "    with store.locked(g): pass\n")
    lock = store_dir(repos) / "lock"
    store_dir(repos).mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", code, str(repos.upstream)])
    seen = 0
    while proc.poll() is None:
        try:
            text = lock.read_text()
        except FileNotFoundError:
            continue
        seen += 1
        assert text.split()[0] == str(proc.pid), repr(text)
    assert proc.wait() == 0 and seen > 0
    assert not lock.exists()


def test_the_lock_is_reentrant_and_released_by_the_outermost(repos):
    clone = Git(repos.upstream)
    lock = store_dir(repos) / "lock"
    with store.locked(clone):
        with store.locked(clone):
            assert lock.read_text().split()[0] == str(os.getpid())
        assert lock.exists()  # the inner one did not release it
    assert not lock.exists()


def test_a_newer_store_layout_is_refused(repos):
    store_dir(repos).mkdir(exist_ok=True)
    (store_dir(repos) / "version").write_text("99\n")
    res = repos.run("record", slugs(repos)[0], "notes=X")
    assert res.code == 1 and "layout version '99'" in res.err
    assert "notes" not in the_map(repos)


# -- export: all or nothing across kill -9 --------------------------------------------------------


def _downstream_commits(repos) -> None:
    for i in (1, 2):
        path = repos.upstream / "src" / f"added{i}.c"
        path.write_text(f"int added{i};\n")
        git(repos.upstream, "add", "-A")
        git(repos.upstream, "commit", "-q", "-m", f"Add downstream fix {i}")


def _series(repos) -> dict[str, bytes]:
    out = {p.relative_to(repos.patches).as_posix(): p.read_bytes()
           for p in sorted((repos.patches / "series").rglob("*")) if p.is_file()}
    out["upstream_map.toml"] = (repos.patches / "upstream_map.toml").read_bytes()
    return out


@pytest.mark.parametrize("step", ["journaled", "branch-moved", "file-written",
                                  "files-written", "recorded"])
def test_export_killed_is_finished_by_the_next_run(repos, tmp_path, step):
    _downstream_commits(repos)
    reference = repos.copy(tmp_path / "reference")
    assert reference.run("export", "main").code == 0
    expected = _series(reference)
    before = _series(repos)
    assert expected != before

    res = run(repos, "export", "main", env={"PATCHQ_TEST_CRASH_AT": step})
    assert res.returncode == -9
    assert json.loads((store_dir(repos) / "operation.json").read_text())["verb"] == "export"
    # a temp file a kill inside a write leaves behind
    stray = repos.patches / "series" / "main" / ".series.k2j9x0ab"
    stray.write_bytes(b"half")
    # a reader sees the half-done export as in progress, a writer finishes it
    res = repos.run("export", "main")
    assert res.code == 0, res.text
    assert "finished the interrupted patchq export of track main first" in res.err
    assert _series(repos) == expected
    assert not stray.exists()
    assert not (store_dir(repos) / "operation.json").exists()


def test_export_killed_before_the_journal_changes_nothing(repos):
    _downstream_commits(repos)
    before = _series(repos)
    res = run(repos, "export", "main", env={"PATCHQ_TEST_CRASH_AT": "planned"})
    assert res.returncode == -9
    assert _series(repos) == before
    assert not (store_dir(repos) / "operation.json").exists()


def test_export_removes_only_stray_temp_files(repos):
    series = repos.patches / "series" / "main"
    (series / ".series.abcd1234").write_bytes(b"left by a kill")
    (series / ".upstream_map.toml.zz").write_bytes(b"not one of ours")
    (series / ".keep").write_bytes(b"the user's")
    (repos.patches / ".upstream_map.toml.q1w2e3r4").write_bytes(b"left by a kill")
    assert repos.run("export", "main").code == 0
    assert not (series / ".series.abcd1234").exists()
    assert not (repos.patches / ".upstream_map.toml.q1w2e3r4").exists()
    assert (series / ".keep").exists() and (series / ".upstream_map.toml.zz").exists()


# -- rebase: a stale index.lock, a kill before the conflict is checked out ------------------------


def test_an_index_lock_a_process_holds_gives_gits_advice(repos):
    original = repos.snapshot()
    stopped_rebase(repos)
    lock = repos.upstream / ".git" / "index.lock"
    lock.touch()
    with open(lock, "rb"):  # open in a live process (this one): held
        res = repos.run("rebase", "--abort")
    assert res.code == 1
    line = res.err.strip()
    assert "\n" not in line and "exit status" not in line
    assert f"{lock} exists" in line and "remove the file" in line
    assert lock.exists()
    lock.unlink()
    assert repos.run("rebase", "--abort").code == 0
    assert repos.snapshot() == original


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux's /proc")
def test_rebase_abort_removes_an_index_lock_no_process_holds(repos):
    original = repos.snapshot()
    stopped_rebase(repos)
    lock = repos.upstream / ".git" / "index.lock"
    lock.touch()  # what a SIGKILLed `git reset` leaves behind: open nowhere
    res = repos.run("rebase", "--abort")
    assert res.code == 0, res.text
    assert not lock.exists()
    assert repos.snapshot() == original


def _crash_step(repos, tmp_path, args, label: str) -> int:
    trial = repos.copy(tmp_path / "count")
    log = tmp_path / "steps.log"
    run(trial, *args, env={"PATCHQ_TEST_CRASH_AT": "10000", "PATCHQ_TEST_CRASH_LOG": str(log)})
    return log.read_text().splitlines().index(label) + 1


def test_status_after_a_kill_before_the_conflict_is_checked_out(repos, tmp_path):
    args = ("rebase", "main", "--onto", "v1.1")
    at = _crash_step(repos, tmp_path, args, "stop saved")
    assert run(repos, *args, env={"PATCHQ_TEST_CRASH_AT": str(at)}).returncode == -9
    res = repos.run("rebase", "--status")
    assert res.code == 0
    assert "all conflicts resolved" not in res.out
    assert "interrupted before the conflict was checked out" in res.out
    res = repos.run("rebase", "--status", "--json")
    assert json.loads(res.out)["checked_out"] is False
    res = repos.run("rebase", "--continue")  # checks the conflict out
    assert res.code == 1 and "stopped at patch" in res.out
    res = repos.run("rebase", "--status")
    assert "still unresolved" in res.out and "all conflicts resolved" not in res.out


def test_the_crash_hook_takes_a_steps_name_in_rebase_too(repos, tmp_path):
    """PATCHQ_TEST_CRASH_AT has one meaning for every verb: a step's label or its position
    (a label used to crash rebase with exit 70)."""
    args = ("rebase", "main", "--onto", "v1.1")
    trial = repos.copy(tmp_path / "trial")
    assert run(trial, *args, env={"PATCHQ_TEST_CRASH_AT": "stop saved"}).returncode == -9
    assert trial.run("rebase", "--status").code == 0
    assert "interrupted before the conflict was checked out" in trial.run("rebase",
                                                                         "--status").out
    # a label no step has: the rebase runs as without the hook
    res = run(repos, *args, env={"PATCHQ_TEST_CRASH_AT": "no such step"})
    assert res.returncode == 1 and b"stopped at patch" in res.stdout, res.stderr


# -- bad input the store meets: one line, never exit 70 ----------------------------------------


def test_a_non_utf8_record_value_is_one_line(repos):
    before = the_map(repos)
    res = run(repos, b"record", slugs(repos)[0].encode(), b"notes=\xff\xfe")
    assert res.returncode == 2
    assert "notes is not UTF-8 text" in err_line(res)
    assert the_map(repos) == before


@pytest.mark.parametrize("content", ["[]", "3", '{"verb": 7}', "{not json"])
def test_an_operation_state_of_the_wrong_shape_is_one_line(repos, content):
    store_dir(repos).mkdir(exist_ok=True)
    (store_dir(repos) / "operation.json").write_text(content)
    for args in (("rebase", "--abort"), ("rebase", "--status"), ("record", slugs(repos)[0],
                                                                 "notes=X"), ("push",)):
        res = run(repos, *args, text=True)
        assert res.returncode == 1, (args, res.stderr)
        line = err_line(res)
        assert "operation state" in line and "remove it by hand" in line


def test_store_paths_are_where_git_puts_them_in_a_clone_and_a_worktree(tmp_path):
    """The store's paths are derived from the git dir without asking git: they must be what
    `git rev-parse --git-path` says, in a linked worktree too."""
    repo, tree = tmp_path / "r", tmp_path / "w"
    git(tmp_path, "init", "-q", str(repo))
    git(repo, "-c", "user.name=a", "-c", "user.email=a@example.invalid", "commit", "-q",
        "--allow-empty", "-m", "x")
    git(repo, "worktree", "add", "-q", str(tree))
    for where in (repo, tree):
        g = Git(where)
        for name in ("", "patchq", store.LOCK, store.BUILDS, "objects"):
            asked = Path(git(where, "rev-parse", "--git-path", name))
            asked = asked if asked.is_absolute() else where / asked
            assert g.git_path(name).resolve() == asked.resolve(), (where, name)


def test_owner_records_are_read_in_one_process_for_any_branch_name(tmp_path):
    repo = tmp_path / "r"
    git(tmp_path, "init", "-q", str(repo))
    g = Git(repo)
    names = ["patchq/3.13", "Feature-x+y.1", "a#b"]
    for name in names:
        g.set_config(f"branch.{name}.patchqowner", f"../{name}")
    g.set_config("branch.other.patchqowner", "../other")
    for name in names:
        keys = (f"branch.{name}.patchqowner", f"branch.{name}.patchqtrack")
        assert g.config_values(*keys) == {keys[0]: f"../{name}"}
        assert g.config_values(*keys)[keys[0]] == g.config_value(keys[0])
