"""Shared fixtures: a feed server on 127.0.0.1, databases (SQLite and PostgreSQL), configs."""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
PG_ADMIN_URL = os.environ.get(
    "AGGREGATOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Response:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True


class LocalFeedServer:
    """Serves `routes` (path → Response) on 127.0.0.1 and logs every request.

    Answers `If-None-Match` with 304 when the body's ETag matches, like a polite origin.
    Tests change `routes` between fetches to simulate edits, moves and failures.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Response] = {}
        self.log: list[tuple[str, int, dict[str, str]]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.handle(self)

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # many workers connect at once; 5 drops their SYNs

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def requests(self, path: str) -> list[tuple[int, dict[str, str]]]:
        with self.lock:
            return [(status, headers) for p, status, headers in self.log if p == path]

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        response = self.routes.get(path)
        headers = {k.lower(): v for k, v in h.headers.items()}
        if response is None:
            response = Response(b"not found", status=404, content_type="text/plain", etag=False)
        tag = '"' + hashlib.sha1(response.body).hexdigest()[:20] + '"'
        status = response.status
        if response.etag and status == 200 and headers.get("if-none-match") == tag:
            status = 304
        with self.lock:
            self.log.append((path, status, headers))
        h.send_response(status)
        if response.etag and response.status == 200:
            h.send_header("ETag", tag)
        for key, value in response.headers.items():
            h.send_header(key, value)
        if status == 304:
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        h.send_header("Content-Type", response.content_type)
        h.send_header("Content-Length", str(len(response.body)))
        h.end_headers()
        h.wfile.write(response.body)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feed_server() -> Iterator[LocalFeedServer]:
    server = LocalFeedServer()
    yield server
    server.close()


def _postgres_available() -> bool:
    try:
        import psycopg  # noqa: F401
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@contextmanager
def fresh_database(engine: str, directory: Path) -> Iterator[str]:
    """A new, empty database: a SQLite file in `directory`, or a new PostgreSQL database
    (dropped afterwards). Skips the test when PostgreSQL is not reachable."""
    if engine == "sqlite":
        yield f"sqlite:///{directory / 'test.db'}"
        return
    if not _postgres_available():
        if os.environ.get("AGGREGATOR_TEST_REQUIRE_PG"):  # CI: both engines, or fail
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    from sqlalchemy import create_engine, text

    name = f"aggtest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each engine: a SQLite file, or a new PostgreSQL database."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"
