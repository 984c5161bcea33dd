"""The repository object: reads through one persistent cat-file, writes the ids git writes."""

from __future__ import annotations

import subprocess

import pytest
from helpers import commit, git, make_upstream

from patchq import gitrun
from patchq.errors import GitError
from patchq.git import Git, Identity, quarantine, write_blob

WHO = Identity("A U Thor", "author@example.invalid", "1700000000 +0100")


@pytest.fixture
def upstream(tmp_path):
    path = make_upstream(tmp_path / "cpython")
    commit(path, {"README.rst": "This is Python 2\n"}, "Second")
    return path


def test_reads_within_a_command_start_no_git_process_each(upstream, monkeypatch):
    repo = Git(upstream)
    head = git(upstream, "rev-parse", "HEAD")
    tree, parent = git(upstream, "rev-parse", "HEAD^{tree}"), git(upstream, "rev-parse", "HEAD~1")
    started = []
    real = subprocess.Popen

    def counting(*args, **kw):
        started.append(args[0])
        return real(*args, **kw)

    monkeypatch.setattr(subprocess, "Popen", counting)
    for _ in range(5):
        assert repo.read_blob(head, "README.rst") == b"This is Python 2\n"
        assert repo.read_blob("HEAD~1", "README.rst") == b"This is Python\n"
        assert repo.read_blob(head, "no/such/file") is None
        assert repo.tree_of(head) == tree
        assert repo.commit_info(head)[1] == (parent,)
        assert repo.path_exists(head, "Lib/platform.py")
    assert started == [["git", "cat-file", "--batch"]]


def test_a_missing_object_keeps_the_reader_in_step(upstream):
    reader = Git(upstream).reader()
    found = reader.read_many(["0" * 40, "HEAD:README.rst", "HEAD:nothing here", "HEAD"])
    assert found[0] is None and found[2] is None
    assert found[1] == ("blob", b"This is Python 2\n")
    assert found[3] is not None and found[3][0] == "commit"


def test_the_writer_gives_the_ids_git_gives(upstream):
    repo = Git(upstream)
    data = b"some bytes\n\x00and a NUL\n"
    blob = write_blob(repo, data)
    assert blob == git(upstream, "hash-object", "--stdin", input=data)
    assert blob.algorithm == "sha1" and git(upstream, "cat-file", "-t", blob) == "blob"
    tree = repo.tree_of("HEAD")
    made = repo.commit_tree(tree, [repo.resolve("HEAD")], "Made here\n", WHO)
    env = {"GIT_AUTHOR_NAME": WHO.name, "GIT_AUTHOR_EMAIL": WHO.email,
           "GIT_AUTHOR_DATE": WHO.date, "GIT_COMMITTER_NAME": WHO.name,
           "GIT_COMMITTER_EMAIL": WHO.email, "GIT_COMMITTER_DATE": WHO.date}
    by_git = subprocess.run(["git", "commit-tree", tree, "-p", "HEAD", "-m", "Made here"],
                            cwd=upstream, env={**gitrun.os.environ, **env}, check=True,
                            capture_output=True).stdout.decode().strip()
    assert made == by_git
    git(upstream, "fsck", "--no-dangling")


def test_objects_written_in_a_quarantine_go_with_it(upstream):
    repo = Git(upstream)
    outside = repo.objects
    with quarantine(repo):
        inside = repo.objects
        assert inside is not outside
        blob = write_blob(repo, b"only in the quarantine\n")
        assert repo.read_object(blob) == ("blob", b"only in the quarantine\n")
        assert repo.read_blob("HEAD", "README.rst") == b"This is Python 2\n"  # alternates
    assert repo.objects is outside
    assert repo.read_object(blob) is None
    with pytest.raises(GitError):
        repo.tree_of(blob)


def test_the_branch_checked_out_is_what_symbolic_ref_says(upstream, tmp_path):
    """current_branch reads HEAD's file; it must agree with git in every state HEAD can be in:
    a branch, a branch with slashes, detached, a linked worktree, an unborn branch."""
    def symbolic(path) -> str | None:
        res = subprocess.run(["git", "symbolic-ref", "-q", "--short", "HEAD"], cwd=path,
                             capture_output=True, text=True, check=False)
        return res.stdout.strip() or None

    seen = []
    git(upstream, "checkout", "-q", "-b", "patchq/3.13/x")
    seen.append((Git(upstream).current_branch(), symbolic(upstream)))
    git(upstream, "checkout", "-q", "--detach")
    seen.append((Git(upstream).current_branch(), symbolic(upstream)))
    git(upstream, "worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"))
    seen.append((Git(tmp_path / "wt").current_branch(), symbolic(tmp_path / "wt")))
    git(upstream, "checkout", "-q", "--orphan", "unborn")
    seen.append((Git(upstream).current_branch(), symbolic(upstream)))
    assert seen == [("patchq/3.13/x", "patchq/3.13/x"), (None, None), ("side", "side"),
                    ("unborn", "unborn")]


