"""Bad input never loses data: a hostile server beside healthy feeds, on SQLite and PostgreSQL.

For every fault the run finishes, the healthy feeds' entries are all stored, the fault is
recorded against its feed, and the database stays consistent. Limits are small (1 s
timeouts, 1 MB bodies) so the whole hostile run takes a few seconds.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fault_server import FaultServer, Route, gzip_bomb
from feeds import Item, atom, feeds_yaml, json_feed, rss
from sqlalchemy import func, select

from aggregator.config import parse_config
from aggregator.models import Config, FeedStatus, StoryQuery
from aggregator.pipeline import Pipeline
from aggregator.store import Database
from aggregator.store.queries import feed_statuses, find_stories
from aggregator.store.schema import EntryRow, FeedRow, MembershipRow, StoryRow

NOW = datetime.now(UTC).replace(microsecond=0)
LIMITS = {"timeout": 1, "connect_timeout": 1, "max_body_bytes": 1_000_000}
UMLAUTS = [
    "Größere Straßenbahn für Görlitz: Bürger äußern Kritik",
    "Übergabe der Brücke in Weißenfels verzögert sich",
]


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer()
    yield server
    server.close()


def items(prefix: str, count: int) -> list[Item]:
    return [
        Item(
            f"{prefix.capitalize()} meldet: Stadtrat beschließt Vorlage Nummer {k} zum Haushalt",
            f"https://{prefix}.example/artikel/{k}",
            f"<p>Bericht {k} aus <b>{prefix}</b>.</p>",
            NOW - timedelta(minutes=10 * k + 5),
            f"{prefix}-{k}",
        )
        for k in range(count)
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def consistency_problems(db: Database) -> list[str]:
    """Every entry in exactly one story; every story's cached fields agree with its members."""
    problems = []
    with db.session() as session:
        orphans = session.scalar(
            select(func.count())
            .select_from(EntryRow)
            .where(
                ~select(MembershipRow.entry_id)
                .where(MembershipRow.entry_id == EntryRow.id)
                .exists()
            )
        )
        if orphans:
            problems.append(f"{orphans} entries without a story")
        members = dict(
            session.execute(
                select(MembershipRow.story_id, func.count()).group_by(MembershipRow.story_id)
            ).all()
        )
        for story in session.scalars(select(StoryRow)):
            if members.get(story.id, 0) != story.source_count:
                problems.append(f"story {story.id}: source_count {story.source_count}")
            owner = session.scalar(
                select(MembershipRow.story_id).where(
                    MembershipRow.entry_id == story.canonical_entry_id
                )
            )
            if owner != story.id:
                problems.append(f"story {story.id}: canonical entry is not a member")
    return problems


def entry_counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return dict(
            session.execute(
                select(FeedRow.name, func.count(EntryRow.id))
                .join(EntryRow, EntryRow.feed_id == FeedRow.id)
                .group_by(FeedRow.name)
            ).all()
        )


