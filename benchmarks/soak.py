"""Soak test: `aggregator run` for an hour against changing local feeds.

Serves the bundled demo feeds (aggregator.demo.server) and, beside them, feeds that keep
publishing: every feed adds an item every few minutes, drops its oldest, and now and then
edits a title; one feed fails every third request. `aggregator run` (a real subprocess on
a fresh SQLite database) fetches them on its own schedule. Every `--every` seconds the
script samples the run's resident memory and the row counts, and checks that no entry is
stored twice (same feed and link) and that every item served so far is stored.

    python benchmarks/soak.py --minutes 60 --out soak.json

Prints one line per sample and a summary; exits 1 if memory grew (the last quarter's
median more than 15% over the second quarter's) or any duplicate or missing row was seen.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from aggregator.demo.server import FeedServer, outlets

WORDS = [
    "Stadtrat",
    "Haushalt",
    "Brücke",
    "Straßenbahn",
    "Klinikum",
    "Hochschule",
    "Feuerwehr",
    "Polizei",
    "Landtag",
    "Theater",
    "Museum",
    "Flughafen",
    "Hafen",
    "Messe",
    "Zoo",
    "Bahnhof",
    "Schule",
    "Kita",
    "Radweg",
    "Stadion",
    "Kirche",
    "Markt",
    "Rathaus",
    "Wahl",
    "Energie",
    "Wasser",
    "Wohnungen",
    "Miete",
    "Hochwasser",
    "Festival",
    "Konzert",
    "Gericht",
]
PLACES = [
    "Halle",
    "Leipzig",
    "Dresden",
    "Magdeburg",
    "Chemnitz",
    "Dessau",
    "Zwickau",
    "Görlitz",
    "Jena",
    "Erfurt",
]


@dataclass
class SoakItem:
    guid: str
    title: str
    link: str
    summary: str
    published: datetime


@dataclass
class SoakFeed:
    """A feed that publishes an item every `period` seconds and keeps the newest `keep`."""

    name: str
    period: float
    keep: int = 20
    items: list[SoakItem] = field(default_factory=list)
    served: set[str] = field(default_factory=set)  # links ever published
    delivered: set[str] = field(default_factory=set)  # links in a body sent with 200
    count: int = 0
    next_at: float = 0.0
    requests: int = 0


class RotatingServer:
    """The changing feeds, on 127.0.0.1, with ETags so unchanged feeds answer 304."""

    def __init__(self, feeds: list[SoakFeed], seed: int = 7) -> None:
        self.feeds = {f"/{f.name}.xml": f for f in feeds}
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        now = time.monotonic()
        for feed in feeds:
            for _ in range(10):
                self._publish(feed)
            feed.next_at = now + feed.period

    def url(self, feed: SoakFeed) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{feed.name}.xml"

    def _publish(self, feed: SoakFeed) -> None:
        feed.count += 1
        words = self.rng.sample(WORDS, 4)
        place = self.rng.choice(PLACES)
        title = f"{place}: {words[0]} und {words[1]} – {words[2]} {feed.count} {words[3]}"
        link = f"https://{feed.name}.example/artikel/{feed.count}"
        summary = f"<p>Bericht über <b>{words[0]}</b> in {place}, Folge {feed.count}.</p>"
        feed.items.insert(0, SoakItem(link, title, link, summary, datetime.now(UTC)))
        del feed.items[feed.keep :]
        feed.served.add(link)

    def tick(self) -> None:
        """Publish what is due; now and then edit the title of a recent item."""
        now = time.monotonic()
        with self.lock:
            for feed in self.feeds.values():
                while now >= feed.next_at:
                    self._publish(feed)
                    feed.next_at += feed.period
                if feed.items and self.rng.random() < 0.02:
                    item = feed.items[min(2, len(feed.items) - 1)]
                    item.title = item.title.split(" (aktualisiert")[0] + " (aktualisiert)"

    def body(self, feed: SoakFeed) -> bytes:
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
            f"<title>{feed.name}</title><link>https://{feed.name}.example/</link>",
            "<description>Soak</description>",
        ]
        for item in feed.items:
            parts.append(
                f"<item><title>{escape(item.title)}</title><link>{item.link}</link>"
                f'<guid isPermaLink="false">{item.guid}</guid>'
                f"<description>{escape(item.summary)}</description>"
                f"<pubDate>{format_datetime(item.published)}</pubDate></item>"
            )
        parts.append("</channel></rss>\n")
        return "".join(parts).encode()

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        feed = self.feeds.get(h.path.split("?", 1)[0])
        if feed is None:
            h.send_response(404)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        with self.lock:
            feed.requests += 1
            failing = feed.name.startswith("flaky") and feed.requests % 3 == 0
            body = self.body(feed)
        if failing:
            h.send_response(503)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if h.headers.get("If-None-Match") == tag:
            h.send_response(304)
            h.send_header("ETag", tag)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        with self.lock:
            feed.delivered.update(link for link in feed.served if link.encode() in body)
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        h.send_header("ETag", tag)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def __enter__(self) -> RotatingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def counts(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30) as connection:
        one = lambda sql: connection.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "entries": one("select count(*) from entries"),
            "stories": one("select count(*) from stories"),
            "memberships": one("select count(*) from memberships"),
            "orphans": one(
                "select count(*) from entries e where not exists "
                "(select 1 from memberships m where m.entry_id = e.id)"
            ),
            "duplicates": one(
                "select coalesce(sum(n - 1), 0) from (select count(*) n from entries "
                "where link is not null group by feed_id, link having count(*) > 1)"
            ),
        }


def stored_links(db_path: Path) -> dict[str, set[str]]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30) as connection:
        rows = connection.execute(
            "select f.name, e.link from entries e join feeds f on f.id = e.feed_id"
        ).fetchall()
    out: dict[str, set[str]] = {}
    for name, link in rows:
        out.setdefault(name, set()).add(link)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--feeds", type=int, default=30, help="changing feeds beside the demo")
    parser.add_argument("--out", type=Path, default=None, help="write the samples as JSON")
    parser.add_argument("--dir", type=Path, default=None, help="working directory")
    parser.add_argument(
        "--window",
        default=None,
        help="match_window setting (e.g. 5m): a short one lets the grouper's index reach a "
        "steady size within the soak, since entries older than two windows are evicted",
    )
    args = parser.parse_args()

    workdir = args.dir or Path(tempfile.mkdtemp(prefix="aggregator-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "soak.db"
    rng = random.Random(11)
    soak_feeds = [
        SoakFeed(
            name=("flaky" if k == 0 else "rotating") + f"-{k:02d}",
            period=rng.choice((60.0, 120.0, 300.0, 600.0, 1800.0)),
        )
        for k in range(args.feeds)
    ]
    aggregator = Path(sys.executable).with_name("aggregator")
    samples: list[dict[str, object]] = []
    problems: list[str] = []
    with FeedServer() as demo, RotatingServer(soak_feeds) as rotating:
        lines = ["settings:", f"  match_window: {args.window}"] if args.window else []
        lines.append("feeds:")
        for outlet in outlets():
            lines += [f"  - name: {outlet.name}", f"    url: {demo.url(outlet.file)}"]
        for k, feed in enumerate(soak_feeds):
            lines += [f"  - name: {feed.name}", f"    url: {rotating.url(feed)}"]
            if k % 3 == 0:  # a third with a fixed interval, the rest adaptive
                lines.append("    interval: 2m")
        config = workdir / "feeds.yaml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = dict(os.environ, AGGREGATOR_DB=f"sqlite:///{db_path}", AGGREGATOR_CONFIG=str(config))
        log = open(workdir / "run.log", "w")  # noqa: SIM115
        run = subprocess.Popen(
            [str(aggregator), "run"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir
        )
        print(f"soak: {len(soak_feeds) + len(outlets())} feeds, dir {workdir}, pid {run.pid}")
        started = time.monotonic()
        next_sample = started + 15
        try:
            while time.monotonic() - started < args.minutes * 60:
                rotating.tick()
                if run.poll() is not None:
                    problems.append(f"aggregator run exited early with {run.returncode}")
                    break
                if time.monotonic() >= next_sample and db_path.exists():
                    next_sample += args.every
                    sample: dict[str, object] = {
                        "minute": round((time.monotonic() - started) / 60, 1),
                        "rss_mb": round(rss_mb(run.pid), 1),
                        **counts(db_path),
                    }
                    samples.append(sample)
                    print(json.dumps(sample), flush=True)
                    if args.out:
                        args.out.write_text(json.dumps(samples, indent=1))
                time.sleep(1)
        finally:
            run.send_signal(signal.SIGTERM)
            try:
                code = run.wait(timeout=120)
            except subprocess.TimeoutExpired:
                run.kill()
                code = -9
            log.close()
        if code != 0:
            problems.append(f"aggregator run exited {code} after SIGTERM")
        # Every item the server delivered in a full answer must be stored.
        stored = stored_links(db_path)
        final = counts(db_path)
        missing = sum(len(f.delivered - stored.get(f.name, set())) for f in soak_feeds)
        delivered = sum(len(f.delivered) for f in soak_feeds)
        print(f"items delivered in full answers: {delivered}, of them not stored: {missing}")
        if missing:
            problems.append(f"{missing} published items are not stored")
    if final["duplicates"]:
        problems.append(f"{final['duplicates']} duplicate entries (same feed and link)")
    if final["orphans"]:
        problems.append(f"{final['orphans']} entries without a story")
    rss = [float(s["rss_mb"]) for s in samples]  # type: ignore[arg-type]
    if len(rss) >= 8:
        quarter = len(rss) // 4
        early = statistics.median(rss[quarter : 2 * quarter])
        late = statistics.median(rss[-quarter:])
        print(f"memory: second-quarter median {early:.1f} MB, last-quarter median {late:.1f} MB")
        if late > early * 1.15:
            problems.append(f"memory grew from {early:.1f} MB to {late:.1f} MB")
    served = sum(len(f.served) for f in soak_feeds)
    print(
        f"soak: {len(samples)} samples over {args.minutes:g} min; rss min {min(rss, default=0):.1f}"
        f" / max {max(rss, default=0):.1f} MB; final rows {final}; items published {served}"
    )
    for problem in problems:
        print("problem:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
