"""Terminal output: rich tables for stories, one story and feeds. No logic, only layout."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from aggregator.models import FeedStatus, Story


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def stories_table(stories: Sequence[Story]) -> Table:
    table = Table(show_lines=False, expand=False)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("updated (UTC)", no_wrap=True)
    table.add_column("src", justify="right")
    table.add_column("region", max_width=16)
    table.add_column("title", ratio=3, min_width=30)
    table.add_column("feeds", ratio=1, max_width=40)
    for story in stories:
        feeds = ", ".join(dict.fromkeys(s.feed for s in story.sources))
        table.add_row(
            str(story.id),
            when(story.updated),
            str(story.source_count),
            story.region or "",
            Text(story.title),
            Text(feeds),
        )
    return table


def print_story(console: Console, story: Story, *, explain: bool = False) -> None:
    console.print(Text(f"Story {story.id}: {story.title}", style="bold"))
    console.print(f"link:      {story.link or '-'}", markup=False, soft_wrap=True)
    console.print(f"published: {when(story.published)} UTC   updated: {when(story.updated)} UTC")
    console.print(f"region:    {story.region or '-'}   sources: {story.source_count}")
    if story.summary:
        console.print(Text(story.summary))
    console.print()
    for number, source in enumerate(story.sources, 1):
        console.print(Text(f"{number}. [{source.feed}] {source.title}  (entry {source.entry_id})"))
        console.print(f"   {source.link or '(no link)'}", markup=False, soft_wrap=True)
        line = f"   {when(source.published)} UTC   score {source.score:.2f} ({source.method})"
        console.print(line, markup=False)
        if explain and source.matched_terms:
            console.print(f"   matched: {', '.join(source.matched_terms)}", markup=False)


def feeds_table(feeds: Sequence[FeedStatus]) -> Table:
    table = Table()
    table.add_column("feed")
    table.add_column("region")
    table.add_column("last fetch (UTC)", no_wrap=True)
    table.add_column("status")
    table.add_column("entries", justify="right")
    table.add_column("next due (UTC)", no_wrap=True)
    table.add_column("why")
    table.add_column("last error")
    for feed in feeds:
        status = str(feed.last_status) if feed.last_status is not None else "-"
        if feed.disabled_reason:
            status = f"{status} {'gone' if feed.last_status == 410 else 'disabled'}"
        error = feed.disabled_reason or feed.last_error or ""
        if feed.error_count > 1 and feed.last_error:
            error = f"{error} ({feed.error_count} in a row)"
        name = feed.name if feed.configured else f"{feed.name} (not in config)"
        style = "red" if (feed.last_error or feed.disabled_reason) else None
        table.add_row(
            Text(name),
            feed.region or "",
            when(feed.last_fetched_at),
            status,
            str(feed.entry_count),
            "-" if feed.disabled_reason else when(feed.next_due_at),
            Text("disabled" if feed.disabled_reason else feed.due_reason or "now"),
            Text(error),
            style=style,
        )
    return table
