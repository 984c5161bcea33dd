"""nox sessions: tests on every Python present, lint, typecheck (the three by default), and
benchmarks. CI (.ci/run) runs the same checks once, on the Python it has."""

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
PYTHONS = ["3.10", "3.11", "3.12", "3.13", "3.14"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("-e", ".[test]")  # the ruff of the test extra, as CI runs it
    session.run("python", "-m", "ruff", "check", "patchq", "tests", "benchmarks")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "-m", "mypy", "patchq")  # configured in pyproject.toml


@nox.session
def benchmarks(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "benchmarks/run.py", *session.posargs)
