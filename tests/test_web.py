"""The web app over HTTP (Starlette's TestClient): every route, conditional GET, errors,
and that nothing a feed wrote can run in a reader's browser."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from conftest import LocalFeedServer, Response
from fastapi.testclient import TestClient
from feeds import Item, rss
from served import NOW, PWN, SEED, SEED_LINKS, Store, build_store, outlet_items
from typer.testing import CliRunner

from aggregator.cli import app as cli_app
from aggregator.opml import read_opml
from aggregator.pipeline import Pipeline
from aggregator.store import Database
from aggregator.web import WebSettings, create_app
from aggregator.web.schemas import FeedOut, StoryOut


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One fetched store for the tests that only read (built once: fetching takes time)."""
    server = LocalFeedServer()
    directory = tmp_path_factory.mktemp("web")
    try:
        yield build_store(server, directory, f"sqlite:///{directory / 'web.db'}")
    finally:
        server.close()


@pytest.fixture
def fresh_store(feed_server: LocalFeedServer, tmp_path: Path) -> Store:
    """A store of its own, for tests that change it."""
    return build_store(feed_server, tmp_path, f"sqlite:///{tmp_path / 'web.db'}")


def make_client(store: Store) -> Iterator[TestClient]:
    db = Database(store.db_url)
    settings = WebSettings(max_age=900, feeds=store.config.feeds, version_ttl=0)
    with TestClient(create_app(db, settings)) as test_client:
        yield test_client
    db.close()


@pytest.fixture(scope="module")
def client(store: Store) -> Iterator[TestClient]:
    yield from make_client(store)


@pytest.fixture
def fresh_client(fresh_store: Store) -> Iterator[TestClient]:
    yield from make_client(fresh_store)


