"""The fetcher against a real HTTP server on 127.0.0.1."""

import asyncio
import gzip
import socket
import zlib

from conftest import LocalFeedServer, Response
from feeds import Item, rss

from aggregator.fetch import Fetcher, FetchLimits, FetchRequest
from aggregator.models import FetchResult, FetchState

LIMITS = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=4, max_body_bytes=200_000)


def fetch(states: dict[str, FetchState], limits: FetchLimits = LIMITS) -> dict[str, FetchResult]:
    async def go() -> dict[str, FetchResult]:
        fetcher = Fetcher(limits, "aggregator-test/1.0")
        requests = [FetchRequest(name, state) for name, state in states.items()]
        return {r.feed_name: r async for r in fetcher.fetch_all(requests)}

    return asyncio.run(go())


BODY = rss("Outlet", [Item("Titel", "https://outlet.example/1", "Text")])


def test_fetch_sends_user_agent_and_keeps_validators(feed_server: LocalFeedServer) -> None:
    feed_server.routes["/a.xml"] = Response(
        BODY, headers={"Last-Modified": "Tue, 24 Nov 2026 10:00:00 GMT"}
    )
    result = fetch({"a": FetchState(feed_server.url("/a.xml"))})["a"]
    assert result.ok and result.status == 200 and result.body == BODY
    assert result.etag and result.last_modified == "Tue, 24 Nov 2026 10:00:00 GMT"
    [(_, headers)] = feed_server.requests("/a.xml")
    assert headers["user-agent"] == "aggregator-test/1.0"
    assert "gzip" in headers["accept-encoding"]

    again = fetch({"a": FetchState(feed_server.url("/a.xml"), result.etag, result.last_modified)})[
        "a"
    ]
    assert again.not_modified and again.status == 304 and again.body is None
    _, second = feed_server.requests("/a.xml")[1]
    assert second["if-none-match"] == result.etag
    assert second["if-modified-since"] == result.last_modified


def test_gzip_body_is_decoded(feed_server: LocalFeedServer) -> None:
    feed_server.routes["/gz.xml"] = Response(
        gzip.compress(BODY), headers={"Content-Encoding": "gzip"}
    )
    assert fetch({"gz": FetchState(feed_server.url("/gz.xml"))})["gz"].body == BODY


def test_gzip_bomb_is_cut_off_at_the_limit(feed_server: LocalFeedServer) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = compressor.compress(b"<rss>" + b"\0" * 50_000_000) + compressor.flush()
    feed_server.routes["/bomb.xml"] = Response(bomb, headers={"Content-Encoding": "gzip"})
    result = fetch({"bomb": FetchState(feed_server.url("/bomb.xml"))})["bomb"]
    assert not result.ok and "larger than the limit" in (result.error or "")


def test_big_body_is_refused(feed_server: LocalFeedServer) -> None:
    feed_server.routes["/big.xml"] = Response(b"x" * 300_000)
    result = fetch({"big": FetchState(feed_server.url("/big.xml"))})["big"]
    assert "larger than the limit of 200,000 bytes" in (result.error or "")


def test_failures_are_values_and_do_not_stop_other_feeds(feed_server: LocalFeedServer) -> None:
    feed_server.routes["/ok.xml"] = Response(BODY)
    feed_server.routes["/e500.xml"] = Response(b"oops", status=500, etag=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    results = fetch(
        {
            "ok": FetchState(feed_server.url("/ok.xml")),
            "e404": FetchState(feed_server.url("/missing.xml")),
            "e500": FetchState(feed_server.url("/e500.xml")),
            "refused": FetchState(f"http://127.0.0.1:{closed_port}/feed.xml"),
            "nodns": FetchState("http://no-such-host.invalid/feed.xml"),
        }
    )
    assert results["ok"].ok
    assert results["e404"].status == 404 and results["e404"].error == "HTTP 404 Not Found"
    assert results["e500"].error == "HTTP 500 Internal Server Error"
    assert "cannot connect" in (results["refused"].error or "")
    assert "cannot connect" in (results["nodns"].error or "")


def test_redirects_permanent_temporary_and_loops(feed_server: LocalFeedServer) -> None:
    feed_server.routes["/new.xml"] = Response(BODY)
    feed_server.routes["/moved.xml"] = Response(
        status=301, headers={"Location": "/new.xml"}, etag=False
    )
    feed_server.routes["/temp.xml"] = Response(
        status=302, headers={"Location": "/new.xml"}, etag=False
    )
    feed_server.routes["/l1.xml"] = Response(
        status=301, headers={"Location": "/l2.xml"}, etag=False
    )
    feed_server.routes["/l2.xml"] = Response(
        status=301, headers={"Location": "/l1.xml"}, etag=False
    )
    results = fetch(
        {
            "moved": FetchState(feed_server.url("/moved.xml")),
            "temp": FetchState(feed_server.url("/temp.xml")),
            "loop": FetchState(feed_server.url("/l1.xml")),
        }
    )
    assert results["moved"].ok and results["moved"].permanent_url == feed_server.url("/new.xml")
    assert results["temp"].ok and results["temp"].permanent_url is None
    assert "redirect loop" in (results["loop"].error or "")


def test_a_server_that_never_answers_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts connections, never answers
    try:
        port = listener.getsockname()[1]
        limits = FetchLimits(connect_timeout=1, read_timeout=1, total_timeout=2)
        result = fetch({"hang": FetchState(f"http://127.0.0.1:{port}/feed.xml")}, limits)["hang"]
        assert "timed out" in (result.error or "")
    finally:
        listener.close()


def test_file_urls_are_read_and_unchanged_files_cost_nothing(tmp_path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(BODY)
    first = fetch({"f": FetchState(path.as_uri())})["f"]
    assert first.ok and first.body == BODY and first.last_modified
    second = fetch({"f": FetchState(path.as_uri(), None, first.last_modified)})["f"]
    assert second.not_modified
    missing = fetch({"m": FetchState((tmp_path / "nope.xml").as_uri())})["m"]
    assert "cannot read file" in (missing.error or "")
