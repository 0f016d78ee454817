"""The Braze SDK emulator: one ingest pipeline (`pipeline.py`) over state, tenancy, engagement, messaging and push,
served over HTTP (`http/`). `Emulator` (`app.py`) wires it together."""
