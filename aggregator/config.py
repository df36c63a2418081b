"""feeds.yaml → a validated `Config`. Every error names the file, the line and the problem."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from aggregator.durations import parse_duration
from aggregator.errors import ConfigError
from aggregator.models import Config, FeedConfig, Settings

FEED_KEYS = {"name", "url", "region", "language", "interval", "priority"}
SETTING_KEYS = {
    "interval": "duration",
    "match_threshold": "float",
    "match_bare_threshold": "float",
    "match_window": "duration",
    "user_agent": "str",
    "timeout": "float",
    "connect_timeout": "float",
    "max_body_bytes": "int",
    "max_redirects": "int",
    "max_entries_per_feed": "int",
    "concurrency": "int",
    "per_host_concurrency": "int",
    "min_interval": "duration",
    "max_interval": "duration",
    "max_backoff": "duration",
}
assert set(SETTING_KEYS) <= {f.name for f in fields(Settings)}


def load_config(path: str | Path) -> Config:
    """Read and validate a feeds.yaml file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=str(path)) from None
    return parse_config(text, str(path))


def parse_config(text: str, path: str = "feeds.yaml") -> Config:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"invalid YAML: {problem}", path=path, line=line) from None
    if root is None:
        raise ConfigError("the file is empty: it needs a `feeds:` list", path=path)
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(
            "the top level must be a mapping with `feeds:`", path=path, line=_line(root)
        )

    feeds_node: yaml.Node | None = None
    settings = Settings()
    for key_node, value_node in root.value:
        key = key_node.value
        if key == "feeds":
            feeds_node = value_node
        elif key == "settings":
            settings = _settings(value_node, path)
        else:
            raise ConfigError(
                f"unknown top-level key {key!r} (expected `feeds` or `settings`)",
                path=path,
                line=_line(key_node),
            )
    if feeds_node is None:
        raise ConfigError("missing `feeds:` list", path=path)
    if not isinstance(feeds_node, yaml.SequenceNode):
        raise ConfigError("`feeds` must be a list", path=path, line=_line(feeds_node))

    feeds: list[FeedConfig] = []
    seen: dict[str, int] = {}
    for item in feeds_node.value:
        feed = _feed(item, path)
        if feed.name in seen:
            raise ConfigError(
                f"duplicate feed name {feed.name!r} (first used on line {seen[feed.name]})",
                path=path,
                line=feed.line,
            )
        seen[feed.name] = feed.line or 0
        feeds.append(feed)
    return Config(feeds=tuple(feeds), settings=settings, path=path)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _scalar(node: yaml.Node, what: str, path: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.value == "" and node.tag.endswith("null"):
        raise ConfigError(f"{what} must be a single value", path=path, line=_line(node))
    return str(node.value).strip()


def _feed(node: yaml.Node, path: str) -> FeedConfig:
    line = _line(node)
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError("each feed must be a mapping with name and url", path=path, line=line)
    values: dict[str, tuple[str, int]] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        if key not in FEED_KEYS:
            raise ConfigError(
                f"unknown key {key!r} in feed (allowed: {', '.join(sorted(FEED_KEYS))})",
                path=path,
                line=_line(key_node),
            )
        values[key] = (_scalar(value_node, f"`{key}`", path), _line(value_node))
    for required in ("name", "url"):
        if required not in values or not values[required][0]:
            raise ConfigError(f"feed is missing `{required}`", path=path, line=line)
    name = values["name"][0]
    url, url_line = values["url"]
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https", "file"):
        raise ConfigError(
            f"feed {name!r}: url must start with http://, https:// or file:// (got {url!r})",
            path=path,
            line=url_line,
        )
    interval = None
    if "interval" in values:
        text, at = values["interval"]
        try:
            interval = parse_duration(text)
        except ValueError as exc:
            raise ConfigError(f"feed {name!r}: {exc}", path=path, line=at) from None
    priority = 0
    if "priority" in values:
        text, at = values["priority"]
        try:
            priority = int(text)
        except ValueError:
            raise ConfigError(
                f"feed {name!r}: priority must be a whole number (got {text!r})", path=path, line=at
            ) from None
    return FeedConfig(
        name=name,
        url=url,
        region=values.get("region", (None, 0))[0] or None,
        language=values.get("language", (None, 0))[0] or None,
        interval=interval,
        priority=priority,
        line=line,
    )


def _settings(node: yaml.Node, path: str) -> Settings:
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError("`settings` must be a mapping", path=path, line=_line(node))
    changes: dict[str, object] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        kind = SETTING_KEYS.get(key)
        if kind is None:
            raise ConfigError(
                f"unknown setting {key!r} (allowed: {', '.join(sorted(SETTING_KEYS))})",
                path=path,
                line=_line(key_node),
            )
        text = _scalar(value_node, f"setting `{key}`", path)
        try:
            changes[key] = _convert(text, kind)
        except ValueError as exc:
            raise ConfigError(
                f"setting {key!r}: {exc}", path=path, line=_line(value_node)
            ) from None
    return replace(Settings(), **changes)  # type: ignore[arg-type]


def _convert(text: str, kind: str) -> object:
    if kind == "duration":
        return parse_duration(text)
    if kind == "float":
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
        if value < 0:
            raise ValueError(f"must not be negative, got {text!r}")
        return value
    if kind == "int":
        try:
            number = int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, got {text!r}") from None
        if number <= 0:
            raise ValueError(f"must be positive, got {text!r}")
        return number
    return text
