from helpers import patchq


def test_help_lists_commands():
    res = patchq("--help")
    assert res.code == 0
    for verb in ("init", "import", "list", "checkout", "export", "lint", "demo"):
        assert verb in res.out
