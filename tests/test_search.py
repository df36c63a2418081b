"""`--search` through the engine's text index, on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import LocalFeedServer, Response, fresh_database
from feeds import Item, feeds_yaml, rss
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update

from aggregator.config import parse_config
from aggregator.models import StoryQuery
from aggregator.pipeline import Pipeline
from aggregator.store import Database
from aggregator.store.queries import find_stories
from aggregator.store.schema import EntryRow
from aggregator.store.search import fts5_query, search_words, tsquery_text

NOW = datetime.now(UTC).replace(microsecond=0)
BRIDGE = "Magdeburg: Neue Elbbrücke wird im Frühjahr eröffnet"
TRAM = "ÜBERRASCHUNG in Halle-Neustadt: Straßenbahn fährt wieder"
QUOTES = 'Leipzig: Oper zeigt "Carmen" – Karten ab 3.50 Euro'


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def searchable(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One database per engine for the whole module: the searches only read."""
    feed_server = LocalFeedServer()
    with fresh_database(request.param, tmp_path_factory.mktemp("search")) as db_url:
        db = _fill(db_url, feed_server)
        yield db
        db.close()
    feed_server.close()


def _fill(db_url: str, feed_server: LocalFeedServer) -> Database:
    feed_server.routes["/a.xml"] = Response(
        rss(
            "A",
            [
                Item(BRIDGE, "https://a.example/1", "Die Brücke kostet 40 Millionen.", NOW, "a1"),
                Item(TRAM, "https://a.example/2", "Die Gleise sind repariert.", NOW, "a2"),
                Item(QUOTES, "https://a.example/3", "Premiere im Dezember.", NOW, "a3"),
            ],
        )
    )
    feed_server.routes["/b.xml"] = Response(
        rss(
            "B",
            [
                Item(
                    "Neue Elbbrücke in Magdeburg wird im Frühjahr eröffnet",
                    "https://b.example/1",
                    "Verkehrsministerin kommt zur Eröffnung.",
                    NOW - timedelta(hours=1),
                    "b1",
                )
            ],
        )
    )
    config = parse_config(
        feeds_yaml(
            [
                {"name": "a", "url": feed_server.url("/a.xml"), "priority": 5},
                {"name": "b", "url": feed_server.url("/b.xml")},
            ]
        )
    )
    db = Database(db_url)
    Pipeline(db, config).fetch()
    return db


def titles(db: Database, search: str) -> list[str]:
    with db.session() as session:
        return sorted(s.title for s in find_stories(session, StoryQuery(search=search)))


def test_every_word_must_match_in_the_story_or_any_source(searchable: Database) -> None:
    assert titles(searchable, "elbbrücke") == [BRIDGE]
    # "Verkehrsministerin" is only in b's summary, "Millionen" only in a's: both find it
    assert titles(searchable, "Verkehrsministerin Millionen") == [BRIDGE]
    assert titles(searchable, "Verkehrsministerin Gleise") == []
    assert titles(searchable, "magdeburg ERÖFFNET") == [BRIDGE]


def test_umlauts_case_and_prefixes(searchable: Database) -> None:
    assert titles(searchable, "überraschung") == [TRAM]
    assert titles(searchable, "Überr") == [TRAM]  # the start of a word
    assert titles(searchable, "straßenbahn") == [TRAM]
    assert titles(searchable, "STRASSENBAHN") == []  # ß is not ss
    assert titles(searchable, "Brucke") == []  # umlauts are kept, not stripped
    assert titles(searchable, "halle-neustadt") == [TRAM]
    assert titles(searchable, "Neustadt") == [TRAM]
    assert titles(searchable, "brücke") == [BRIDGE]  # the summary's own word


@pytest.mark.parametrize(
    "search",
    ['"Carmen"', "Carmen*", "(carmen", "3.50", "'carmen'", "carmen\\", "carmen & | ! <-> :*"]
    + ["^carmen", "carmen)", "{carmen}", "-carmen", "carmen;--", "Carmen –"],
)
def test_search_syntax_is_plain_text(searchable: Database, search: str) -> None:
    assert titles(searchable, search) == [QUOTES]


@pytest.mark.parametrize(
    "search",
    ["carmen OR oper2", "NOT carmen", "carmen AND", "car:men", "NEAR(carmen oper)"]
    + ["title:carmen", "carmen' OR '1'='1", 'carmen" OR "x', "Carmen*Oper"],
)
def test_operators_are_words_that_must_match_too(searchable: Database, search: str) -> None:
    assert titles(searchable, search) == []


def test_searches_without_words_find_nothing(searchable: Database) -> None:
    assert titles(searchable, "– ! ???") == []
    assert titles(searchable, "Nirgendwo") == []


def test_edits_and_removals_reach_the_index(db_url: str, feed_server: LocalFeedServer) -> None:
    searchable = _fill(db_url, feed_server)
    try:
        _edit_and_remove(searchable)
    finally:
        searchable.close()


def _edit_and_remove(searchable: Database) -> None:
    with searchable.session() as session:
        session.execute(
            update(EntryRow)
            .where(EntryRow.identity.like("%a3%"))
            .values(title="Leipzig: Ballett statt Oper", summary_text="Premiere verschoben.")
        )
        session.commit()
    assert titles(searchable, "Carmen") == []
    assert titles(searchable, "ballett") != []
    with searchable.session() as session:
        session.execute(text("DELETE FROM memberships"))
        session.execute(text("DELETE FROM entries"))
        session.commit()
    assert titles(searchable, "Elbbrücke") == []


def test_search_uses_the_index_not_a_scan(searchable: Database) -> None:
    with searchable.session() as session:
        if searchable.dialect == "postgresql":
            session.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(
                session.scalars(
                    text(
                        "EXPLAIN SELECT id FROM entries WHERE search_vector @@ "
                        "to_tsquery('simple'::regconfig, :q)"
                    ),
                    {"q": tsquery_text("Elbbrücke")},
                )
            )
            assert "ix_entries_search_vector" in plan
        else:
            plan = " ".join(
                str(row[-1])
                for row in session.execute(
                    text(
                        "EXPLAIN QUERY PLAN SELECT rowid FROM entries_fts WHERE entries_fts MATCH :q"
                    ),
                    {"q": fts5_query("Elbbrücke")},
                )
            )
            assert "VIRTUAL TABLE INDEX" in plan


def _fts5_table():  # type: ignore[no-untyped-def]
    import sqlite3

    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE t USING fts5(a, tokenize='unicode61 remove_diacritics 0')"
    )
    return connection


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_any_text_makes_a_valid_fts5_query(text_: str) -> None:
    connection = _fts5_table()
    connection.execute("INSERT INTO t VALUES ('x')")
    for word in search_words(text_):
        connection.execute("SELECT a FROM t WHERE t MATCH ?", (fts5_query(word),)).fetchall()


GERMAN_TEXT = st.text(
    alphabet="abcxyzABCXYZäöüÄÖÜß0123456789 -.:'\"*()^&|!+,;", min_size=1, max_size=30
)


@settings(max_examples=300, deadline=None)
@given(GERMAN_TEXT)
def test_every_word_finds_the_text_it_came_from(text_: str) -> None:
    connection = _fts5_table()
    connection.execute("INSERT INTO t VALUES (?)", (text_,))
    for word in search_words(text_):
        hits = connection.execute("SELECT a FROM t WHERE t MATCH ?", (fts5_query(word),))
        assert hits.fetchall() == [(text_,)]