def test_a_started_git_process_gives_what_run_gives_and_fails_the_same(upstream):
    repo = Git(upstream)
    pending = repo.start("log", "--format=%s")
    assert pending.result().stdout == repo.run("log", "--format=%s").stdout == b"Second\nInitial\n"
    with pytest.raises(GitError, match="git rev-parse failed: fatal: "):
        repo.start("rev-parse", "--verify", "no-such-ref").result()


def test_a_cancelled_git_process_is_stopped_and_its_files_closed(upstream):
    repo = Git(upstream)
    pending = repo.start("log", "--format=%H")
    pending.cancel()
    assert pending._proc.returncode is not None
    assert pending._out.closed and pending._err.closed


@pytest.mark.parametrize("mode", ["keep", "merge"])
def test_reset_of_a_copied_clone_reads_stale_stat_data_as_no_change(upstream, tmp_path, mode):
    """A copied clone's index has stale stat data: ``reset --keep/--merge`` would call every
    file changed. The reset refreshes the index then and goes on; a real change stays."""
    import shutil

    from patchq.git import reset

    copy = tmp_path / "copy"
    shutil.copytree(upstream, copy)
    repo = Git(copy)
    first = git(copy, "rev-parse", "HEAD~1")
    reset(repo, mode, first)
    assert git(copy, "rev-parse", "HEAD") == first
    assert (copy / "README.rst").read_text() == "This is Python\n"
    assert git(copy, "status", "--porcelain") == ""

    shutil.rmtree(copy)
    shutil.copytree(upstream, copy)
    (copy / "README.rst").write_text("mine\n")  # a change the reset must not overwrite
    with pytest.raises(GitError):
        reset(Git(copy), mode, first)
    assert (copy / "README.rst").read_text() == "mine\n"
    assert git(copy, "rev-parse", "HEAD") == git(upstream, "rev-parse", "HEAD")


@pytest.mark.parametrize("date", ["1700000000 +0100", "1700000000 -0800", "86400 -0000",
                                  "1234567890 +0530", "4102444800 +1400"])
def test_a_queue_this_process_wrote_reads_back_as_git_log_gives_it(upstream, date):
    """queue_commits from the commits the store wrote (no ``git log``) equals git's own
    reading of the same line, names, dates and messages included."""
    from patchq.git import known_line

    repo = Git(upstream)
    base = git(upstream, "rev-parse", "HEAD")
    tree = git(upstream, "rev-parse", "HEAD^{tree}")
    tip = base
    messages = ["Fix it\n\nWhy.\n\nPatchq-Slug: fix-it\n", "no newline at the end",
                "Ünïcode — subject\n\n\n  indented body  \n\n", "x\r\n\r\nwindows\r\n"]
    names = ["A U Thor", "Łukasz Langa", "Dr. O'Brien-Smith", ""]
    for message, name in zip(messages, names):
        tip = repo.objects.commit(tree, [tip], message, Identity(name, "a@b.example", date))
    fast = known_line(repo.objects, base, tip)
    assert fast is not None and len(fast) == 4
    assert repo.queue_commits(base, tip) == fast
    assert Git(upstream).queue_commits(base, tip) == fast  # a new process: git log


def test_a_queue_with_commits_not_written_here_is_read_by_git(upstream):
    from patchq.git import known_line

    repo = Git(upstream)
    first, head = git(upstream, "rev-parse", "HEAD~1"), git(upstream, "rev-parse", "HEAD")
    assert known_line(repo.objects, first, head) is None  # never read nor written here
    tree = git(upstream, "rev-parse", "HEAD^{tree}")
    merge = repo.objects.commit(tree, [head, first], "a merge\n", WHO)
    assert known_line(repo.objects, head, merge) is None
    odd = repo.objects.write("commit", (f"tree {tree}\nparent {head}\nauthor {WHO.signature()}\n"
                                        f"committer {WHO.signature()}\nencoding ISO-8859-1\n\n"
                                        "caf\xe9\n").encode("latin-1"))
    assert known_line(repo.objects, head, odd) is None
    assert [c.sha for c in repo.queue_commits(head, odd)] == [odd]
