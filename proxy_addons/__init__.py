"""mitmproxy addons: `braze_capture.py` emulates (answers from the emulator) or observes Braze SDK traffic."""
