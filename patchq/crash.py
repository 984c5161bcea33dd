"""The test hook that kills patchq at a step, so tests can prove a crash leaves a state that
``--continue`` / ``--abort`` (or the next command) finishes.

One variable, one meaning: ``PATCHQ_TEST_CRASH_AT`` names the step to die at, by its label
(``stop saved``, ``journaled``) or by its position among the steps passed (``3``: the third).
The process SIGKILLs itself there. ``PATCHQ_TEST_INTERRUPT_AT=LABEL`` raises
KeyboardInterrupt (Ctrl-C) at that step instead. ``PATCHQ_TEST_CRASH_LOG=FILE`` appends each
step's label to FILE, to find a step's position. Unset, a step costs one environment read.
"""

from __future__ import annotations

import os

CRASH_ENV = "PATCHQ_TEST_CRASH_AT"
INTERRUPT_ENV = "PATCHQ_TEST_INTERRUPT_AT"
LOG_ENV = "PATCHQ_TEST_CRASH_LOG"

_passed = {"count": 0}


def point(label: str) -> None:
    """A step where tests may kill (or interrupt) the process."""
    target = os.environ.get(CRASH_ENV)
    if target:
        _passed["count"] += 1
        log = os.environ.get(LOG_ENV)
        if log:
            with open(log, "a") as out:
                out.write(label + "\n")
        if target == label or (target.isdigit() and int(target) == _passed["count"]):
            import signal

            os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(INTERRUPT_ENV) == label:
        raise KeyboardInterrupt
