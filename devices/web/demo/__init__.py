"""The demo web app: a customer-like integration of the real @braze/web-sdk with visible controls (index.html,
app.js), and `WebDemoAdapter`, the Playwright adapter that drives it the way a manual tester would."""
