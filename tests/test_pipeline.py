"""The whole pipeline against a local feed server and a real database (SQLite and PostgreSQL)."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import LocalFeedServer, Response
from feeds import Item, atom, feeds_yaml, json_feed, rss

from aggregator.config import parse_config
from aggregator.models import StoryQuery
from aggregator.pipeline import Pipeline
from aggregator.store import Database
from aggregator.store.queries import feed_statuses, find_stories

NOW = datetime.now(UTC).replace(microsecond=0)
SEED = "Halle und Leipzig: Neue Wege der Zusammenarbeit nach Antrittsbesuch!"
BODY = (
    "Die Oberbürgermeister von Halle und Leipzig haben bei einem Antrittsbesuch vereinbart, "
    "bei Verkehr, Wirtschaft und Kultur enger zusammenzuarbeiten."
)
A = [
    Item(
        SEED,
        "https://ha.example/halle-leipzig?utm_source=rss",
        f"<p>{BODY}</p>",
        NOW - timedelta(hours=5),
        "ha-1",
    ),
    Item(
        "Leipzig: Straßenbahnlinie 11 fällt wegen Bauarbeiten aus",
        "https://ha.example/linie-11",
        "Die LVB richten einen Ersatzverkehr ein.",
        NOW - timedelta(hours=3),
        "ha-2",
    ),
]
B = [Item(SEED, "https://dbh.example/neue-wege", BODY, NOW - timedelta(hours=4), "dbh-1")]
C = [
    Item(
        "Antrittsbesuch in Leipzig: Halle und Leipzig wollen enger zusammenarbeiten",
        "https://lvz.example/antrittsbesuch#kommentare",
        "Halle und Leipzig wollen künftig enger zusammenarbeiten, das haben die "
        "Oberbürgermeister beim Antrittsbesuch in Leipzig vereinbart.",
        NOW - timedelta(hours=6),
        "lvz-1",
    ),
    Item(
        "Leipzig: Polizei sucht Zeugen nach Unfall auf der B2",
        "https://lvz.example/b2",
        "Ein Radfahrer wurde schwer verletzt.",
        NOW - timedelta(hours=2),
        "lvz-2",
    ),
]


@pytest.fixture
def served(feed_server: LocalFeedServer):
    feed_server.routes["/a.xml"] = Response(rss("A", A))
    feed_server.routes["/b.atom"] = Response(atom("B", B), content_type="application/atom+xml")
    feed_server.routes["/c.json"] = Response(
        json_feed("C", C), content_type="application/feed+json"
    )
    feed_server.routes["/html"] = Response(
        b"<!doctype html><html><body>hi</body></html>", content_type="text/html"
    )
    text = feeds_yaml(
        [
            {
                "name": "a",
                "url": feed_server.url("/a.xml"),
                "region": "Sachsen-Anhalt",
                "priority": 5,
            },
            {
                "name": "b",
                "url": feed_server.url("/b.atom"),
                "region": "Sachsen-Anhalt",
                "priority": 1,
            },
            {"name": "c", "url": feed_server.url("/c.json"), "region": "Sachsen", "priority": 3},
            {"name": "broken", "url": feed_server.url("/html"), "region": "Sachsen"},
            {"name": "gone", "url": feed_server.url("/missing.xml")},
        ]
    )
    return feed_server, parse_config(text)


def test_user_story_end_to_end(served, db_url: str) -> None:
    server, config = served
    db = Database(db_url)
    try:
        summary = Pipeline(db, config).fetch()
        assert (summary.feeds_ok, summary.feeds_failed) == (3, 2)
        assert summary.new_entries == 5 and summary.new_stories == 3
        assert dict(summary.errors) == {
            "broken": "not a feed: the server sent an HTML page",
            "gone": "HTTP 404 Not Found",
        }
        with db.session() as session:
            stories = find_stories(session, StoryQuery(limit=None))
        seed = next(s for s in stories if s.source_count == 3)
        assert seed.link == "https://ha.example/halle-leipzig"  # priority 5, tracking removed
        assert seed.title == SEED and seed.region == "Sachsen-Anhalt"
        assert {s.link for s in seed.sources} == {
            "https://ha.example/halle-leipzig",
            "https://dbh.example/neue-wege",
            "https://lvz.example/antrittsbesuch",
        }
        assert seed.published == NOW - timedelta(hours=6) and seed.updated == NOW - timedelta(
            hours=4
        )
        assert all(s.source_count == 1 for s in stories if s is not seed)

        # fetching again adds nothing and the servers answer 304
        again = Pipeline(db, config).fetch()
        assert again.new_entries == 0 and again.new_stories == 0 and again.feeds_not_modified == 3
        assert server.requests("/a.xml")[-1][0] == 304
        with db.session() as session:
            assert [
                (s.id, s.source_count) for s in find_stories(session, StoryQuery(limit=None))
            ] == [(s.id, s.source_count) for s in stories]
            statuses = {f.name: f for f in feed_statuses(session, [f.name for f in config.feeds])}
        assert statuses["a"].entry_count == 2 and statuses["a"].last_status == 304
        assert (
            statuses["gone"].last_error == "HTTP 404 Not Found"
            and statuses["gone"].error_count == 2
        )
    finally:
        db.close()


def test_edited_entry_is_updated_in_place_and_vanished_items_are_kept(served, db_url: str) -> None:
    server, config = served
    db = Database(db_url)
    try:
        Pipeline(db, config).fetch()
        edited = [
            Item(A[0].title + " (aktualisiert)", A[0].link, A[0].summary, A[0].published, A[0].guid)
        ]
        server.routes["/a.xml"] = Response(rss("A", edited))  # ha-2 vanished, ha-1 edited
        summary = Pipeline(db, config).fetch()
        assert summary.updated_entries == 1 and summary.new_entries == 0
        with db.session() as session:
            stories = find_stories(session, StoryQuery(limit=None))
        assert sum(s.source_count for s in stories) == 5
        seed = next(s for s in stories if s.source_count == 3)
        assert seed.title == SEED + " (aktualisiert)"
        assert any(src.title.endswith("(aktualisiert)") for src in seed.sources)
    finally:
        db.close()


def test_filters(served, db_url: str) -> None:
    _, config = served
    db = Database(db_url)
    try:
        Pipeline(db, config).fetch()
        with db.session() as session:

            def ids(**kw):
                return [s.id for s in find_stories(session, StoryQuery(limit=None, **kw))]

            everything = ids()
            seed = [s for s in find_stories(session, StoryQuery(min_sources=2))]
            assert len(seed) == 1
            assert ids(search="antrittsbesuch") == [seed[0].id]
            assert ids(search="Radfahrer verletzt") != [] and seed[0].id not in ids(
                search="Radfahrer"
            )
            assert set(ids(region="Sachsen")) >= {seed[0].id}  # a source from a Sachsen feed
            assert len(ids(feed="b")) == 1
            recent = find_stories(session, StoryQuery(since=NOW - timedelta(hours=2, minutes=30)))
            assert [s.title for s in recent] == [
                "Leipzig: Polizei sucht Zeugen nach Unfall auf der B2"
            ]
            assert len(everything) == 3
            assert len(find_stories(session, StoryQuery(limit=2))) == 2
            updated = [s.updated for s in find_stories(session, StoryQuery(limit=None))]
            assert updated == sorted(updated, reverse=True)
    finally:
        db.close()
