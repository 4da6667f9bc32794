"""Browser tests of the dashboard (``/dashboard``): Playwright driving Debian's Chromium
headless against a real ``gex serve`` subprocess."""
