"""mitmproxy addons (next milestone: braze_capture.py, observe or emulate Braze SDK traffic)."""
