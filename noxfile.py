"""nox sessions: tests on every Python present, lint, typecheck, benchmarks."""

import nox

nox.options.sessions = ["tests", "lint"]
PYTHONS = ["3.10", "3.11", "3.12", "3.13", "3.14"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "patchq", "tests", "benchmarks")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("mypy", "--ignore-missing-imports", "patchq")


@nox.session
def benchmarks(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "benchmarks/run.py", *session.posargs)
