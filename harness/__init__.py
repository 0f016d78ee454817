"""Braze SDK emulator and QA test harness."""
