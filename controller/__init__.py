"""kgedit controller package."""
