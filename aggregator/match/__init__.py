"""Pure grouping logic: text normalization, similarity, candidate index, decisions.

Nothing here does I/O: the pipeline feeds entries in and stores the decisions.
"""

from aggregator.match.grouper import Grouper, MatchSettings
from aggregator.match.text import Features, extract_features

__all__ = ["Features", "Grouper", "MatchSettings", "extract_features"]