def build(server: FaultServer) -> tuple[Config, dict[str, int]]:
    """Routes for every fault and the config naming them; returns the expected entry counts."""
    routes = server.routes
    expected: dict[str, int] = {}
    for k in range(4):
        routes[f"/ok{k}.xml"] = Route(rss(f"ok{k}", items(f"ok{k}", 8)))
        expected[f"ok{k}"] = 8
    routes["/atom.xml"] = Route(atom("atom", items("atom", 5)), content_type="application/atom+xml")
    routes["/json.json"] = Route(
        json_feed("json", items("json", 5)), content_type="application/feed+json"
    )
    routes["/gzipped.xml"] = Route(rss("gzipped", items("gzipped", 5)), fault="gzip")
    expected.update(atom=5, json=5, gzipped=5)
    # Redirects: permanent ones are followed and stored, temporary ones only followed.
    routes["/moved301.xml"] = Route(status=301, headers={"Location": "/new301.xml"}, etag=False)
    routes["/new301.xml"] = Route(rss("moved301", items("m301", 3)))
    routes["/moved308.xml"] = Route(status=308, headers={"Location": "/new308.xml"}, etag=False)
    routes["/new308.xml"] = Route(rss("moved308", items("m308", 3)))
    routes["/temp302.xml"] = Route(status=302, headers={"Location": "/t302.xml"}, etag=False)
    routes["/t302.xml"] = Route(rss("temp302", items("t302", 3)))
    routes["/loop1.xml"] = Route(status=301, headers={"Location": "/loop2.xml"}, etag=False)
    routes["/loop2.xml"] = Route(status=302, headers={"Location": "/loop1.xml"}, etag=False)
    expected.update(moved301=3, moved308=3, temp302=3)
    # Charsets: declared right in two encodings, and declared wrong.
    umlaut = [
        Item(t, f"https://cs.example/{n}", "Öffentliche Sitzung.", NOW - timedelta(hours=n + 1))
        for n, t in enumerate(UMLAUTS)
    ]
    routes["/cp1252.xml"] = Route(rss("cp1252", umlaut, "windows-1252"), content_type="text/xml")
    routes["/latin1.xml"] = Route(rss("latin1", umlaut, "iso-8859-1"), content_type="text/xml")
    wrong = rss("wrong", umlaut, "windows-1252").replace(b"windows-1252", b"utf-8", 1)
    routes["/wrongcharset.xml"] = Route(wrong, content_type="application/rss+xml; charset=utf-8")
    expected.update(cp1252=2, latin1=2, wrongcharset=2)
    # Entries missing guid, link, title or date; duplicate guids inside one feed.
    sparse = [
        Item("Nur ein Titel, ohne Link und ohne Datum", None),
        Item(None, "https://sparse.example/ohne-titel", "Meldung ohne Überschrift.", NOW),
        Item("Ohne guid, mit Link", "https://sparse.example/ohne-guid", "Text.", NOW),
        Item("Ohne Datum, mit guid", None, "Text ohne Datum.", None, "sparse-4"),
    ]
    routes["/sparse.xml"] = Route(rss("sparse", sparse))
    duplicated = items("dup", 5)
    duplicated[4].guid = duplicated[3].guid
    routes["/dupguid.xml"] = Route(rss("dupguid", duplicated))
    expected.update(sparse=4)
    # Hostile answers.
    routes["/hang.xml"] = Route(fault="hang")
    routes["/drip.xml"] = Route(rss("drip", items("drip", 3)), fault="drip")
    routes["/e500.xml"] = Route(b"oops", status=500, etag=False)
    routes["/e404.xml"] = Route(b"gone missing", status=404, etag=False)
    routes["/e410.xml"] = Route(b"", status=410, etag=False)
    routes["/e429.xml"] = Route(b"", status=429, headers={"Retry-After": "3600"}, etag=False)
    routes["/html.xml"] = Route(
        b"<!doctype html><html><body>Kein Feed</body></html>", content_type="text/html"
    )
    routes["/empty.xml"] = Route(b"")
    routes["/truncated.xml"] = Route(rss("truncated", items("trunc", 6)), fault="truncate")
    routes["/big.xml"] = Route(fault="big", size=50 * 2**20)
    routes["/bomb.xml"] = Route(gzip_bomb(64), fault="raw-gzip")
    routes["/close.xml"] = Route(fault="close")

    feeds: list[dict[str, object]] = []
    for path in routes:
        name = path.strip("/").rsplit(".", 1)[0]
        if name in ("new301", "new308", "t302", "loop2"):
            continue
        feeds.append({"name": name, "url": server.url(path), "interval": "10m"})
    feeds.append({"name": "refused", "url": f"http://127.0.0.1:{free_port()}/feed.xml"})
    feeds.append({"name": "nodns", "url": "http://no-such-host.invalid/feed.xml"})
    config = parse_config(feeds_yaml(feeds, LIMITS))
    return config, expected


ERRORS = {
    "hang": "timed out",
    "drip": "timed out",
    "e500": "HTTP 500",
    "e404": "HTTP 404",
    "e410": "HTTP 410",
    "e429": "HTTP 429",
    "loop1": "redirect loop",
    "html": "HTML page",
    "empty": "empty body",
    "big": "larger than the limit",
    "bomb": "larger than the limit",
    "refused": "cannot connect",
    "nodns": "cannot connect",
}


