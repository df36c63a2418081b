"""Fetch benchmark: aggregator against the `reader` library on the same local feeds.

A server process on 127.0.0.1 serves N feeds (default 1,000 feeds of 30 entries: German
titles and HTML summaries, many stories reported by several outlets, ETags on every feed).
Each measured run uses a fresh SQLite database in its own process (so peak memory is that
run's own) and times three passes:

1. cold: every feed new (aggregator's figure includes grouping into stories);
2. all-304: every feed answers 304 Not Modified;
3. changed: 10% of the feeds have 5 new entries each, the rest answer 304.

The same passes are then timed with `reader` (`update_feeds(workers=...)`). Medians of
`--runs` runs are printed, with peak memory and the ratios the project aims for:
cold at most half of reader's time, all-304 at least 5 times faster than cold.

    python benchmarks/fetch_bench.py                 # 1,000 feeds x 30 entries, 3 runs
    python benchmarks/fetch_bench.py --feeds 200 --runs 1 --skip-reader
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

VOCABULARY = {
    name.strip(): words.split()
    for name, _, words in (
        line.partition(":")
        for line in (Path(__file__).parent / "vocabulary_de.txt").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    )
}
PLACES, PREFIXES, SUFFIXES = VOCABULARY["places"], VOCABULARY["prefixes"], VOCABULARY["suffixes"]
FIRST, LAST, ROLES, VERBS = (VOCABULARY[k] for k in ("first", "last", "roles", "verbs"))
TITLE_FORMS = (
    "{place}: {role} {person} {verb} {thing} und {other}",
    "{thing} in {place}: {person} {verb} {other} – {number} Millionen Euro",
    "{role} {person} {verb} {thing} – Streit um {other} in {place}",
    "{place} – {thing} kostet {number} Millionen, {person} {verb} {other}",
)


def make_stories(count: int, rng: random.Random) -> list[dict[str, str]]:
    """Distinct stories: each a place, a person and two compound nouns of its own."""

    def compound() -> str:
        return rng.choice(PREFIXES) + rng.choice(SUFFIXES)

    return [
        {
            "place": rng.choice(PLACES),
            "person": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "role": rng.choice(ROLES),
            "verb": rng.choice(VERBS),
            "thing": compound().capitalize(),
            "other": compound().capitalize(),
            "number": str(rng.randint(2, 400)),
        }
        for _ in range(count)
    ]


def item_xml(feed: int, serial: int, story: dict[str, str], when: datetime, form: str) -> str:
    title = form.format(**story)
    link = f"https://outlet{feed}.example/{story['place'].lower()}/artikel-{serial}.html"
    summary = (
        f"<p>{story['role']} <b>{story['person']}</b> {story['verb']} in {story['place']} "
        f"das Vorhaben {story['thing']}. Beim Thema {story['other']} geht es um "
        f"{story['number']} Millionen Euro.</p><p>Weitere Einzelheiten sollen in der kommenden "
        f'Sitzung folgen. <a href="https://outlet{feed}.example/dossier">Mehr zum Thema</a></p>'
    )
    return (
        f"<item><title>{escape(title)}</title><link>{link}</link>"
        f'<guid isPermaLink="true">{link}</guid>'
        f"<description>{escape(summary)}</description>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
    )


def build_feeds(feeds: int, entries: int, seed: int = 5) -> tuple[list[bytes], list[bytes]]:
    """Version 1 of every feed, and version 2 (5 new entries on top) of every feed."""
    rng = random.Random(seed)
    stories = make_stories(max(feeds * entries // 4, 10), rng)
    now = datetime.now(UTC).replace(microsecond=0)
    first: list[bytes] = []
    second: list[bytes] = []
    for feed in range(feeds):
        form = TITLE_FORMS[feed % len(TITLE_FORMS)]
        head = (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>Outlet {feed}</title><link>https://outlet{feed}.example/</link>"
            f"<description>Nachrichten aus der Region {feed}</description><language>de</language>"
        )
        items = [
            item_xml(
                feed,
                serial,
                rng.choice(stories),
                now - timedelta(minutes=rng.randint(30, 48 * 60)),
                form,
            )
            for serial in range(entries)
        ]
        fresh = [
            item_xml(feed, entries + k, rng.choice(stories), now - timedelta(minutes=k + 1), form)
            for k in range(5)
        ]
        tail = "</channel></rss>\n"
        first.append((head + "".join(items) + tail).encode())
        second.append((head + "".join(fresh + items[: entries - 5]) + tail).encode())
    return first, second


def serve(feeds: int, entries: int, ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """The feed server process: /feed/N.xml, /_bump (10% get new entries), /_reset."""
    first, second = build_feeds(feeds, entries)
    tags = [
        [hashlib.md5(b).hexdigest() for b in first],
        [hashlib.md5(b).hexdigest() for b in second],
    ]
    bodies = [first, second]
    version = [0] * feeds
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", tag: str | None = None) -> None:
            self.send_response(status)
            if tag:
                self.send_header("ETag", f'"{tag}"')
            if status == 200 and tag:
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            path = self.path
            if path == "/_bump":
                with lock:
                    for index in range(0, feeds, 10):
                        version[index] = 1
                return self._send(204)
            if path == "/_reset":
                with lock:
                    version[:] = [0] * feeds
                return self._send(204)
            try:
                index = int(path.removeprefix("/feed/").removesuffix(".xml"))
            except ValueError:
                return self._send(404)
            current = version[index]
            tag = tags[current][index]
            if self.headers.get("If-None-Match") == f'"{tag}"':
                return self._send(304, tag=tag)
            return self._send(200, bodies[current][index], tag)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    httpd = Server(("127.0.0.1", 0), Handler)
    ready.put(httpd.server_address[1])
    httpd.serve_forever()


def control(base: str, action: str) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{base}/{action}") as response:
        response.read()


def measure_aggregator(base: str, feeds: int, workdir: Path, concurrency: int) -> dict[str, float]:
    from aggregator.config import parse_config
    from aggregator.pipeline import Pipeline
    from aggregator.store import Database

    # Every benchmark feed lives on 127.0.0.1; the per-host limit is raised to the overall
    # one so that both sides fetch `concurrency` feeds at once, as reader does.
    lines = [
        "settings:",
        f"  concurrency: {concurrency}",
        f"  per_host_concurrency: {concurrency}",
        "feeds:",
    ]
    for index in range(feeds):
        lines += [f"  - name: outlet{index}", f"    url: {base}/feed/{index}.xml"]
    config = parse_config("\n".join(lines) + "\n")
    db = Database(f"sqlite:///{workdir / 'aggregator.db'}")
    pipeline = Pipeline(db, config)
    times: dict[str, float] = {}
    try:
        for name in ("cold", "all_304", "changed"):
            if name == "changed":
                control(base, "_bump")
            started = time.perf_counter()
            summary = pipeline.fetch()
            times[name] = time.perf_counter() - started
            times[f"{name}_new_entries"] = summary.new_entries
            times[f"{name}_failed"] = summary.feeds_failed
    finally:
        db.close()
    return times


def measure_reader(base: str, feeds: int, workdir: Path, workers: int) -> dict[str, float]:
    from reader import make_reader

    times: dict[str, float] = {}
    with make_reader(str(workdir / "reader.sqlite")) as feed_reader:
        for index in range(feeds):
            feed_reader.add_feed(f"{base}/feed/{index}.xml")
        for name in ("cold", "all_304", "changed"):
            if name == "changed":
                control(base, "_bump")
            before = feed_reader.get_entry_counts().total
            started = time.perf_counter()
            # scheduled=False: every feed now, as `aggregator fetch` does.
            feed_reader.update_feeds(workers=workers, scheduled=False)
            times[name] = time.perf_counter() - started
            times[f"{name}_new_entries"] = feed_reader.get_entry_counts().total - before
    return times


def child(args: argparse.Namespace) -> None:
    """One measured run in its own process; prints its timings and peak memory as JSON."""
    with tempfile.TemporaryDirectory(prefix="fetch-bench-") as directory:
        workdir = Path(directory)
        if args.child == "aggregator":
            times = measure_aggregator(args.base, args.feeds, workdir, args.workers)
        else:
            times = measure_reader(args.base, args.feeds, workdir, args.workers)
    times["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(times))


def run_child(kind: str, base: str, args: argparse.Namespace) -> dict[str, float]:
    control(base, "_reset")
    command = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--base",
        base,
        "--feeds",
        str(args.feeds),
        "--workers",
        str(args.workers),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=20, help="concurrency of both sides")
    parser.add_argument("--skip-reader", action="store_true")
    parser.add_argument("--child", choices=("aggregator", "reader"), help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=serve, args=(args.feeds, args.entries, ready))
    server.daemon = True
    server.start()
    base = f"http://127.0.0.1:{ready.get(timeout=120)}"
    kinds = ["aggregator"] + ([] if args.skip_reader else ["reader"])
    results: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    try:
        for run in range(args.runs):
            for kind in kinds:
                result = run_child(kind, base, args)
                results[kind].append(result)
                print(
                    f"run {run + 1} {kind:10s} cold {result['cold']:6.2f}s  "
                    f"304 {result['all_304']:6.2f}s  changed {result['changed']:6.2f}s  "
                    f"peak {result['peak_mb']:.0f} MB  "
                    f"(new entries {result['cold_new_entries']:.0f}/"
                    f"{result['changed_new_entries']:.0f})",
                    flush=True,
                )
    finally:
        server.terminate()

    entries = args.feeds * args.entries
    print()
    print(f"{args.feeds} feeds x {args.entries} entries, {args.runs} runs, medians:")
    medians: dict[str, dict[str, float]] = {}
    for kind in kinds:
        medians[kind] = {
            key: statistics.median(r[key] for r in results[kind]) for key in results[kind][0]
        }
        m = medians[kind]
        print(
            f"  {kind:10s} cold {m['cold']:6.2f}s ({args.feeds / m['cold']:6.0f} feeds/s, "
            f"{entries / m['cold']:7.0f} entries/s)  all-304 {m['all_304']:6.2f}s  "
            f"10% changed {m['changed']:6.2f}s  peak {m['peak_mb']:.0f} MB"
        )
    ours = medians["aggregator"]
    print(f"  aggregator: cold / all-304 = {ours['cold'] / ours['all_304']:.1f}x (target >= 5)")
    if "reader" in medians:
        theirs = medians["reader"]
        print(
            f"  aggregator / reader, cold: {ours['cold'] / theirs['cold']:.2f} (target <= 0.5); "
            f"all-304: {ours['all_304'] / theirs['all_304']:.2f}; "
            f"changed: {ours['changed'] / theirs['changed']:.2f}"
        )


if __name__ == "__main__":
    main()
