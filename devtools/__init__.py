"""Kite's development tooling: the embedded-services supervisor, screenshots and test support (never in the image)."""
