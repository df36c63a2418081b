from datetime import timedelta

import pytest

from aggregator.config import load_config, parse_config
from aggregator.errors import ConfigError

GOOD = """\
settings:
  interval: 20m
  match_threshold: 0.45
  match_window: 48h
  user_agent: test-agent/1.0
feeds:
  - name: lvz
    url: https://www.lvz.de/rss/
    region: Sachsen
    language: de
    interval: 15m
    priority: 3
  - name: mz
    url: https://www.mz.de/rss
    region: Sachsen-Anhalt
"""


def test_valid_config_is_read_with_settings_and_defaults() -> None:
    config = parse_config(GOOD)
    assert [f.name for f in config.feeds] == ["lvz", "mz"]
    lvz, mz = config.feeds
    assert lvz.interval == timedelta(minutes=15) and lvz.priority == 3 and lvz.language == "de"
    assert mz.interval is None and mz.priority == 0 and mz.region == "Sachsen-Anhalt"
    assert config.settings.interval == timedelta(minutes=20)
    assert config.settings.match_threshold == 0.45
    assert config.settings.match_window == timedelta(hours=48)
    assert config.settings.user_agent == "test-agent/1.0"
    assert lvz.line == 7


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("feeds:\n  - name: a\n    region: X\n", 2, "missing `url`"),
        (
            "feeds:\n  - name: a\n    url: https://a.example/\n  - name: a\n    url: https://b.example/\n",
            4,
            "duplicate feed name 'a'",
        ),
        (
            "feeds:\n  - name: a\n    url: https://a.example/\n    colour: red\n",
            4,
            "unknown key 'colour'",
        ),
        (
            "feeds:\n  - name: a\n    url: https://a.example/\n    interval: soon\n",
            4,
            "bad duration",
        ),
        (
            "feeds:\n  - name: a\n    url: https://a.example/\n    interval: 0m\n",
            4,
            "longer than zero",
        ),
        ("feeds:\n  - name: a\n    url: ftp://a.example/\n", 3, "must start with http"),
        (
            "feeds:\n  - name: a\n    url: https://a.example/\n    priority: high\n",
            4,
            "whole number",
        ),
        ("settings:\n  match_window: forever\nfeeds: []\n", 2, "bad duration"),
        ("settings:\n  colour: red\nfeeds: []\n", 2, "unknown setting 'colour'"),
        ("feeds:\n  - name: a\n    url: [1, 2\n", 4, "invalid YAML"),
        ("feed:\n  - name: a\n", 1, "unknown top-level key 'feed'"),
    ],
)
def test_bad_config_names_line_and_problem(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "feeds.yaml")
    assert caught.value.line == line, str(caught.value)
    assert words in str(caught.value)
    assert f"feeds.yaml, line {line}" in str(caught.value)


def test_missing_file_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_empty_file_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="empty"):
        parse_config("")


def test_shipped_feeds_yaml_is_valid() -> None:
    from pathlib import Path

    config = load_config(Path(__file__).parent.parent / "feeds.yaml")
    assert len(config.feeds) >= 8
    assert {f.region for f in config.feeds} >= {"Sachsen", "Sachsen-Anhalt"}
