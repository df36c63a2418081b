"""The exception tree: callers catch exactly what they mean."""


class AggregatorError(Exception):
    """Base of every error aggregator raises on purpose."""


class ConfigError(AggregatorError):
    """feeds.yaml (or a setting) is invalid; `line` names where, when known."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        where = path or "config"
        if line is not None:
            where = f"{where}, line {line}"
        super().__init__(f"{where}: {message}")


class FetchError(AggregatorError):
    """A feed could not be retrieved (network, HTTP status, limits)."""


class ParseError(AggregatorError):
    """A response body is not a feed aggregator can read."""


class StoreError(AggregatorError):
    """The database refused or is in a state aggregator cannot work with."""


class OpmlError(AggregatorError):
    """An OPML subscription list cannot be read."""
