"""patchq: carry a patch series against an upstream you do not control."""

__version__ = "0.1.0"
