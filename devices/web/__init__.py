"""The web device: the demo web app with the real @braze/web-sdk in Chromium, and what it takes to run it.

    demo/           the demo app (index.html, app.js, push_stub.js, style.css) and `WebDemoAdapter`, its Playwright adapter
    screen.py       `WebScreen`: the Web SDK's own rendering (in-app messages, cards) and the demo's banner slots and flag gate
    sdk_bundle.py   any npm version of @braze/web-sdk bundled with esbuild into one browser script, cached
    static_site.py  `StaticSite`: the demo (plus the SDK bundle) served on its own loopback origin
    chromium.py     Debian's Chromium for Playwright, and the flags keeping it on loopback

Nothing here is imported at package import time: `chromium.py` stays cheap for the pytest plugin's options.
"""
