"""Text normalization for matching: typography, umlauts, case, prefixes, stop words, stems."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from aggregator.match.stopwords import STOPWORDS

_TYPOGRAPHY = str.maketrans(
    {
        "„": '"',
        "“": '"',
        "”": '"',
        "‟": '"',
        "«": '"',
        "»": '"',
        "‹": "'",
        "›": "'",
        "‚": "'",
        "‘": "'",
        "’": "'",
        "‛": "'",
        "´": "'",
        "`": "'",
        "–": "-",
        "—": "-",
        "‒": "-",
        "―": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u200b": "",
        "\u00ad": "",
        "…": "...",
    }
)
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_TICKER = re.compile(
    r"^\s*(?:\+{2,}|[*#>]+|(?:eil(?:meldung)?|breaking(?: news)?|update|live|news)\s*[:+-])\s*",
    re.I,
)
_TICKER_END = re.compile(r"\s*\+{2,}\s*$")
# " | Outlet", " - Outlet", " – Outlet" at the end: an outlet's signature, not the story.
_OUTLET_SUFFIX = re.compile(r"\s+[|]\s+[^|]{1,60}$|\s+-\s+(?:[A-Z][\w.&'-]*\s?){1,5}$")
_PLACE_PREFIX = re.compile(r"^\s*([^:]{1,40}):\s+(?=\S)")
# `Leipzig - Brand in Plagwitz` (a dash after the place) and `Brand in Plagwitz (Leipzig)`.
_DASH_PREFIX = re.compile(r"^\s*([A-ZÄÖÜ][^:()-]{0,38}?)\s+-\s+(?=\S)")
_PLACE_SUFFIX = re.compile(r"\s*\(([A-ZÄÖÜ][^()]{0,38})\)\s*[!?.]*\s*$")
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_SPACE = re.compile(r"\s+")


def typography(text: str) -> str:
    """Unicode NFC, typographic quotes/dashes/spaces replaced by plain ASCII ones."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text).translate(_TYPOGRAPHY)).strip()


def fold(text: str) -> str:
    """Case and umlauts folded (ä→ae, ß→ss), other accents removed."""
    lowered = typography(text).casefold().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def split_title(title: str) -> tuple[str, str]:
    """(prefix, headline): ticker markers and outlet suffix dropped, a `Place:` prefix apart."""
    text = typography(title)
    text = _TICKER.sub("", text)
    text = _TICKER_END.sub("", text)
    text = _OUTLET_SUFFIX.sub("", text)
    prefix = ""
    for pattern in (_PLACE_PREFIX, _DASH_PREFIX):
        match = pattern.match(text)
        if match and len(match.group(1).split()) <= 4:
            prefix = match.group(1)
            text = text[match.end() :]
            break
    else:
        match = _PLACE_SUFFIX.search(text)
        if match and len(match.group(1).split()) <= 3:
            prefix = match.group(1)
            text = text[: match.start()]
    return prefix.strip(), text.strip()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


_SUFFIXES = ("ungen", "innen", "heiten", "keiten", "ern", "en", "er", "es", "em", "e", "n", "s")


def stem(word: str) -> str:
    """A light, language-agnostic suffix stripper: enough to meet plural and case forms."""
    if word.isdigit() or len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> list[str]:
    """Stemmed content words: stop words and one-letter tokens dropped."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


@dataclass(slots=True, frozen=True)
class Features:
    """What the matcher compares: computed once per entry."""

    title_key: str  # the headline with prefix/suffix dropped, folded, punctuation-free
    prefix_terms: frozenset[str]
    title_terms: frozenset[str]
    body_terms: frozenset[str]  # summary terms not already in the title

    @property
    def all_terms(self) -> frozenset[str]:
        return self.title_terms | self.body_terms | self.prefix_terms


SUMMARY_CHARS = 300


def extract_features(title: str, summary: str) -> Features:
    """Features of one entry from its plain-text title and summary."""
    prefix, headline = split_title(title)
    headline_words = words(headline)
    title_terms = frozenset(terms(headline))
    prefix_terms = frozenset(terms(prefix)) - title_terms
    body = frozenset(terms(summary[:SUMMARY_CHARS])) - title_terms - prefix_terms
    return Features(
        title_key=" ".join(headline_words),
        prefix_terms=prefix_terms,
        title_terms=title_terms,
        body_terms=body,
    )
