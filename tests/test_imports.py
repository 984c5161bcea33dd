"""Every module of patchq imports on its own, first, in a new interpreter: no module works only
when another was imported before it (a circular import that the usual order hides)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import patchq


def modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(patchq.__path__, "patchq.")
                  if not m.name.endswith("__main__"))


def test_each_module_imports_first():
    script = ("import importlib, sys\n"
              "failed = []\n"
              "for name in sys.argv[1:]:\n"
              "    for loaded in [k for k in sys.modules if k.startswith('patchq')]:\n"
              "        del sys.modules[loaded]\n"
              "    try:\n"
              "        importlib.import_module(name)\n"
              "    except Exception as exc:\n"
              "        failed.append(f'{name}: {type(exc).__name__}: {exc}')\n"
              "print('\\n'.join(failed))\n")
    names = modules()
    assert len(names) > 50 and "patchq.queuecache" in names
    res = subprocess.run([sys.executable, "-c", script, *names], capture_output=True, text=True,
                         check=True)
    assert res.stdout.strip() == ""
