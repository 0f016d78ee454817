"""tests/packaging/: the wheel as a user gets it. smoke_project/ (the README's example on the bundled demo app) and
project/ (a site with its Braze key and host written in, docs/your-web-site.md) are users' projects, each copied
into an empty folder and run by the wheel's own pytest in a fresh venv; never collected by the harness's own run."""

collect_ignore = ["project", "smoke_project"]
