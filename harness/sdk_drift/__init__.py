"""`braze-harness drift A B`: what changed on the wire between two Web SDK versions (docs/web-sdk-versions.md)."""
