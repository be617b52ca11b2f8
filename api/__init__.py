"""kgedit api package."""
