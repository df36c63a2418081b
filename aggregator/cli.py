"""The `aggregator` command: parse options, call the library, print. Nothing else."""

from __future__ import annotations

import json
import logging
import shutil
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aggregator.config import load_config
from aggregator.durations import parse_since
from aggregator.errors import AggregatorError, ConfigError
from aggregator.export import FeedMeta, render
from aggregator.export.contract import story_dict
from aggregator.models import Config, FeedConfig, FeedReport, RunSummary, StoryQuery
from aggregator.pipeline import Pipeline
from aggregator.render import feeds_table, print_story, stories_table
from aggregator.store import DEFAULT_URL, Database
from aggregator.store.queries import feed_statuses, find_stories, get_story

app = typer.Typer(
    help="Fetch news feeds, group reports of the same story, export one merged feed.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
feeds_app = typer.Typer(help="Feeds: health, OPML import and export.")
app.add_typer(feeds_app, name="feeds")

out = Console(soft_wrap=False)
err = Console(stderr=True)


@dataclass(slots=True)
class Context:
    db_url: str
    config_path: Path

    def config(self) -> Config:
        try:
            return load_config(self.config_path)
        except ConfigError as exc:
            fail(f"error: {exc}", code=2)

    def database(self, *, auto_upgrade: bool = True, create_empty: bool = False) -> Database:
        try:
            return Database(self.db_url, auto_upgrade=auto_upgrade, create_empty=create_empty)
        except AggregatorError as exc:
            fail(f"error: {exc}", code=1)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


class Format(StrEnum):
    table = "table"
    json = "json"


class FeedFormat(StrEnum):
    atom = "atom"
    rss = "rss"
    json = "json"


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str, typer.Option("--db", envvar="AGGREGATOR_DB", help="SQLAlchemy database URL.")
    ] = DEFAULT_URL,
    config: Annotated[
        Path, typer.Option("--config", envvar="AGGREGATOR_CONFIG", help="Path of feeds.yaml.")
    ] = Path("feeds.yaml"),
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = Context(db, config)


def _selected(config: Config, names: list[str] | None) -> list[FeedConfig]:
    if not names:
        return list(config.feeds)
    known = {f.name: f for f in config.feeds}
    unknown = [n for n in names if n not in known]
    if unknown:
        fail(f"error: no feed named {', '.join(map(repr, unknown))} in {config.path}", code=2)
    return [known[n] for n in names]


