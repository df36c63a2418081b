"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright.

Loads `/` after fetching feeds that include a hostile one and checks what a reader would
see: the grouped story with all its sources, working filters, and that nothing a feed
wrote ran (no dialog, no injected element or attribute). Saves screenshots; with
AGGREGATOR_UPDATE_SCREENSHOTS=1 they replace the ones in docs/.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import LocalFeedServer
from served import SEED, SEED_LINKS, Store, build_store

CHROMIUM = Path("/usr/bin/chromium")
DOCS = Path(__file__).parent.parent / "docs"

if not CHROMIUM.exists():
    pytest.skip(
        "no /usr/bin/chromium (Debian package `chromium`; .ci/run installs it)",
        allow_module_level=True,
    )
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (pip install -e .[dev])"
)

import uvicorn  # noqa: E402

from aggregator.store import Database  # noqa: E402
from aggregator.web import WebSettings, create_app  # noqa: E402

LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
# Every element and attribute a feed could have smuggled in, as the browser built the DOM.
INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (['script', 'iframe', 'object', 'embed', 'svg'].includes(tag)) found.push('<' + tag + '>');
    if (tag === 'style') found.push('<style>');
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) found.push(tag + ' ' + attr.name);
      if (/^\\s*(javascript|data):/i.test(attr.value)) found.push(tag + ' ' + attr.name + '=' + attr.value);
    }
  }
  if (document.body.hasAttribute('data-pwned')) found.push('data-pwned');
  return found;
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def base_url(feed_server: LocalFeedServer, tmp_path: Path) -> Iterator[str]:
    store: Store = build_store(feed_server, tmp_path, f"sqlite:///{tmp_path / 'b.db'}")
    db = Database(store.db_url)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(db, WebSettings(feeds=store.config.feeds)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        db.close()


@pytest.fixture
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_page_in_chromium(base_url: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1200, "height": 1100})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(base_url + "/")

    seed = page.locator("li.story", has_text=SEED)
    assert seed.count() == 1
    hrefs = seed.locator("ul.sources a").evaluate_all("links => links.map(a => a.href)")
    assert sorted(hrefs) == sorted(SEED_LINKS)
    assert seed.locator(".count").inner_text() == "3 outlets"
    assert page.locator("li.story").count() == 5
    zoo = page.locator("li.story", has_text="Elefantenhaus")
    assert zoo.locator("h2 a").count() == 0  # its javascript: link is shown as plain text
    assert page.evaluate(INJECTED) == []
    assert page.locator('link[rel="alternate"][type="application/atom+xml"]').count() == 1
    screenshots = [tmp_path / "screenshot.png"]
    page.screenshot(path=str(screenshots[0]), full_page=True)

    # filters, by hand: region, then search, then minimum sources
    page.select_option("select[name=region]", "Sachsen-Anhalt")
    page.click("button[type=submit]")
    assert "region=Sachsen-Anhalt" in page.url
    assert page.locator("li.story", has_text="Hochwasser").count() == 1
    assert page.locator("li.story", has_text="Straßenbahn").count() == 0
    page.goto(base_url + "/")
    page.fill("input[name=search]", "Straßenbahn")
    page.press("input[name=search]", "Enter")
    assert [t.strip() for t in page.locator("li.story h2").all_inner_texts()] == [
        "Leipzig: Straßenbahn fährt wieder nach Grünau"
    ]
    page.goto(base_url + "/")
    page.select_option("select[name=min_sources]", "3")
    page.click("button[type=submit]")
    assert [t.strip() for t in page.locator("li.story h2").all_inner_texts()] == [SEED]

    # one story, every source and why it joined
    page.click("li.story .count")
    assert page.url.startswith(base_url + "/story/")
    assert page.locator("table.sources tbody tr").count() == 3
    assert page.evaluate(INJECTED) == []

    # the hostile story's own page
    page.goto(base_url + "/?search=Elefantenhaus")
    page.click("li.story .count")
    assert "Das Haus ist groß." in page.inner_text(".summary")
    assert page.locator(".summary a[href]").evaluate_all("as => as.map(a => [a.href, a.rel])") == [
        ["https://zoo.example/elefanten", "noopener noreferrer"]
    ]
    assert page.evaluate(INJECTED) == []

    page.goto(base_url + "/feeds")
    assert page.locator("tr.failing").count() == 1
    assert "dead" in page.locator("tr.failing").inner_text()

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    phone.goto(base_url + "/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    screenshots.append(tmp_path / "screenshot-phone.png")
    phone.screenshot(path=str(screenshots[1]), full_page=False)
    assert dialogs == []

    for shot in screenshots:
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("AGGREGATOR_UPDATE_SCREENSHOTS"):
            shutil.copy(shot, DOCS / shot.name)
