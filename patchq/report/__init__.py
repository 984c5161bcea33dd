"""The upstream-status report: its data (``model``, pure), its history (``history``) and its
renderers (``markdown``, ``html``, ``jsonout``). Nothing here reads or writes files; the
command ``patchq.commands.report`` does."""
