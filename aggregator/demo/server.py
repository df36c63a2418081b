"""A small static feed server on 127.0.0.1 for the bundled demo feeds.

It answers conditional requests (ETag and Last-Modified) like a well-behaved origin, so the
demo exercises the same fetcher code paths as real feeds.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

FEEDS_DIR = Path(__file__).parent / "feeds"
MEDIA_TYPES = {
    ".xml": "application/rss+xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".json": "application/feed+json",
}


@dataclass(slots=True, frozen=True)
class Outlet:
    name: str
    file: str
    region: str
    language: str
    priority: int
    title: str


def outlets(directory: Path = FEEDS_DIR) -> list[Outlet]:
    data = yaml.safe_load((directory / "outlets.yaml").read_text(encoding="utf-8"))
    return [
        Outlet(
            o["name"],
            o["file"],
            o["region"],
            o.get("language", "de"),
            int(o["priority"]),
            o["title"],
        )
        for o in data
    ]


class FeedServer:
    """Serves the files of one directory; `with FeedServer() as server: server.url(name)`."""

    def __init__(self, directory: Path = FEEDS_DIR, host: str = "127.0.0.1", port: int = 0) -> None:
        self.directory = directory
        files = {p.name: p.read_bytes() for p in directory.iterdir() if p.suffix in MEDIA_TYPES}
        mtime = formatdate(max(p.stat().st_mtime for p in directory.iterdir()), usegmt=True)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                name = self.path.split("?", 1)[0].lstrip("/")
                body = files.get(name)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", MEDIA_TYPES[Path(name).suffix])
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", mtime)
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
