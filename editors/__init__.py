"""kgedit editors package."""
