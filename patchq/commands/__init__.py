"""One module per verb. Each exposes plain functions that return results; nothing prints."""
