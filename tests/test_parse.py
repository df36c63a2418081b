from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.errors import ParseError
from aggregator.parse import normalize_entries, parse_feed

DATA = Path(__file__).parent / "data"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_rss20() -> None:
    feed = parse_feed(read("rss20.xml"), "application/rss+xml")
    assert feed.format == "rss20" and feed.title == "Hallescher Anzeiger" and feed.ttl_minutes == 60
    first, second = feed.entries
    assert first.guid == "ha-3"
    assert first.title == "Halle: Neuer Spielplatz am Hufeisensee eröffnet"
    assert "<b>Bauzeit</b>" in first.summary_html
    assert first.published == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert second.guid is None and second.link == "https://hallanzeiger.example/verkehr/linie-11"


def test_rss091_in_latin1() -> None:
    feed = parse_feed(read("rss091.xml"), "text/xml")
    assert feed.format == "rss091n" or feed.format.startswith("rss09")
    assert feed.entries[0].title == "Weißenfels: Brücke wird saniert"
    assert feed.entries[0].published is None


def test_rss10_rdf_takes_dc_date() -> None:
    feed = parse_feed(read("rss10.rdf"), "application/rdf+xml")
    assert feed.format == "rss10"
    entry = feed.entries[0]
    assert entry.title == "Naumburg: Dom erhält neue Außenbeleuchtung"
    assert (entry.published or entry.updated) == datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


def test_atom_with_relative_link_and_html_title() -> None:
    feed = parse_feed(read("atom.xml"), "application/atom+xml")
    assert feed.format == "atom10"
    zoo, see = feed.entries
    assert zoo.guid == "tag:leipziger-blatt.example,2026:zoo-1"
    assert zoo.published == datetime(2026, 11, 21, 9, 15, tzinfo=UTC)
    assert see.summary_html == "<p>Der Weg ist 8 Kilometer lang.</p>"
    [normalized] = normalize_entries(
        [zoo], seen_at=datetime.now(UTC), base_url="https://leipziger-blatt.example/"
    )
    assert normalized.link == "https://leipziger-blatt.example/leipzig/zoo-nachwuchs"
    assert normalized.title == "Zoo Leipzig meldet Nachwuchs bei den Elefanten"


def test_json_feed_11_and_10() -> None:
    feed = parse_feed(read("jsonfeed.json"), "application/feed+json")
    assert feed.format == "json1.1" and feed.title == "Elbe-Kurier"
    opera, ferry = feed.entries
    assert opera.guid == "ek-1" and opera.author == "Redaktion"
    assert opera.published == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    assert ferry.link == "https://elbe-kurier.example/faehre"
    assert ferry.summary_html == "Ab Montag ruht der Betrieb." and ferry.published is None
    old = parse_feed(read("jsonfeed10.json"), None)
    assert old.format == "json1" and old.entries[0].guid == "17"
    assert old.entries[0].author == "A. Autor"


@pytest.mark.parametrize(
    ("body", "ctype", "words"),
    [
        (b"", None, "empty body"),
        (b"   \n", None, "empty body"),
        ((DATA / "not-a-feed.html").read_bytes(), "text/html", "HTML page"),
        (b"<?xml version='1.0'?><note><to>x</to></note>", "text/xml", "not a feed"),
        (b"<rss version='2.0'><channel><title>x</ti", "text/xml", "malformed XML"),
        (b'{"items": []}', "application/json", "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', None, "malformed JSON"),
        (b"[1, 2]", "application/json", "not a JSON Feed"),
    ],
)
def test_not_a_feed_gets_a_readable_error(body: bytes, ctype: str | None, words: str) -> None:
    with pytest.raises(ParseError, match=words):
        parse_feed(body, ctype)


def test_truncated_xml_keeps_the_entries_before_the_cut() -> None:
    feed = parse_feed(read("truncated.xml"), "application/rss+xml")
    assert feed.entries[0].guid == "ha-3"
    assert feed.entries[0].title == "Halle: Neuer Spielplatz am Hufeisensee eröffnet"
    assert feed.warning


def test_windows_1252_declared_as_utf8_is_recovered() -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
        "<item><title>Größere Straßenbahn für Görlitz</title><link>https://x.example/1</link>"
        "</item></channel></rss>"
    ).encode("windows-1252")
    feed = parse_feed(body, "application/rss+xml; charset=utf-8")
    assert feed.entries[0].title == "Größere Straßenbahn für Görlitz"
