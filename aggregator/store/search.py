"""Full-text `--search` with the engine's own index: FTS5 on SQLite, tsvector on PostgreSQL.

What is indexed: the title and summary text of every entry (migration 0002). A story's own
title and summary are always copies of one of its members' (the canonical one, see
`repository.refresh_story`), so searching the members searches the story too.

Semantics, the same on both engines: the search text is split at whitespace; every word
must occur (as the start of a word, case-insensitively, umlauts kept as they are) in the
title or summary of at least one of the story's sources, not necessarily the same one.
A word with several parts (`Halle-Neustadt`, `3.5`) must match them in sequence. Words
without a letter or digit are ignored; a search of only such words finds nothing.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, column, false, func, literal_column, select, table
from sqlalchemy.sql import Select

from aggregator.store.schema import EntryRow, MembershipRow, StoryRow

_fts = table("entries_fts", column("rowid"), column("entries_fts"))
_search_vector = literal_column("entries.search_vector")


def search_words(text: str) -> list[str]:
    """The words of a search that can match anything: those with a letter or digit.

    Control characters (a NUL would end an FTS5 string early) count as spaces.
    """
    printable = "".join(c if c.isprintable() else " " for c in text)
    return [w for w in printable.split() if any(c.isalnum() for c in w)]


def fts5_query(word: str) -> str:
    """One word as an FTS5 prefix phrase; quoting makes every FTS5 operator plain text."""
    return '"' + word.replace('"', '""') + '"*'


def tsquery_text(word: str) -> str:
    """One word as a PostgreSQL tsquery prefix term; quoting makes operators plain text."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "':*"


def _stories_matching(word: str, dialect: str) -> Select[tuple[int]]:
    if dialect == "postgresql":
        query = func.to_tsquery(literal_column("'simple'::regconfig"), tsquery_text(word))
        return (
            select(MembershipRow.story_id)
            .join(EntryRow, EntryRow.id == MembershipRow.entry_id)
            .where(_search_vector.op("@@")(query))
        )
    if dialect == "sqlite":
        matching = select(_fts.c.rowid).where(_fts.c.entries_fts.match(fts5_query(word)))
        return select(MembershipRow.story_id).where(MembershipRow.entry_id.in_(matching))
    raise ValueError(f"no full-text search for database engine {dialect!r}")


def search_condition(text: str, dialect: str) -> ColumnElement[bool]:
    """A condition on `stories` that holds when every word of `text` matches (see above)."""
    words = search_words(text)
    if not words:
        return false()
    return and_(*(StoryRow.id.in_(_stories_matching(w, dialect)) for w in words))
