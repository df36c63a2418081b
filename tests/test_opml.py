"""OPML in and out: files as other readers write them, feeds.yaml edited in place."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import DATA
from typer.testing import CliRunner

from aggregator.cli import app
from aggregator.config import load_config, parse_config
from aggregator.errors import ConfigError, OpmlError
from aggregator.feedlist import append_feeds, feed_name, plan_import
from aggregator.models import FeedConfig
from aggregator.opml import OpmlFeed, read_opml, write_opml

OPML = DATA / "opml"
SHIPPED = Path(__file__).parent.parent / "feeds.yaml"
runner = CliRunner()


def test_reads_feedly_folders_titles_and_site_links() -> None:
    found = read_opml((OPML / "feedly.opml").read_bytes())
    assert [(f.title, f.folder) for f in found] == [
        ("MDR Sachsen", "Sachsen"),
        ("Leipziger Volkszeitung", "Sachsen"),
        ("Hallanzeiger – Nachrichten aus Halle", "Sachsen-Anhalt"),
        ("Du bist Halle", "Sachsen-Anhalt"),
        ("heise online News", "Technik"),
    ]
    assert found[1].xml_url == "https://www.lvz.de/arc/outboundfeeds/rss/"
    assert found[1].html_url == "https://www.lvz.de"


def test_reads_nested_folders_and_empty_titles() -> None:
    found = read_opml((OPML / "netnewswire.opml").read_bytes())
    assert [(f.xml_url.split("/")[2], f.title, f.folder) for f in found] == [
        ("www.mz.de", "Mitteldeutsche Zeitung", "Regional"),
        ("www.volksstimme.de", None, "Regional"),  # text="" title="" counts as no title
        ("www.tagesschau.de", "tagesschau.de - Die Nachrichten der ARD", "Nachrichten"),
        ("daringfireball.net", "Daring Fireball", None),
    ]


def test_reads_latin1_lowercase_attributes_and_skips_non_feeds() -> None:
    found = read_opml((OPML / "handwritten.opml").read_bytes())
    assert found[0] == OpmlFeed("https://www.sachsen-fernsehen.de/feed/")
    assert found[-1].title == "Sächsische Zeitung - Dresden"  # declared ISO-8859-1
    assert "https://www.leipzig.de/" not in {f.xml_url for f in found}  # a link, not a feed
    assert len(found) == 6


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<opml><body><outline", "not well-formed XML"),
        (
            b"<rss version='2.0'><channel/></rss>",
            "not an OPML document (the root element is <rss>)",
        ),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body/></opml>',
            "entity declarations are not allowed",
        ),
    ],
)
def test_bad_opml_is_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(OpmlError, match=re.escape(message)):
        read_opml(data)


def test_names_from_titles_or_urls() -> None:
    assert feed_name("Sächsische Zeitung – Dresden", "https://x.example/") == (
        "saechsische-zeitung-dresden"
    )
    assert feed_name(None, "https://www.l-iz.de/feed") == "l-iz-de"
    assert feed_name(None, "https://www.mz.de/rss/feed/mz_halle") == "mz-de-mz-halle"
    assert feed_name("???", "https://x.example/") == "feed"


def test_plan_skips_feeds_present_by_url_or_name() -> None:
    existing = [
        FeedConfig("mdr-sachsen", "https://www.mdr.de/other.xml"),
        FeedConfig("lvz", "HTTPS://WWW.LVZ.DE/arc/outboundfeeds/rss"),
    ]
    plan = plan_import(existing, read_opml((OPML / "feedly.opml").read_bytes()), "Sachsen")
    assert [f.name for f in plan.added] == [
        "hallanzeiger-nachrichten-aus-halle",
        "du-bist-halle",
        "heise-online-news",
    ]
    assert {f.region for f in plan.added} == {"Sachsen"}
    assert [(s.title, s.reason) for s in plan.skipped] == [
        ("MDR Sachsen", "already present (name 'mdr-sachsen')"),
        ("Leipziger Volkszeitung", "already present (same URL)"),
    ]
    by_folder = plan_import([], read_opml((OPML / "feedly.opml").read_bytes()), folder_regions=True)
    assert [f.region for f in by_folder.added] == [
        "Sachsen",
        "Sachsen",
        "Sachsen-Anhalt",
        "Sachsen-Anhalt",
        "Technik",
    ]


def test_append_keeps_comments_order_and_layout(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    shutil.copy(SHIPPED, path)
    before = path.read_text(encoding="utf-8")
    append_feeds(path, [FeedConfig("neu", "https://neu.example/feed", "Sachsen")])
    after = path.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))  # every line, comment and blank line kept
    assert after[len(before) :].strip() == (
        "- name: neu\n    url: https://neu.example/feed\n    region: Sachsen"
    )
    config = load_config(path)
    assert config.feeds[-1] == FeedConfig(
        "neu", "https://neu.example/feed", "Sachsen", line=config.feeds[-1].line
    )
    assert [f.name for f in config.feeds[:-1]] == [f.name for f in load_config(SHIPPED).feeds]


def test_append_to_missing_or_differently_indented_files(tmp_path: Path) -> None:
    fresh = tmp_path / "new.yaml"
    append_feeds(fresh, [FeedConfig("a", "https://a.example/feed")])
    assert [f.name for f in load_config(fresh).feeds] == ["a"]
    flat = tmp_path / "flat.yaml"
    flat.write_text("# mine\nfeeds:\n- name: x  # first\n  url: https://x.example/\n")
    append_feeds(flat, [FeedConfig("y", "https://y.example/")])
    assert flat.read_text() == (
        "# mine\nfeeds:\n- name: x  # first\n  url: https://x.example/\n"
        "- name: y\n  url: https://y.example/\n"
    )


def test_append_refuses_a_broken_file_and_leaves_it(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        append_feeds(path, [FeedConfig("a", "https://a.example/")])
    assert path.read_text() == "feeds: [unclosed\n"


def test_written_opml_reads_back() -> None:
    feeds = [
        FeedConfig("mdr-sachsen", "https://www.mdr.de/s.xml", "Sachsen"),
        FeedConfig("ohne-region", "https://x.example/feed?a=1&b=2"),
        FeedConfig("mz", "https://www.mz.de/rss", "Sachsen-Anhalt"),
        FeedConfig("lvz", "https://www.lvz.de/rss", "Sachsen"),
    ]
    body = write_opml(feeds, "Abos <&>", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<opml version=\"2.0\">")
    assert b"<dateCreated>Fri, 02 Jan 2026 03:04:05 +0000</dateCreated>" in body
    assert b"<title>Abos &lt;&amp;&gt;</title>" in body
    found = read_opml(body)
    assert {(f.title, f.xml_url, f.folder) for f in found} == {
        (f.name, f.url, f.region) for f in feeds
    }


# --- through the CLI ---------------------------------------------------------------


def invoke(tmp_path: Path, *args: str):
    return runner.invoke(
        app,
        ["--config", str(tmp_path / "feeds.yaml"), "--db", f"sqlite:///{tmp_path / 'a.db'}", *args],
        catch_exceptions=False,
    )


def test_cli_import_reports_added_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").write_text(
        "# my list\nfeeds:\n  - name: mdr-sachsen  # keep me\n"
        "    url: https://www.mdr.de/nachrichten/sachsen/sachsen-nachrichtenfeed-100-rss.xml\n"
    )
    result = invoke(
        tmp_path, "feeds", "import", str(OPML / "netnewswire.opml"), "--region", "Sachsen-Anhalt"
    )
    assert result.exit_code == 0, result.output
    assert "added mitteldeutsche-zeitung: https://www.mz.de/rss/feed/mz_halle" in result.stdout
    assert "added 4 feeds to" in result.stdout and "skipped 0 of 4" in result.stdout
    again = invoke(tmp_path, "feeds", "import", str(OPML / "miniflux.opml"))
    assert "skipped MDR Sachsen: already present (same URL)" in again.stderr
    assert "added 1 feeds" in again.stdout
    text = (tmp_path / "feeds.yaml").read_text()
    assert text.startswith("# my list\nfeeds:\n  - name: mdr-sachsen  # keep me\n")
    config = load_config(tmp_path / "feeds.yaml")
    assert [f.name for f in config.feeds] == [
        "mdr-sachsen",
        "mitteldeutsche-zeitung",
        "volksstimme-de-vs-topnews",
        "tagesschau-de-die-nachrichten-der-ard",
        "daring-fireball",
        "leipziger-internet-zeitung",
    ]
    assert config.feeds[1].region == "Sachsen-Anhalt"


def test_cli_import_dry_run_and_errors(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").write_text("feeds:\n  - name: a\n    url: https://a.example/\n")
    dry = invoke(tmp_path, "feeds", "import", "--dry-run", str(OPML / "handwritten.opml"))
    assert dry.exit_code == 0
    assert "would add 3 feeds" in dry.stdout
    assert "skipped Gefährlich: not an http(s) URL" in dry.stderr
    assert (
        tmp_path / "feeds.yaml"
    ).read_text() == "feeds:\n  - name: a\n    url: https://a.example/\n"
    missing = invoke(tmp_path, "feeds", "import", str(tmp_path / "nope.opml"))
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    (tmp_path / "bad.opml").write_text("<html></html>")
    bad = invoke(tmp_path, "feeds", "import", str(tmp_path / "bad.opml"))
    assert bad.exit_code == 2 and "not an OPML document" in bad.stderr


def test_cli_export_and_plain_feeds_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    shutil.copy(SHIPPED, tmp_path / "feeds.yaml")
    result = invoke(tmp_path, "feeds", "export")
    assert result.exit_code == 0
    exported = read_opml(result.stdout_bytes)
    assert [f.xml_url for f in exported] != [] and {f.xml_url for f in exported} == {
        f.url for f in load_config(SHIPPED).feeds
    }
    written = invoke(tmp_path, "feeds", "export", "--output", str(tmp_path / "out" / "subs.opml"))
    assert written.exit_code == 0 and "wrote" in written.stderr
    assert read_opml((tmp_path / "out" / "subs.opml").read_bytes()) == exported
    listing = invoke(tmp_path, "feeds")  # no subcommand: the health table, as before
    assert listing.exit_code == 0 and "mdr-sachsen" in listing.stdout and "region" in listing.stdout


def test_shipped_config_survives_an_import_round_trip(tmp_path: Path) -> None:
    shutil.copy(SHIPPED, tmp_path / "feeds.yaml")
    exported = invoke(tmp_path, "feeds", "export").stdout_bytes
    (tmp_path / "subs.opml").write_bytes(exported)
    result = invoke(tmp_path, "feeds", "import", str(tmp_path / "subs.opml"))
    assert "added 0 feeds" in result.stdout
    assert (tmp_path / "feeds.yaml").read_text() == SHIPPED.read_text()
    parse_config(SHIPPED.read_text())
