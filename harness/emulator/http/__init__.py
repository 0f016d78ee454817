"""The emulator over HTTP: the SDK endpoints' one definition (`sdk.py`), its transports (`asgi.py`, `fastpath.py`), the
control API (`control.py` and its route modules), the dashboard (`dashboard.py`, `ui/`) and the uvicorn server
(`server.py`)."""