def cli(store: Store, *args: str) -> bytes:
    result = CliRunner().invoke(
        cli_app,
        ["--db", store.db_url, "--config", str(store.config_path), *args],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def fetch_again(store: Store) -> None:
    db = Database(store.db_url)
    try:
        Pipeline(db, store.config).fetch()
    finally:
        db.close()


class Hostile(HTMLParser):
    """What a browser would act on: handlers, script URLs, scripts, frames, styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tag = tag
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                ("javascript:", "data:")
            ):
                self.found.append(f"<{tag} {name}={value}>")
        if tag in ("script", "iframe", "object", "embed", "style", "svg"):
            self.found.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        self.tag = None


def hostile(html: str) -> list[str]:
    parser = Hostile()
    parser.feed(html)
    return parser.found


def links(html: str) -> list[dict[str, str | None]]:
    found: list[dict[str, str | None]] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "a":
                found.append(dict(attrs))

    Links().feed(html)
    return found


# --- merged feeds ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["atom", "rss", "json"])
def test_feeds_are_exactly_what_export_writes(client: TestClient, store: Store, fmt: str) -> None:
    response = client.get(f"/feed.{fmt}?min_sources=1&region=Sachsen-Anhalt")
    assert response.status_code == 200
    exported = cli(
        store,
        "export",
        "--format",
        fmt,
        "--self-url",
        f"http://testserver/feed.{fmt}?min_sources=1&region=Sachsen-Anhalt",
        "--region",
        "Sachsen-Anhalt",
    )
    assert response.content == exported
    assert response.headers["content-type"].startswith(
        {
            "atom": "application/atom+xml",
            "rss": "application/rss+xml",
            "json": "application/feed+json",
        }[fmt]
    )


def test_atom_feed_has_self_link_stable_ids_and_every_source(client: TestClient) -> None:
    first = feedparser.parse(client.get("/feed.atom").content)
    assert not first.bozo
    assert len(first.entries) == 5  # seed story, Hochwasser, Straßenbahn, zoo, Brücke
    assert any(
        link.rel == "self" and link.href == "http://testserver/feed.atom"
        for link in first.feed.links
    )
    seed = next(e for e in first.entries if e.title == SEED)
    assert {link.href for link in seed.links} >= set(SEED_LINKS)
    again = feedparser.parse(client.get("/feed.atom?limit=50").content)
    assert [e.id for e in again.entries] == [e.id for e in first.entries]
    assert all(e.id.startswith("urn:aggregator:story:") for e in first.entries)


def test_filters_apply_to_feeds(client: TestClient) -> None:
    multi = feedparser.parse(client.get("/feed.rss?min_sources=3").content)
    assert [e.title for e in multi.entries] == [SEED]
    searched = feedparser.parse(client.get("/feed.atom?search=straßenbahn").content)
    assert [e.title for e in searched.entries] == ["Leipzig: Straßenbahn fährt wieder nach Grünau"]
    by_feed = json.loads(client.get("/feed.json?feed=lvz").content)
    assert len(by_feed["items"]) == 2
    assert len(json.loads(client.get("/feed.json?limit=2").content)["items"]) == 2
    recent = json.loads(client.get("/feed.json?since=150m").content)
    assert {i["title"] for i in recent["items"]} == {
        SEED,
        "Zoo Leipzig: Neues Elefantenhaus eröffnet",
    }


def test_conditional_get_answers_304_and_validators_are_stable(client: TestClient) -> None:
    first = client.get("/feed.atom")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["cache-control"] == "public, max-age=900"  # interval 15m
    second = client.get("/feed.atom")
    assert (second.headers["etag"], second.headers["last-modified"]) == (etag, modified)

    not_modified = client.get("/feed.atom", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    listed = client.get("/feed.atom", headers={"If-None-Match": f'"other", {etag}'})
    assert listed.status_code == 304
    strong = client.get("/feed.atom", headers={"If-None-Match": etag.removeprefix("W/")})
    assert strong.status_code == 304
    assert client.get("/feed.atom", headers={"If-None-Match": '"stale"'}).status_code == 200

    assert client.get("/feed.atom", headers={"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified) - timedelta(seconds=5), usegmt=True)
    assert client.get("/feed.atom", headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get("/feed.atom", headers={"If-Modified-Since": "garbage"}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    both = client.get(
        "/feed.atom", headers={"If-None-Match": '"stale"', "If-Modified-Since": modified}
    )
    assert both.status_code == 200


def test_validators_change_only_when_the_content_changes(
    fresh_client: TestClient, fresh_store: Store
) -> None:
    client, store = fresh_client, fresh_store
    all_before = client.get("/feed.atom").headers["etag"]
    multi_before = client.get("/feed.atom?min_sources=3")
    fetch_again(store)  # nothing new: 304s from the local server
    assert client.get("/feed.atom").headers["etag"] == all_before

    items = outlet_items()["lvz"] + [
        Item(
            "Chemnitz: Kulturhauptstadt zieht Bilanz",
            "https://lvz.example/chemnitz",
            "Zwei Millionen Gäste.",
            NOW - timedelta(minutes=30),
            "c3",
        )
    ]
    store.server.routes["/lvz.xml"] = Response(rss("lvz", items))
    fetch_again(store)
    after = client.get("/feed.atom")
    assert after.headers["etag"] != all_before
    assert "Kulturhauptstadt" in after.text
    assert client.get("/feed.atom", headers={"If-None-Match": all_before}).status_code == 200
    # the filtered feed's items did not change, so neither do its validators
    multi_after = client.get("/feed.atom?min_sources=3")
    assert multi_after.headers["etag"] == multi_before.headers["etag"]
    assert multi_after.headers["last-modified"] == multi_before.headers["last-modified"]


def test_gzip_when_asked(client: TestClient) -> None:
    response = client.get("/feed.atom", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["vary"]
    raw = client.get("/feed.atom", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert response.content == raw.content  # httpx decoded it
    assert int(response.headers["content-length"]) < len(gzip.compress(raw.content)) + 100


# --- the JSON API -------------------------------------------------------------------


def test_api_stories_is_the_stories_json_contract(client: TestClient, store: Store) -> None:
    response = client.get("/api/stories?region=Sachsen&limit=10")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert (
        response.content.decode() + "\n"
        == cli(
            store, "stories", "--format", "json", "--region", "Sachsen", "--limit", "10"
        ).decode()
    )
    stories = response.json()
    for story in stories:
        StoryOut.model_validate(story)  # the documented schema matches the contract
    seed = next(s for s in stories if s["title"] == SEED)
    assert seed["source_count"] == 3 and {s["link"] for s in seed["sources"]} == set(SEED_LINKS)
    etag = response.headers["etag"]
    again = client.get("/api/stories?region=Sachsen&limit=10", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_api_story_and_feeds(client: TestClient, store: Store) -> None:
    seed = next(s for s in client.get("/api/stories").json() if s["title"] == SEED)
    one = client.get(f"/api/stories/{seed['id']}")
    assert one.json() == seed
    missing = client.get("/api/stories/987654321")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no story with id 987654321"}
    feeds = client.get("/api/feeds").json()
    assert [f["name"] for f in feeds] == [f.name for f in store.config.feeds]
    for feed in feeds:
        FeedOut.model_validate(feed)
    dead = next(f for f in feeds if f["name"] == "dead")
    assert dead["failing"] and "404" in dead["last_error"] and dead["entries"] == 0
    lvz = next(f for f in feeds if f["name"] == "lvz")
    assert not lvz["failing"] and lvz["entries"] == 2 and lvz["last_status"] == 200


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/stories?limit=abc", 422, "limit: Input should be a valid integer"),
        ("/api/stories?limit=0", 422, "limit: Input should be greater than or equal to 1"),
        ("/api/stories?limit=100000", 422, "limit: Input should be less than or equal to 500"),
        ("/api/stories?min_sources=-2", 422, "min_sources:"),
        ("/api/stories?since=yesterday", 400, "since: bad time 'yesterday'"),
        ("/feed.atom?since=12x", 400, "since: bad time"),
        ("/api/stories/abc", 422, "story_id: Input should be a valid integer"),
        ("/api/stories/99999999999999999999999", 422, "story_id:"),
        ("/api/stories/0", 422, "story_id:"),
        ("/api/nothing", 404, "nothing at /api/nothing"),
    ],
)
def test_api_errors_are_4xx_with_a_message(
    client: TestClient, path: str, status: int, message: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "search=%00",
        "search=%25_%5C",
        "region=%F0%9F%92%A5",
        "feed='%3B--",
        "since=9999999d",
        "since=0001-01-01",
        "since=9999-12-31T23:59:59%2B14:00",
        "min_sources=10000",
        "page=100000",
        "limit=500&page=99999",
        "search=" + "x" * 200,
        "region=" + "y" * 201,
    ],
)
def test_odd_parameters_never_give_a_500(client: TestClient, query: str) -> None:
    for path in ("/", "/feed.atom", "/api/stories"):
        assert client.get(f"{path}?{query}").status_code < 500, (path, query)


def test_openapi_document_describes_the_api(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert {"/api/stories", "/api/stories/{story_id}", "/api/feeds", "/feed.atom"} <= set(
        document["paths"]
    )
    parameters = {p["name"] for p in document["paths"]["/api/stories"]["get"]["parameters"]}
    assert parameters == {"region", "feed", "min_sources", "since", "search", "limit"}
    assert "StoryOut" in document["components"]["schemas"]


# --- pages ----------------------------------------------------------------------------


def test_index_shows_grouped_stories_with_every_source(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    for link in SEED_LINKS:
        assert f'href="{link}"' in html
    assert html.index("Zoo Leipzig") < html.index(SEED) < html.index("Straßenbahn")  # newest first
    assert "3 outlets" in html
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'name="region"' in html and 'name="search"' in html and 'name="min_sources"' in html
    for anchor in links(html):
        href = anchor.get("href") or ""
        if href.startswith("http"):
            assert anchor.get("rel") == "noopener noreferrer", anchor


def test_pages_carry_no_hostile_markup_and_a_strict_csp(client: TestClient) -> None:
    for path in ("/", "/?search=Zoo", "/feeds"):
        response = client.get(path)
        assert hostile(response.text) == [], path
        assert PWN not in response.text.replace("&#39;", "'").split("<title>")[0]
        csp = response.headers["content-security-policy"]
        assert "script-src 'none'" in csp and "default-src 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    zoo = next(s for s in client.get("/api/stories?search=Zoo").json())
    page = client.get(f"/story/{zoo['id']}").text
    assert hostile(page) == []
    assert "<h1>Zoo Leipzig: Neues Elefantenhaus eröffnet</h1>" in page  # no link: javascript:
    assert 'href="https://zoo.example/elefanten" rel="noopener noreferrer"' in page
    assert "Das Haus ist groß." in page
    # the javascript: link of the story itself is not a link at all
    assert all(not (a.get("href") or "").startswith("javascript") for a in links(page))


def test_exports_are_sanitized_too(client: TestClient) -> None:
    for fmt in ("atom", "rss"):
        parsed = feedparser.parse(
            client.get(f"/feed.{fmt}?search=Zoo").content, sanitize_html=False
        )
        (entry,) = parsed.entries
        content = entry.get("content", [{"value": entry.get("description", "")}])[0]["value"]
        assert hostile(content) == [], fmt
        assert "javascript:" not in entry.get("link", "")
    item = json.loads(client.get("/feed.json?search=Zoo").content)["items"][0]
    assert hostile(item["content_html"]) == [] and "url" not in item


def test_index_filters_and_paging(client: TestClient) -> None:
    sachsen_anhalt = client.get("/?region=Sachsen-Anhalt").text
    assert "Hochwasser" in sachsen_anhalt and "Straßenbahn" not in sachsen_anhalt
    assert '<option value="Sachsen-Anhalt" selected>' in sachsen_anhalt
    searched = client.get("/?search=Hochwasser").text
    assert "Hochwasser" in searched and SEED not in searched
    multi = client.get("/?min_sources=3").text
    assert SEED in multi and "Hochwasser" not in multi
    assert "No stories match these filters" in client.get("/?search=Nirgendwo").text

    first = client.get("/?limit=2&region=Sachsen")
    assert 'rel="next" href="/?region=Sachsen&amp;limit=2&amp;page=2"' in first.text
    assert 'rel="prev"' not in first.text
    second = client.get("/?region=Sachsen&limit=2&page=2").text
    assert 'rel="prev" href="/?region=Sachsen&amp;limit=2&amp;page=1"' in second
    titles = [
        t for t in ("Zoo Leipzig", SEED, "Dresden", "Straßenbahn") if t in first.text + second
    ]
    assert len(titles) == 4
    last = client.get("/?region=Sachsen&limit=2&page=3").text
    assert 'rel="next"' not in last and "No stories" in last
    assert client.get("/?page=0").status_code == 422


def test_story_page_explains_every_source(client: TestClient) -> None:
    seed = next(s for s in client.get("/api/stories").json() if s["title"] == SEED)
    page = client.get(f"/story/{seed['id']}")
    assert page.status_code == 200
    for source in seed["sources"]:
        assert f'href="{source["link"]}"' in page.text
        assert f"{source['score']:.2f}" in page.text
        assert source["method"] in page.text
    terms = {t for s in seed["sources"] for t in s["matched_terms"]}
    assert terms and all(term in page.text for term in terms)
    missing = client.get("/story/987654321")
    assert missing.status_code == 404 and "no story with id 987654321" in missing.text
    assert missing.headers["content-type"].startswith("text/html")
    assert client.get("/story/abc").status_code == 422
    assert client.get("/story/99999999999999999999").status_code < 500


def test_feeds_page_shows_failing_feeds_first(client: TestClient) -> None:
    page = client.get("/feeds").text
    assert '5 feeds: <strong class="bad">1 failing</strong>' in page
    assert page.index("dead") < page.index("hallanzeiger")
    assert 'class="failing"' in page and "404" in page


def test_opml_lists_the_subscriptions(client: TestClient, store: Store) -> None:
    response = client.get("/feeds.opml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/x-opml")
    found = read_opml(response.content)
    assert [(f.title, f.xml_url, f.folder) for f in found] == [
        (f.name, f.url, f.region) for f in sorted(store.config.feeds, key=lambda f: f.region or "")
    ] or {f.xml_url for f in found} == {f.url for f in store.config.feeds}


def test_static_css_and_unknown_paths(client: TestClient) -> None:
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "prefers-color-scheme" in css.text
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


def test_serves_stored_feeds_without_a_config(store: Store) -> None:
    db = Database(store.db_url)
    try:
        with TestClient(create_app(db)) as bare:
            feeds = bare.get("/api/feeds").json()
            assert {f["name"] for f in feeds} == {f.name for f in store.config.feeds}
            assert bare.get("/feed.atom").headers["cache-control"] == "public, max-age=1800"
            assert len(read_opml(bare.get("/feeds.opml").content)) == 5
    finally:
        db.close()


def test_works_on_both_engines(feed_server: LocalFeedServer, tmp_path: Path, db_url: str) -> None:
    store = build_store(feed_server, tmp_path, db_url)
    db = Database(db_url)
    try:
        with TestClient(create_app(db, WebSettings(feeds=store.config.feeds))) as client:
            atom = client.get("/feed.atom?min_sources=2")
            assert [e.title for e in feedparser.parse(atom.content).entries] == [SEED]
            again = client.get(
                "/feed.atom?min_sources=2", headers={"If-None-Match": atom.headers["etag"]}
            )
            assert again.status_code == 304
            assert all(link in client.get("/?search=Antrittsbesuch").text for link in SEED_LINKS)
            assert client.get("/api/stories?search=50%25_off").json() == []
    finally:
        db.close()