def test_hostile_server_loses_nothing(fault_server: FaultServer, db_url: str) -> None:
    config, expected = build(fault_server)
    db = Database(db_url)
    try:
        summary = Pipeline(db, config).fetch()
        counts = entry_counts(db)
        for name, count in expected.items():
            assert counts.get(name, 0) == count, (name, summary.errors)
        assert counts.get("dupguid") in (4, 5)  # one of the twins, or both told apart
        with db.session() as session:
            statuses = {s.name: s for s in feed_statuses(session, [f.name for f in config.feeds])}
            stories = find_stories(session, StoryQuery(limit=None))
        for name, text in ERRORS.items():
            error = statuses[name].last_error or ""
            assert text in error, (name, error)
            assert statuses[name].error_count == 1
            assert statuses[name].next_due_at is not None or name == "e410"
        assert "broke the connection" in (statuses["close"].last_error or "")
        # A truncated document keeps its complete entries, and the problem is recorded.
        truncated = statuses["truncated"]
        assert truncated.entry_count == 3
        assert (truncated.last_error or "").startswith("warning: ")
        assert truncated.error_count == 0
        assert statuses["e410"].disabled_reason and "410" in statuses["e410"].disabled_reason
        assert statuses["e429"].next_due_at is not None
        assert statuses["e429"].next_due_at >= NOW + timedelta(hours=1)
        assert statuses["e429"].due_reason == "Retry-After 1h"
        assert statuses["moved301"].url == fault_server.url("/new301.xml")
        assert statuses["moved308"].url == fault_server.url("/new308.xml")
        assert statuses["temp302"].url == fault_server.url("/temp302.xml")
        assert dict(summary.moved) == {
            "moved301": fault_server.url("/new301.xml"),
            "moved308": fault_server.url("/new308.xml"),
        }
        titles = {source.title for story in stories for source in story.sources}
        assert set(UMLAUTS) <= titles
        assert "Nur ein Titel, ohne Link und ohne Datum" in titles
        assert consistency_problems(db) == []

        # Second fetch: a title and a summary edited at the source, items vanishing.
        edited = items("ok0", 8)
        edited[0].title += " (aktualisiert)"
        edited[1].summary = "<p>Neue Zusammenfassung.</p>"
        fault_server.routes["/ok0.xml"] = Route(rss("ok0", edited))
        fault_server.routes["/ok1.xml"] = Route(rss("ok1", items("ok1", 8)[:2]))
        with db.session() as session:
            before = {
                e.link: (e.id, e.title, story)
                for e, story in session.execute(
                    select(EntryRow, MembershipRow.story_id).join(
                        MembershipRow, MembershipRow.entry_id == EntryRow.id
                    )
                ).all()
            }
        hits = {p: fault_server.hits(p) for p in ("/moved301.xml", "/temp302.xml", "/e410.xml")}
        second = Pipeline(db, config).fetch()
        assert entry_counts(db) == counts  # nothing lost, nothing doubled
        assert second.updated_entries == 2
        with db.session() as session:
            after = {
                e.link: (e.id, e.title, e.summary_html, story)
                for e, story in session.execute(
                    select(EntryRow, MembershipRow.story_id).join(
                        MembershipRow, MembershipRow.entry_id == EntryRow.id
                    )
                ).all()
            }
        for item in edited[:2]:
            entry_id, _title, story = before[item.link]
            assert after[item.link][0] == entry_id
            assert after[item.link][1] == item.title
            assert after[item.link][3] == story  # updated in place, story kept
        assert "Neue Zusammenfassung" in after[edited[1].link][2]
        assert fault_server.hits("/moved301.xml") == hits["/moved301.xml"]
        assert fault_server.hits("/temp302.xml") == hits["/temp302.xml"] + 1
        assert fault_server.hits("/e410.xml") == hits["/e410.xml"]  # disabled: not asked again
        assert fault_server.statuses("/ok2.xml")[-1] == 304
        assert consistency_problems(db) == []
    finally:
        db.close()


