"""kgedit kg package."""
