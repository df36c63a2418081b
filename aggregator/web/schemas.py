"""The JSON contract as pydantic models, so /openapi.json documents it.

The API answers with `export/contract.py`'s dictionaries (the very JSON `stories --format
json` prints); these models only describe them, and a test checks that they agree.
"""

from __future__ import annotations

from pydantic import BaseModel


class SourceOut(BaseModel):
    feed: str
    title: str
    link: str | None
    published: str | None
    score: float
    method: str
    matched_terms: list[str]
    region: str | None


class StoryOut(BaseModel):
    id: int
    title: str
    link: str | None
    summary: str
    published: str | None
    updated: str | None
    region: str | None
    source_count: int
    sources: list[SourceOut]


class FeedOut(BaseModel):
    name: str
    url: str
    region: str | None
    configured: bool
    last_fetched: str | None
    last_status: int | None
    last_error: str | None
    error_count: int
    disabled_reason: str | None
    entries: int
    next_due: str | None
    due_reason: str | None
    failing: bool


class ErrorOut(BaseModel):
    detail: str
