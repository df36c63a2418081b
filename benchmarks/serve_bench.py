"""How fast `aggregator serve` answers, from outside the server process.

Stores N stories (default 10,000; about one in four reported by several outlets) through
the store's own write functions, starts `aggregator serve` as a separate process on
127.0.0.1, and loads each route with 20 connections for 20 seconds: wrk when installed
(apt-get install wrk), else an asyncio httpx client. Prints requests per second and the
p50/p99 latency per route as a Markdown table.

    .venv/bin/python benchmarks/serve_bench.py [--stories 10000] [--duration 20]
        [--connections 20] [--tool wrk|httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aggregator.models import Decision, Entry, FeedConfig
from aggregator.store import Database, repository

WORDS = [
    "Halle",
    "Leipzig",
    "Dresden",
    "Chemnitz",
    "Magdeburg",
    "Stadtrat",
    "Haushalt",
    "Straßenbahn",
    "Baustelle",
    "Schule",
    "Polizei",
    "Feuerwehr",
    "Hochwasser",
    "Saale",
    "Elbe",
    "Konzert",
    "Museum",
    "Zoo",
    "Bürgermeister",
    "Landtag",
    "Brücke",
    "Verkehr",
    "Wetter",
    "Universität",
    "Klinik",
    "Bahnhof",
    "Flughafen",
    "Messe",
    "Theater",
    "Oper",
    "Fußball",
]
REGIONS = ("Sachsen", "Sachsen-Anhalt")


@dataclass(slots=True, frozen=True)
class Result:
    route: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def populate(db_url: str, count: int, seed: int = 7) -> int:
    """Store `count` stories with their entries and memberships; returns the entry count."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    feeds = [
        FeedConfig(f"outlet-{n:02d}", f"https://outlet{n}.example/feed.xml", REGIONS[n % 2])
        for n in range(20)
    ]
    db = Database(db_url)
    entries = 0
    try:
        with db.session() as session:
            ids = repository.sync_feeds(session, feeds, now)
            for number in range(count):
                published = now - timedelta(minutes=3 * (count - number))
                title = " ".join(rng.sample(WORDS, 6)) + f" ({number})"
                summary = " ".join(rng.choices(WORDS, k=40))
                reporters = rng.sample(feeds, 1 if rng.random() < 0.75 else rng.randint(2, 5))
                story_id = None
                for offset, feed in enumerate(reporters):
                    entry = Entry(
                        identity=f"{feed.name}-{number}",
                        guid=f"{feed.name}-{number}",
                        link=f"https://{feed.name}.example/{number}",
                        title=title,
                        summary_html=f"<p>{summary}</p>",
                        summary_text=summary,
                        published=published + timedelta(minutes=offset),
                        content_hash=hashlib.sha1(f"{title}{summary}".encode()).hexdigest(),
                    )
                    (stored,) = repository.upsert_entries(session, ids[feed.name], [entry], now)
                    if story_id is None:
                        story_id = repository.new_story(session, stored.id, entry, feed.region, now)
                        decision = Decision(story_id, 1.0, "new")
                    else:
                        decision = Decision(story_id, 0.93, "title", ("halle", "leipzig"))
                    repository.attach(session, stored.id, story_id, decision, now)
                    entries += 1
                if number % 1000 == 999:
                    session.commit()
            session.commit()
    finally:
        db.close()
    return entries


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db_url: str, directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, AGGREGATOR_DB=db_url, AGGREGATOR_CONFIG=str(directory / "none.yaml"))
    process = subprocess.Popen(
        [sys.executable, "-m", "aggregator", "serve", "--port", str(port)],
        env=env,
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("aggregator serve did not start")


def run_wrk(url: str, headers: dict[str, str], duration: int, connections: int) -> Result:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Result(
        url,
        rps,
        _ms(percentiles["50"]),
        _ms(percentiles["99"]),
        int(errors.group(1)) if errors else 0,
    )


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_httpx(url: str, headers: dict[str, str], duration: int, connections: int) -> Result:
    import httpx

    async def load() -> tuple[list[float], int]:
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + duration
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(limits=limits, headers=headers, timeout=30) as client:

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < deadline:
                    start = time.perf_counter()
                    response = await client.get(url)
                    latencies.append(time.perf_counter() - start)
                    errors += response.status_code >= 400

            await asyncio.gather(*(worker() for _ in range(connections)))
        return latencies, errors

    latencies, errors = asyncio.run(load())
    latencies.sort()
    p = statistics.quantiles(latencies, n=100)
    return Result(url, len(latencies) / duration, p[49] * 1000, p[98] * 1000, errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument(
        "--database", help="Use this already populated database URL instead of a new one."
    )
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument(
        "--tool", choices=("wrk", "httpx"), default="wrk" if shutil.which("wrk") else "httpx"
    )
    args = parser.parse_args()
    load = run_wrk if args.tool == "wrk" else run_httpx

    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        directory = Path(tmp)
        db_url = args.database or f"sqlite:///{directory / 'bench.db'}"
        started = time.perf_counter()
        entries = 0 if args.database else populate(db_url, args.stories)
        print(
            f"stored {args.stories} stories from {entries} entries in "
            f"{time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        process, base = start_server(db_url, directory)
        try:
            with urllib.request.urlopen(base + "/feed.atom") as response:
                etag = response.headers["ETag"]
                items = response.read().count(b"<entry>")
            routes = [
                (f"/feed.atom 200 ({items} items)", "/feed.atom", {}),
                ("/feed.atom 304 (If-None-Match)", "/feed.atom", {"If-None-Match": etag}),
                ("/api/stories?limit=50", "/api/stories?limit=50", {}),
                ("/ (25 stories, HTML)", "/", {}),
            ]
            results = []
            for label, path, headers in routes:
                print(f"loading {label} for {args.duration} s ...", file=sys.stderr)
                result = load(base + path, headers, args.duration, args.connections)
                results.append((label, result))
        finally:
            process.terminate()
            process.wait(timeout=15)

    print(
        f"\n{args.stories} stories, {args.connections} connections, {args.duration} s per "
        f"route, load tool: {args.tool}\n"
    )
    print("| route | requests/s | p50 | p99 | errors |")
    print("|---|---:|---:|---:|---:|")
    for label, r in results:
        print(
            f"| {label} | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} ms | "
            f"{r.p99_ms:.2f} ms | {r.errors} |"
        )


if __name__ == "__main__":
    main()
