"""tests/packaging/: the wheel as a user gets it. project/ is a user's project (copied into an empty folder and run
by the wheel's own pytest in a fresh venv), never collected by the harness's own test run."""

collect_ignore = ["project"]
