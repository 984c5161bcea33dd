"""Sample data for `patchq demo`: a CPython-shaped upstream and a Pyodide-like series.

``upstream.fi`` is a ``git fast-import`` stream (branches 3.11, 3.12, main; tags v3.11.0 to
v3.11.3 and v3.12.0); ``patches/`` holds five ``git format-patch`` files against v3.11.2.
"""
