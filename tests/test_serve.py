"""`aggregator serve` for real: a uvicorn process on 127.0.0.1, with fetches running at the
same time against the same SQLite database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import feedparser
import httpx
import pytest
from conftest import LocalFeedServer, Response
from feeds import Item, rss
from served import NOW, SEED_LINKS, Store, build_store, outlet_items
from typer.testing import CliRunner

from aggregator.cli import app as cli_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(feed_server: LocalFeedServer, tmp_path: Path) -> Iterator[tuple[Store, str]]:
    store = build_store(feed_server, tmp_path, f"sqlite:///{tmp_path / 'serve.db'}")
    port = free_port()
    env = dict(os.environ, AGGREGATOR_DB=store.db_url, AGGREGATOR_CONFIG=str(store.config_path))
    log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "aggregator", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"serve did not start: {log.read()}")
                time.sleep(0.1)
        yield store, base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_serve_answers_while_fetches_write(served: tuple[Store, str]) -> None:
    store, base = served
    with httpx.Client(base_url=base, timeout=10) as http:
        page = http.get("/")
        assert page.status_code == 200 and all(link in page.text for link in SEED_LINKS)
        etag = http.get("/feed.atom").headers["etag"]
        assert http.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 304

        # new entries arrive while readers keep polling: no errors, no locked database
        store.server.routes["/lvz.xml"] = Response(
            rss(
                "lvz",
                outlet_items()["lvz"]
                + [
                    Item(
                        f"Leipzig: Meldung {n}",
                        f"https://lvz.example/m{n}",
                        "Text",
                        NOW - timedelta(minutes=n),
                        f"m{n}",
                    )
                    for n in range(1, 40)
                ],
            )
        )
        statuses: list[int] = []
        stop = threading.Event()

        def poll() -> None:
            while not stop.is_set():
                statuses.append(http.get("/api/stories?limit=100").status_code)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            result = CliRunner().invoke(
                cli_app,
                ["--db", store.db_url, "--config", str(store.config_path), "fetch"],
                catch_exceptions=False,
            )
        finally:
            stop.set()
            poller.join()
        assert result.exit_code == 0, result.output
        assert "39 new entries" in result.stdout
        assert statuses and set(statuses) == {200}
        time.sleep(1.1)  # serve trusts a content version for one second
        after = http.get("/feed.atom", headers={"If-None-Match": etag})
        assert after.status_code == 200
        assert "Leipzig: Meldung 39" in [e.title for e in feedparser.parse(after.content).entries]
        assert http.get("/feed.atom").headers["cache-control"] == "public, max-age=900"


def test_serve_binds_loopback_by_default(served: tuple[Store, str]) -> None:
    _, base = served
    port = int(base.rsplit(":", 1)[1])
    out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("ss is not available to list listening sockets")
    local_addresses = [line.split()[3] for line in out.stdout.splitlines()]
    assert local_addresses == [f"127.0.0.1:{port}"]
