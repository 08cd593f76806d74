"""A real browser for the tests: headless Chromium (the Debian package) driven by Playwright's async API.

Playwright's own browser download (`playwright install`) is never used: it fetches from the
network and fails here. The machine's `/usr/bin/chromium` (Debian: `apt-get install -y
chromium`) is launched instead; missing, it fails the test (tests/prerequisites.py), never
skips it. Each `page()` is a fresh browser context: its own cookies and storage, like a new
private window.

    async with chromium() as browser, page(browser) as tab:
        await tab.goto(url)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from playwright.async_api import Browser, Page, async_playwright

from tests.prerequisites import require_program

DEFAULT_TIMEOUT_MS = 15_000  # a step of a test, not a page of the internet: anything slower is a failure


@asynccontextmanager
async def chromium(*, headless: bool = True) -> AsyncIterator[Browser]:
    """Headless Chromium from the machine's `chromium` package, closed on the way out."""
    executable = require_program("chromium", "chromium")
    async with async_playwright() as playwright:
        # Playwright runs Chromium without its sandbox by default (it cannot start one as root in a container).
        browser = await playwright.chromium.launch(executable_path=executable, headless=headless)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def page(browser: Browser, *, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> AsyncIterator[Page]:
    """A tab in a new browser context (no cookies shared with any other), its waits bounded by `timeout_ms`."""
    context = await browser.new_context()
    context.set_default_timeout(timeout_ms)
    context.set_default_navigation_timeout(timeout_ms)
    try:
        yield await context.new_page()
    finally:
        await context.close()
