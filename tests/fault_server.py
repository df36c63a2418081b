"""A hostile feed server on 127.0.0.1: every way a real origin misbehaves, on demand.

Each path maps to a `Route` with an optional `fault`:

- `hang`: accepts the request and never answers;
- `drip`: sends headers, then one byte every `drip_interval` seconds;
- `big`: announces and streams `size` bytes of padding;
- `gzip`: the body gzip-compressed, with `Content-Encoding: gzip`;
- `raw-gzip`: the body is already a gzip stream (a bomb) sent as `Content-Encoding: gzip`;
- `truncate`: the first half of the body, with a matching Content-Length;
- `close`: the connection is shut without a word.

Routes answer `If-None-Match` with 304 when their ETag matches, like a polite origin.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import socket
import threading
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    fault: str | None = None
    size: int = 0
    drip_interval: float = 0.2


def gzip_bomb(megabytes: int) -> bytes:
    """A small gzip stream that inflates to `megabytes` MB (an RSS-looking start, then zeros)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(b'<?xml version="1.0"?><rss version="2.0"><channel><title>')]
    zeros = b"\0" * (1 << 20)
    parts += [compressor.compress(zeros) for _ in range(megabytes)]
    parts.append(compressor.flush())
    return b"".join(parts)


class FaultServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self.closing = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                # The client may give up first: that is part of the tests.
                with contextlib.suppress(OSError):
                    server.handle(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _ in self.log if p == path)

    def statuses(self, path: str) -> list[int]:
        with self.lock:
            return [s for p, s in self.log if p == path]

    def _record(self, path: str, status: int) -> None:
        with self.lock:
            self.log.append((path, status))

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        route = self.routes.get(path) or Route(b"no such feed", 404, "text/plain", etag=False)
        if route.fault == "hang":
            self._record(path, 0)
            self.closing.wait(60)
            return
        if route.fault == "close":
            self._record(path, 0)
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        tag = '"' + hashlib.sha1(route.body).hexdigest()[:20] + '"'
        if route.etag and route.status == 200 and h.headers.get("If-None-Match") == tag:
            self._record(path, 304)
            h.send_response(304)
            h.send_header("ETag", tag)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        self._record(path, route.status)
        h.send_response(route.status)
        h.send_header("Content-Type", route.content_type)
        for key, value in route.headers.items():
            h.send_header(key, value)
        if route.etag and route.status == 200:
            h.send_header("ETag", tag)
        body = route.body
        if route.fault == "drip":
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            for index in range(len(body)):
                if self.closing.wait(route.drip_interval):
                    return
                h.wfile.write(body[index : index + 1])
                h.wfile.flush()
            return
        if route.fault == "big":
            h.send_header("Content-Length", str(route.size))
            h.end_headers()
            chunk = b"<!-- padding -->" * 4096
            sent = 0
            while sent < route.size and not self.closing.is_set():
                h.wfile.write(chunk)
                sent += len(chunk)
            return
        if route.fault == "gzip":
            body = gzip.compress(body)
        if route.fault in ("gzip", "raw-gzip"):
            h.send_header("Content-Encoding", "gzip")
        if route.fault == "truncate":
            body = body[: len(body) // 2]
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def close(self) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()
