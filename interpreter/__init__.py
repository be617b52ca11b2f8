"""kgedit interpreter package."""
