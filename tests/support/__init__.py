"""Helpers for the harness's own tests (not part of the package)."""
