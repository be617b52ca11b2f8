"""Deterministic patterns: generic sentence frames in English and Chinese, instantiated with the relation
schema's names, aliases and templates (no pattern is written for a particular relation)."""
