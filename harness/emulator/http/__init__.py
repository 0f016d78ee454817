"""The emulator over HTTP: the SDK endpoints' one definition (`sdk.py`), its transports (`asgi.py`, `fastpath.py`), the
control API (`control.py` and its route modules) and the uvicorn server (`server.py`)."""
