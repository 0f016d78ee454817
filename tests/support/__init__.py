"""Helpers the harness's own tests share (not part of the installed package)."""
