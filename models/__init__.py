"""kgedit models package."""
