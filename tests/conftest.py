"""Shared test settings."""

from hypothesis import settings

# Deterministic: CI and a developer see the same examples; no database written to disk.
settings.register_profile("course", derandomize=True, database=None, deadline=None,
                          max_examples=40)
settings.load_profile("course")
