"""How fetch workers scale on PostgreSQL: 1, 2 and 4 worker processes, one round each.

A feed server in its own process serves N synthetic feeds (tests/crowd.py: many outlets
reporting the same stories at once) from 127.0.0.1. For each worker count and repeat, a
fresh PostgreSQL database is migrated, the workers are started (already imported, so
process start-up is not timed) and the round is timed until the last worker is done.
Reports the median wall time, feeds/s, entries/s and the speed-up over one worker, and
checks that no feed was fetched twice and no story was stored twice.

    .venv/bin/python benchmarks/workers_bench.py                  # 2,000 feeds, 3 repeats
    .venv/bin/python benchmarks/workers_bench.py --feeds 500 --repeats 1

Needs PostgreSQL (AGGREGATOR_BENCH_PG, default postgresql+psycopg://postgres@127.0.0.1:5432/
postgres: a server where the user may create databases).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from crowd import build_feeds  # noqa: E402
from feeds import feeds_yaml  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from aggregator.models import StoryQuery  # noqa: E402
from aggregator.store import Database  # noqa: E402
from aggregator.store.queries import find_stories  # noqa: E402
from aggregator.store.schema import EntryRow  # noqa: E402
from aggregator.workers import work_once  # noqa: E402

PG_ADMIN = os.environ.get(
    "AGGREGATOR_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def serve(feeds: int, per_feed: int, stories: int, port: multiprocessing.Queue) -> None:
    """The feed server process: every feed body, plus /_hits (and /_reset) for counting."""
    bodies, _gold = build_feeds(feeds, per_feed, stories)
    hits: dict[str, int] = defaultdict(int)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/_hits":
                with lock:
                    body = json.dumps(hits).encode()
            elif self.path == "/_reset":
                with lock:
                    hits.clear()
                body = b"{}"
            else:
                body = bodies.get(self.path, b"")
                with lock:
                    hits[self.path] += 1
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        request_queue_size = 1024
        daemon_threads = True

    httpd = Server(("127.0.0.1", 0), Handler)
    port.put(httpd.server_address[1])
    httpd.serve_forever()


def get_json(url: str) -> dict[str, int]:
    import httpx

    return httpx.get(url, timeout=30).json()


@contextmanager
def fresh_database() -> Iterator[str]:
    name = f"aggbench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def warm(_: int) -> int:
    """Run in each pool process before timing: imports are done, the process is up."""
    time.sleep(0.5)  # long enough that every process takes one
    return os.getpid()


def one_round(
    workers: int, base: str, config: Path, gold: dict[str, int], batch: int
) -> dict[str, float]:
    get_json(base + "/_reset")
    with fresh_database() as db_url:
        Database(db_url).close()  # `aggregator db upgrade`
        context = multiprocessing.get_context("spawn")
        with context.Pool(workers) as pool:
            pool.map(warm, range(workers), chunksize=1)
            started = time.perf_counter()
            jobs = [
                pool.apply_async(work_once, (db_url, str(config), f"w{i}"), {"batch": batch})
                for i in range(workers)
            ]
            rounds = [job.get(timeout=3600) for job in jobs]
            elapsed = time.perf_counter() - started
        db = Database(db_url, auto_upgrade=False)
        try:
            with db.session() as session:
                entries = session.scalar(select(func.count()).select_from(EntryRow)) or 0
                stories = find_stories(session, StoryQuery(limit=None))
        finally:
            db.close()
    hits = get_json(base + "/_hits")
    rows_of: dict[int, set[int]] = defaultdict(set)
    for story in stories:
        for source in story.sources:
            rows_of[gold[source.link]].add(story.id)
    return {
        "seconds": elapsed,
        "feeds": sum(r.summary.feeds_ok + r.summary.feeds_failed for r in rounds),
        "failed": sum(r.summary.feeds_failed for r in rounds),
        "entries": entries,
        "stories": len(stories),
        "split": sum(1 for ids in rows_of.values() if len(ids) > 1),
        "fetched_twice": sum(1 for n in hits.values() if n > 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--per-feed", type=int, default=10, help="entries per feed")
    parser.add_argument("--stories", type=int, default=1500)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=20, help="feeds leased at a time")
    parser.add_argument("--concurrency", type=int, default=20, help="fetches per worker")
    args = parser.parse_args()

    _bodies, gold = build_feeds(args.feeds, args.per_feed, args.stories)
    context = multiprocessing.get_context("spawn")
    port_queue: multiprocessing.Queue = context.Queue()
    server = context.Process(
        target=serve, args=(args.feeds, args.per_feed, args.stories, port_queue), daemon=True
    )
    server.start()
    base = f"http://127.0.0.1:{port_queue.get(timeout=120)}"
    results: dict[int, list[dict[str, float]]] = defaultdict(list)
    try:
        with tempfile.TemporaryDirectory() as directory:
            config = Path(directory) / "feeds.yaml"
            config.write_text(
                feeds_yaml(
                    [{"name": f"o{k}", "url": f"{base}/f{k}.xml"} for k in range(args.feeds)],
                    {
                        "concurrency": args.concurrency,
                        "per_host_concurrency": args.concurrency,
                    },
                )
            )
            counts = [int(n) for n in args.workers.split(",")]
            for repeat in range(args.repeats):
                for workers in counts:
                    result = one_round(workers, base, config, gold, args.batch)
                    results[workers].append(result)
                    print(
                        f"repeat {repeat + 1}, {workers} worker(s): {result['seconds']:.1f} s, "
                        f"{result['entries']:.0f} entries, {result['stories']:.0f} stories, "
                        f"{result['failed']:.0f} failed, {result['split']:.0f} split, "
                        f"{result['fetched_twice']:.0f} fetched twice",
                        flush=True,
                    )
    finally:
        server.terminate()
    print()
    print(
        f"{args.feeds} feeds x {args.per_feed} entries, {args.stories} stories, "
        f"median of {args.repeats}, {os.cpu_count()} CPUs"
    )
    print("| workers | seconds | feeds/s | entries/s | speed-up |")
    print("|---:|---:|---:|---:|---:|")
    base_seconds = None
    for workers in sorted(results):
        seconds = statistics.median(r["seconds"] for r in results[workers])
        entries = statistics.median(r["entries"] for r in results[workers])
        base_seconds = base_seconds or seconds
        print(
            f"| {workers} | {seconds:.1f} | {args.feeds / seconds:.0f} | "
            f"{entries / seconds:.0f} | {base_seconds / seconds:.2f}x |"
        )


if __name__ == "__main__":
    main()
