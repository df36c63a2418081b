"""aggregator: fetch many news feeds, group reports of the same story, export one merged feed."""

__version__ = "0.1.0"
