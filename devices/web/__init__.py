"""The web device: the demo web app with the real @braze/web-sdk in Chromium, and what it takes to run it.

    demo/           the demo app (index.html, app.js, style.css) and `WebDemoAdapter`, its Playwright adapter
    page_app.py     `PageApp`: an app that is one page, its lifecycle on the Playwright clock (the demo, the CDP shops)
    push.py         web push for a page: the Braze service worker served, the push service stubbed (push_stub.js),
                    a delivery into the worker through CDP and the notification's click
    screen.py       `WebScreen`: the Web SDK's own rendering (in-app messages, cards) and the demo's banner slots and flag gate
    sdk_bundle.py   any npm version of @braze/web-sdk bundled with esbuild into one browser script, cached
    static_site.py  `StaticSite`: the demo (plus the SDK bundle) served on its own loopback origin
    chromium.py     Debian's Chromium for Playwright, and the flags keeping it on loopback

Nothing here is imported at package import time: `chromium.py` stays cheap for the pytest plugin's options.
"""