def test_not_modified_costs_no_parsing_and_no_entry_writes(
    fault_server: FaultServer, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault_server.routes["/f.xml"] = Route(rss("f", items("f", 5)))
    config = parse_config(feeds_yaml([{"name": "f", "url": fault_server.url("/f.xml")}]))
    db = Database(sqlite_url)
    try:
        Pipeline(db, config).fetch()
        with db.session() as session:
            stamps = sorted(session.scalars(select(EntryRow.updated_at)))
            stories = sorted(session.scalars(select(StoryRow.created_at)))

        def no_parsing(*args: object, **kwargs: object) -> None:
            raise AssertionError("a 304 answer was parsed")

        monkeypatch.setattr("aggregator.pipeline.parse_feed", no_parsing)
        summary = Pipeline(db, config).fetch()
        assert summary.feeds_not_modified == 1
        assert fault_server.statuses("/f.xml") == [200, 304]
        with db.session() as session:
            assert sorted(session.scalars(select(EntryRow.updated_at))) == stamps
            assert sorted(session.scalars(select(StoryRow.created_at))) == stories
            row = session.scalars(select(FeedRow)).one()
            assert row.last_status == 304
            assert row.error_count == 0
    finally:
        db.close()


def test_entries_per_feed_are_capped(fault_server: FaultServer, sqlite_url: str) -> None:
    fault_server.routes["/many.xml"] = Route(rss("many", items("many", 40)))
    config = parse_config(
        feeds_yaml(
            [{"name": "many", "url": fault_server.url("/many.xml")}], {"max_entries_per_feed": 15}
        )
    )
    db = Database(sqlite_url)
    try:
        Pipeline(db, config).fetch()
        assert entry_counts(db) == {"many": 15}
    finally:
        db.close()


def test_backoff_grows_with_errors_and_success_resets_it(
    fault_server: FaultServer, sqlite_url: str
) -> None:
    fault_server.routes["/flaky.xml"] = Route(b"down", status=503, etag=False)
    config = parse_config(
        feeds_yaml([{"name": "flaky", "url": fault_server.url("/flaky.xml"), "interval": "10m"}])
    )
    db = Database(sqlite_url)

    def status() -> FeedStatus:
        with db.session() as session:
            return feed_statuses(session, ["flaky"])[0]

    try:
        delays = []
        for _ in range(3):
            pipeline = Pipeline(db, config)
            pipeline.fetch()
            current = status()
            assert current.next_due_at is not None and current.last_fetched_at is not None
            delays.append(current.next_due_at - current.last_fetched_at)
        assert status().error_count == 3
        assert status().due_reason == "back-off after 3 errors"
        assert status().last_error == "HTTP 503 Service Unavailable"
        assert delays[0] < delays[1] < delays[2]
        assert delays[2] >= timedelta(minutes=36)  # 40 minutes, less jitter
        fault_server.routes["/flaky.xml"] = Route(rss("flaky", items("flaky", 2)))
        Pipeline(db, config).fetch()
        assert status().error_count == 0
        assert status().last_error is None
        assert status().due_reason == "feed interval 10m"
    finally:
        db.close()


def test_rss_ttl_is_obeyed_after_a_304_too(fault_server: FaultServer, sqlite_url: str) -> None:
    body = rss("ttl", items("ttl", 2)).replace(b"<description>ttl</description>", b"<ttl>90</ttl>")
    fault_server.routes["/ttl.xml"] = Route(body)
    config = parse_config(
        feeds_yaml([{"name": "ttl", "url": fault_server.url("/ttl.xml"), "interval": "10m"}])
    )
    db = Database(sqlite_url)
    try:
        pipeline = Pipeline(db, config)
        for expected_status in (200, 304):
            pipeline.fetch()
            assert fault_server.statuses("/ttl.xml")[-1] == expected_status
            with db.session() as session:
                status = feed_statuses(session, ["ttl"])[0]
            assert status.due_reason == "RSS ttl 1h30m"
            assert status.next_due_at is not None and status.last_fetched_at is not None
            assert status.next_due_at - status.last_fetched_at >= timedelta(minutes=90)
    finally:
        db.close()
