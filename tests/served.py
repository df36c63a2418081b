"""A store worth serving: three outlets with one story, a hostile feed, a failing feed.

Used by the HTTP-level tests and the browser tests alike; everything is fetched for real
from the local feed server through the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import LocalFeedServer, Response
from feeds import Item, feeds_yaml, rss

from aggregator.config import load_config
from aggregator.models import Config
from aggregator.pipeline import Pipeline
from aggregator.store import Database

NOW = datetime.now(UTC).replace(microsecond=0)
SEED = "Halle und Leipzig: Neue Wege der Zusammenarbeit nach Antrittsbesuch!"
SEED_BODY = "Die Oberbürgermeister von Halle und Leipzig vereinbaren eine engere Zusammenarbeit."
SEED_LINKS = [
    "https://hallanzeiger.example/halle-leipzig",
    "https://dubisthalle.example/halle-leipzig",
    "https://lvz.example/antrittsbesuch",
]
PWN = "document.body.setAttribute('data-pwned','1')"
HOSTILE_TITLE = f"Zoo Leipzig: Neues Elefantenhaus <script>{PWN}</script> eröffnet"
HOSTILE_SUMMARY = (
    f'<p>Das Haus ist groß.</p><img src="x" onerror="{PWN}">'
    '<iframe src="https://evil.example/"></iframe>'
    f'<a href="javascript:{PWN}">mehr</a><style>body{{display:none}}</style>'
    '<a href="https://zoo.example/elefanten">Elefanten</a>'
)


def outlet_items() -> dict[str, list[Item]]:
    return {
        "hallanzeiger": [
            Item(SEED, SEED_LINKS[0], SEED_BODY, NOW - timedelta(hours=3), "a1"),
            Item(
                "Halle: Saale-Hochwasser erreicht Höchststand",
                "https://hallanzeiger.example/hochwasser",
                "<p>Der Pegel in Halle steigt auf 6,20 Meter.</p>",
                NOW - timedelta(hours=6),
                "a2",
            ),
        ],
        "dubisthalle": [Item(SEED, SEED_LINKS[1], SEED_BODY, NOW - timedelta(hours=2), "b1")],
        "lvz": [
            Item(SEED, SEED_LINKS[2], SEED_BODY, NOW - timedelta(hours=4), "c1"),
            Item(
                "Leipzig: Straßenbahn fährt wieder nach Grünau",
                "https://lvz.example/grünau",
                "Die Linie 8 fährt ab Montag wieder.",
                NOW - timedelta(hours=8),
                "c2",
            ),
        ],
        "evil": [
            Item(
                HOSTILE_TITLE, "javascript:" + PWN, HOSTILE_SUMMARY, NOW - timedelta(hours=1), "e1"
            ),
            Item(
                "Dresden: Brücke gesperrt",
                "https://evil.example/bruecke",
                f'<svg onload="{PWN}"></svg><b onmouseover="{PWN}">Sperrung</b>',
                NOW - timedelta(hours=5),
                "e2",
            ),
        ],
    }


REGIONS = {
    "hallanzeiger": "Sachsen-Anhalt",
    "dubisthalle": "Sachsen-Anhalt",
    "lvz": "Sachsen",
    "evil": "Sachsen",
}


@dataclass
class Store:
    db_url: str
    config_path: Path
    config: Config
    server: LocalFeedServer


def build_store(server: LocalFeedServer, directory: Path, db_url: str) -> Store:
    """Serve the outlets' feeds, write feeds.yaml (with one dead feed), fetch once."""
    for name, items in outlet_items().items():
        server.routes[f"/{name}.xml"] = Response(rss(name, items))
    feeds: list[dict[str, object]] = [
        {"name": name, "url": server.url(f"/{name}.xml"), "region": REGIONS[name]}
        for name in outlet_items()
    ]
    feeds.append({"name": "dead", "url": server.url("/dead.xml"), "region": "Sachsen"})
    config_path = directory / "feeds.yaml"
    config_path.write_text(feeds_yaml(feeds, {"interval": "15m"}), encoding="utf-8")
    config = load_config(config_path)
    db = Database(db_url)
    try:
        Pipeline(db, config).fetch()
    finally:
        db.close()
    return Store(db_url, config_path, config, server)