def _run_fetch(pipeline: Pipeline, feeds: list[FeedConfig]) -> RunSummary:
    reports: list[FeedReport] = []
    if err.is_terminal:
        with Progress(
            TextColumn("fetching"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("", total=len(feeds))

            def advance(report: FeedReport) -> None:
                reports.append(report)
                progress.update(task, advance=1, description=report.name)

            summary = pipeline.fetch(feeds, advance)
    else:
        summary = pipeline.fetch(feeds, reports.append)
    for report in reports:
        if report.error:
            err.print(f"{report.name}: {report.error}", markup=False, highlight=False)
        elif report.warning:
            err.print(f"{report.name}: warning: {report.warning}", markup=False, highlight=False)
    for name, url in summary.moved:
        err.print(
            f"{name}: moved permanently to {url}; update its url in feeds.yaml",
            markup=False,
            highlight=False,
        )
    return summary


@app.command()
def fetch(
    ctx: typer.Context,
    feed: Annotated[
        list[str] | None, typer.Option("--feed", "-f", help="Only this feed (repeatable).")
    ] = None,
) -> None:
    """Fetch every configured feed now, group new entries and store them."""
    context: Context = ctx.obj
    config = context.config()
    feeds = _selected(config, feed)
    db = context.database()
    try:
        summary = _run_fetch(Pipeline(db, config), feeds)
    finally:
        db.close()
    out.print(summary.line(), markup=False, highlight=False)


def _print_feed_problem(report: FeedReport) -> None:
    """Errors, warnings and permanent moves of one feed, on stderr, as they happen."""
    if report.error:
        err.print(f"{report.name}: {report.error}", markup=False, highlight=False, soft_wrap=True)
    elif report.warning:
        err.print(
            f"{report.name}: warning: {report.warning}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if report.moved_to:
        err.print(
            f"{report.name}: moved permanently to {report.moved_to}; update its url in feeds.yaml",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def run(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="One pass over the feeds that are due, then exit.")
    ] = False,
) -> None:
    """Fetch each feed when it is due, group and store, sleep until the next; until stopped.

    SIGINT or SIGTERM lets fetches under way finish and be stored, then exits 0; a second
    signal stops at once. Only one `run` may use a SQLite database at a time.
    """
    import asyncio

    from aggregator.runner import PassReport, Runner, run_until_signalled
    from aggregator.store.lock import RunLock

    context: Context = ctx.obj
    config = context.config()
    lock = RunLock(context.db_url)
    try:
        lock.acquire()
    except AggregatorError as exc:
        fail(f"error: {exc}", code=1)
    # A worker never migrates a schema other workers may be using: `db upgrade` does.
    db = context.database(auto_upgrade=False, create_empty=True)

    def on_pass(report: PassReport) -> None:
        stamp = report.started_at.strftime("%Y-%m-%d %H:%M:%S")
        wake = report.next_due_at.strftime("%H:%M:%S") if report.next_due_at else "-"
        line = f"{stamp} UTC: {report.due} due; {report.summary.line()}"
        if not once:
            line += f"; next due {wake} UTC"
        out.print(line, markup=False, highlight=False, soft_wrap=True)

    def on_signal(number: int) -> None:
        err.print(
            "stopping: finishing the fetches under way",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )

    try:
        run_until_signalled(
            Runner(Pipeline(db, config)),
            once=once,
            on_feed=_print_feed_problem,
            on_pass=on_pass,
            on_signal=on_signal,
        )
    except asyncio.CancelledError:
        fail("stopped before the fetches under way finished; their feeds stay due", code=1)
    finally:
        db.close()
        lock.release()


def _query(
    since: str | None,
    region: str | None,
    feed: str | None,
    min_sources: int,
    search: str | None,
    limit: int,
) -> StoryQuery:
    when = None
    if since:
        try:
            when = parse_since(since, datetime.now(UTC))
        except ValueError as exc:
            fail(f"error: --since: {exc}", code=2)
    if limit < 0:
        fail("error: --limit must be 0 (all) or more", code=2)
    return StoryQuery(
        since=when,
        region=region,
        feed=feed,
        min_sources=max(min_sources, 1),
        search=search or None,
        limit=limit or None,
    )


SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Only stories updated since: 24h, 7d or an ISO date.")
]
RegionOpt = Annotated[str | None, typer.Option("--region", help="Only stories from this region.")]
FeedOpt = Annotated[str | None, typer.Option("--feed", help="Only stories this feed reported.")]
MinOpt = Annotated[int, typer.Option("--min-sources", help="Only stories with this many sources.")]
SearchOpt = Annotated[str | None, typer.Option("--search", help="Words in title or summary.")]
LimitOpt = Annotated[int, typer.Option("--limit", help="At most this many stories; 0 = all.")]


@app.command()
def stories(
    ctx: typer.Context,
    since: SinceOpt = None,
    region: RegionOpt = None,
    feed: FeedOpt = None,
    min_sources: MinOpt = 1,
    search: SearchOpt = None,
    limit: LimitOpt = 50,
    fmt: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
) -> None:
    """List grouped stories, newest first."""
    query = _query(since, region, feed, min_sources, search, limit)
    db = ctx.obj.database()
    try:
        with db.session() as session:
            found = find_stories(session, query)
    finally:
        db.close()
    if fmt is Format.json:
        sys.stdout.write(json.dumps([story_dict(s) for s in found], ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
    else:
        out.print(stories_table(found))
        out.print(f"{len(found)} stories", highlight=False)


@app.command()
def story(
    ctx: typer.Context,
    story_id: Annotated[int, typer.Argument(help="The story's id.")],
    explain: Annotated[
        bool, typer.Option("--explain", help="Show why each source joined.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
) -> None:
    """Show one story with every source."""
    db = ctx.obj.database()
    try:
        with db.session() as session:
            found = get_story(session, story_id)
    finally:
        db.close()
    if found is None:
        fail(f"error: no story with id {story_id}", code=1)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(story_dict(found), ensure_ascii=False, indent=2) + "\n")
    else:
        print_story(out, found, explain=explain)


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[
        FeedFormat, typer.Option("--format", help="atom, rss or json.")
    ] = FeedFormat.atom,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    self_url: Annotated[
        str | None, typer.Option("--self-url", help="Public URL of the written feed.")
    ] = None,
    since: SinceOpt = None,
    region: RegionOpt = None,
    feed: FeedOpt = None,
    min_sources: MinOpt = 1,
    search: SearchOpt = None,
    limit: LimitOpt = 50,
) -> None:
    """Write the merged feed: one item per story, with every source link."""
    query = _query(since, region, feed, min_sources, search, limit)
    db = ctx.obj.database()
    try:
        with db.session() as session:
            found = find_stories(session, query)
    finally:
        db.close()
    body = render(found, fmt.value, FeedMeta(self_url=self_url))
    if output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_bytes(body)
    tmp.replace(output)
    err.print(f"wrote {len(found)} stories to {output}", markup=False, highlight=False)


@feeds_app.callback(invoke_without_command=True)
def feeds(ctx: typer.Context) -> None:
    """Every feed with its last fetch, HTTP status, entry count and last error."""
    if ctx.invoked_subcommand is not None:
        return
    context: Context = ctx.obj
    config = context.config()
    db = context.database()
    try:
        from aggregator.store import repository

        with db.session() as session:
            repository.sync_feeds(session, config.feeds, datetime.now(UTC))
            session.commit()
            statuses = feed_statuses(session, [f.name for f in config.feeds])
    finally:
        db.close()
    out.print(feeds_table(statuses))


@feeds_app.command("import")
def feeds_import(
    ctx: typer.Context,
    opml_file: Annotated[Path, typer.Argument(help="An OPML file from another reader.")],
    region: Annotated[
        str | None, typer.Option("--region", help="Region of every added feed.")
    ] = None,
    folder_regions: Annotated[
        bool, typer.Option("--folder-regions", help="Use each feed's OPML folder as its region.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only report what would be added.")
    ] = False,
) -> None:
    """Add an OPML file's feeds to feeds.yaml, keeping its comments and order."""
    from aggregator.feedlist import append_feeds, plan_import
    from aggregator.opml import read_opml

    context: Context = ctx.obj
    try:
        found = read_opml(opml_file.read_bytes())
    except OSError as exc:
        fail(f"error: cannot read {opml_file}: {exc.strerror or exc}", code=2)
    except AggregatorError as exc:
        fail(f"error: {opml_file}: {exc}", code=2)
    existing = context.config().feeds if context.config_path.exists() else ()
    plan = plan_import(existing, found, region, folder_regions=folder_regions)
    for skipped in plan.skipped:
        label = skipped.title or skipped.url
        err.print(f"skipped {label}: {skipped.reason}", markup=False, highlight=False)
    if plan.added and not dry_run:
        try:
            append_feeds(context.config_path, plan.added)
        except ConfigError as exc:
            fail(f"error: {exc}", code=2)
    verb = "would add" if dry_run else "added"
    for feed in plan.added:
        out.print(f"{verb} {feed.name}: {feed.url}", markup=False, highlight=False)
    out.print(
        f"{verb} {len(plan.added)} feeds to {context.config_path}, "
        f"skipped {len(plan.skipped)} of {len(found)}",
        markup=False,
        highlight=False,
    )


@app.command()
def prune(
    ctx: typer.Context,
    older_than: Annotated[
        str,
        typer.Option("--older-than", help="Remove stories last updated longer ago: 90d, 12w."),
    ],
    batch: Annotated[int, typer.Option("--batch", help="Stories per transaction.")] = 500,
) -> None:
    """Remove old stories and their entries, in small transactions beside running workers."""
    from aggregator.durations import format_duration, parse_duration
    from aggregator.models import Settings
    from aggregator.store.retention import prune as prune_stories

    context: Context = ctx.obj
    try:
        age = parse_duration(older_than)
    except ValueError as exc:
        fail(f"error: --older-than: {exc}", code=2)
    if batch < 1:
        fail("error: --batch must be 1 or more", code=2)
    settings = context.config().settings if context.config_path.exists() else Settings()
    if age < settings.match_window:
        fail(
            f"error: --older-than must be at least the match window "
            f"({format_duration(settings.match_window)}): newer stories can still grow",
            code=2,
        )
    before = datetime.now(UTC) - age
    db = context.database()
    try:
        removed = prune_stories(db.session, before, batch=batch)
    finally:
        db.close()
    out.print(
        f"removed {removed.stories} stories and {removed.entries} entries last updated before "
        f"{before.isoformat(timespec='seconds')} ({removed.batches} batches)",
        markup=False,
        highlight=False,
    )


@feeds_app.command("export")
def feeds_export(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write the configured feeds as OPML 2.0, for other readers."""
    from aggregator.opml import write_opml

    config = ctx.obj.config()
    body = write_opml(config.feeds, "aggregator subscriptions", datetime.now(UTC))
    if output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(body)
    err.print(f"wrote {len(config.feeds)} feeds to {output}", markup=False, highlight=False)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; 0.0.0.0 for every interface.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8080,
) -> None:
    """Serve the merged feeds, the JSON API and the web pages over HTTP."""
    import uvicorn

    from aggregator.web import WebSettings, create_app
    from aggregator.web.context import DEFAULT_MAX_AGE

    context: Context = ctx.obj
    settings = WebSettings(max_age=DEFAULT_MAX_AGE)
    if context.config_path.exists():
        config = context.config()
        settings = WebSettings(
            max_age=int(config.settings.interval.total_seconds()), feeds=config.feeds
        )
    else:
        err.print(
            f"no {context.config_path}: serving the stored feeds, "
            f"Cache-Control max-age {DEFAULT_MAX_AGE}s",
            markup=False,
            highlight=False,
        )
    db = context.database()
    try:
        err.print(f"serving {context.db_url} on http://{host}:{port}/", markup=False)
        uvicorn.run(
            create_app(db, settings),
            host=host,
            port=port,
            log_level="warning",
            server_header=False,
            proxy_headers=False,
        )
    finally:
        db.close()


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply the database migrations explicitly."""
    from aggregator.store.database import make_engine, upgrade

    engine = make_engine(ctx.obj.db_url)
    try:
        before, after = upgrade(engine)
    except Exception as exc:
        fail(f"error: cannot upgrade the database: {exc}")
    finally:
        engine.dispose()
    if before == after:
        out.print(f"database schema is up to date ({after})", highlight=False)
    else:
        out.print(f"database schema upgraded from {before or 'empty'} to {after}", highlight=False)


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Show the database schema revision and the one this aggregator needs."""
    from aggregator.store.database import current_revision, head_revision, make_engine

    engine = make_engine(ctx.obj.db_url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    out.print(
        f"database: {current or 'empty'}; this aggregator: {head_revision()}", highlight=False
    )


@app.command()
def demo(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo database and merged feed go.")
    ] = Path("aggregator-demo"),
) -> None:
    """Offline demo: serve bundled sample feeds on 127.0.0.1, fetch, group, export."""
    from aggregator.demo.run import run_demo

    if directory.exists():
        shutil.rmtree(directory)
    try:
        # --db / AGGREGATOR_DB, when given, holds the demo's data (e.g. on PostgreSQL)
        given = ctx.obj.db_url if ctx.obj.db_url != DEFAULT_URL else None
        result = run_demo(directory, given)
    except AggregatorError as exc:
        fail(f"error: {exc}")
    out.print(result.summary.line(), markup=False, highlight=False)
    out.print()
    grouped = [s for s in result.stories if s.source_count > 1]
    out.print("Stories reported by more than one outlet:", highlight=False)
    out.print(stories_table(grouped))
    out.print()
    multi = sum(1 for s in result.stories if s.source_count > 1)
    out.print(
        f"{len(result.stories)} stories from {result.entries} entries; "
        f"{multi} reported by more than one outlet.",
        highlight=False,
    )
    out.print(f"merged feed written to {result.feed_path}", markup=False, highlight=False)
    out.print(f"database: {result.db_url}", markup=False, highlight=False)
    first = result.stories[0].id if result.stories else 1
    out.print(
        f"try: aggregator --db {result.db_url} story {first}",
        markup=False,
        highlight=False,
    )


def main() -> None:
    app()


@app.command("eval")
def evaluate_grouping(
    dataset: Annotated[Path, typer.Argument(help="Labelled CSV or JSON Lines file.")],
    thresholds: Annotated[
        str,
        typer.Option("--thresholds", help="Thresholds to try on the tuning half: from:to:step."),
    ] = "0.2:0.7:0.025",
    min_precision: Annotated[
        float, typer.Option("--min-precision", help="Precision the chosen threshold must reach.")
    ] = 0.85,
    window: Annotated[str, typer.Option("--window", help="Matching window.")] = "72h",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the tuning/reporting split.")] = 7,
    title_col: Annotated[str, typer.Option("--title-col")] = "TITLE",
    label_col: Annotated[str, typer.Option("--label-col")] = "STORY",
    summary_col: Annotated[str | None, typer.Option("--summary-col")] = None,
    source_col: Annotated[str, typer.Option("--source-col")] = "PUBLISHER",
    id_col: Annotated[str, typer.Option("--id-col")] = "ID",
    rating_col: Annotated[str, typer.Option("--rating-col", help="Pairs: the rating.")] = "Overall",
    same_max: Annotated[float, typer.Option("--same-max", help="Pairs: same story up to.")] = 1.5,
    different_min: Annotated[
        float, typer.Option("--different-min", help="Pairs: different from.")
    ] = 2.5,
    memory: Annotated[
        bool, typer.Option("--in-memory", help="Report without the database (faster).")
    ] = False,
) -> None:
    """Measure grouping on a labelled data set: tune on one half, report on the other."""
    from aggregator.durations import parse_duration
    from aggregator.evaluation.datasets import Columns, read_dataset
    from aggregator.evaluation.report import evaluate

    try:
        start, stop, step = (float(x) for x in thresholds.split(":"))
        window_delta = parse_duration(window)
    except ValueError as exc:
        fail(f"error: {exc}", code=2)
    columns = Columns(
        title=title_col,
        label=label_col,
        id=id_col,
        summary=summary_col,
        source=source_col,
        rating=rating_col,
        same_max=same_max,
        different_min=different_min,
    )
    try:
        data = read_dataset(dataset, columns)
    except (OSError, ValueError, KeyError) as exc:
        fail(f"error: cannot read {dataset}: {exc}", code=2)
    grid = [round(start + i * step, 4) for i in range(int(round((stop - start) / step)) + 1)]
    swept, final = evaluate(data, grid, window_delta, min_precision, seed, not memory)
    out.print(f"{data.name}: {len(data.items)} items, {data.kind}", highlight=False)
    out.print("tuning half:", highlight=False)
    for result in swept:
        extra = f"  B-cubed {result.bcubed}" if result.bcubed else ""
        out.print(
            f"  threshold {result.threshold:.3f}  {result.headline}{extra}  "
            f"wrong merges {result.wrong_merges}",
            highlight=False,
        )
    out.print(
        f"reporting half ({final.items} items, threshold {final.threshold:.3f}):", highlight=False
    )
    if final.pairs is not None:
        out.print(
            f"  labelled pairs ({final.pairs.scored}): {final.pairs.scores}; "
            f"wrong merges {len(final.pairs.false_merges)}, missed {len(final.pairs.missed)}",
            highlight=False,
        )
    else:
        out.print(
            f"  pairwise {final.pairwise}; wrong merges {final.wrong_merges}", highlight=False
        )
        out.print(f"  B-cubed  {final.bcubed}", highlight=False)
    out.print(
        f"  time {final.seconds:.2f}s ({final.items / max(final.seconds, 1e-9):.0f} items/s)",
        highlight=False,
    )


@app.command()
def merge(
    ctx: typer.Context,
    story_ids: Annotated[list[int], typer.Argument(help="Stories to merge; the first one stays.")],
) -> None:
    """Merge stories that report the same thing; the correction survives regrouping."""
    from aggregator.store.corrections import merge_stories

    if len(story_ids) < 2:
        fail("error: name at least two stories", code=2)
    db = ctx.obj.database()
    try:
        with db.session() as session:
            moved = merge_stories(session, story_ids[0], story_ids[1:], datetime.now(UTC))
            session.commit()
    except AggregatorError as exc:
        fail(f"error: {exc}")
    finally:
        db.close()
    out.print(
        f"merged {len(story_ids) - 1} stories into {story_ids[0]} ({moved} sources moved)",
        highlight=False,
    )


@app.command()
def split(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="The entry (see `story ID`) to take out.")],
) -> None:
    """Take one entry out of its story into a story of its own; survives regrouping."""
    from aggregator.store.corrections import split_entry

    db = ctx.obj.database()
    try:
        with db.session() as session:
            old, new = split_entry(session, entry_id, datetime.now(UTC))
            session.commit()
    except AggregatorError as exc:
        fail(f"error: {exc}")
    finally:
        db.close()
    out.print(f"entry {entry_id} left story {old}; it is now story {new}", highlight=False)


@app.command()
def regroup(
    ctx: typer.Context,
    since: SinceOpt = None,
) -> None:
    """Group stored entries again with the current settings, keeping user corrections."""
    from aggregator.regroup import regroup as run_regroup

    context: Context = ctx.obj
    config = context.config()
    when = None
    if since:
        try:
            when = parse_since(since, datetime.now(UTC))
        except ValueError as exc:
            fail(f"error: --since: {exc}", code=2)
    db = context.database()
    try:
        summary = run_regroup(db, config.settings, when, datetime.now(UTC))
    finally:
        db.close()
    out.print(
        f"regrouped {summary.entries} entries: {summary.moved} changed story; "
        f"{summary.stories_before} stories before, {summary.stories_after} after",
        highlight=False,
    )
