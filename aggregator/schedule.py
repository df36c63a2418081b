"""When a feed is due next: pure policy, given what the last fetch said and the clock.

Precedence, strongest first:

1. **Gone**: HTTP 410 disables the feed; it is not scheduled again.
2. **Back-off** after an error: the feed's regular interval doubled per consecutive
   error, capped at `settings.max_backoff`; a `Retry-After` on 429/503 is honoured when it
   asks for longer.
3. **Server hints** (`Cache-Control: max-age`, `Expires`, RSS `<ttl>`): a floor, never a
   ceiling, because they say how long the content stays fresh, clamped to
   `settings.max_interval` so a year-long `Expires` cannot silence a feed.
4. The feed's own **interval** from feeds.yaml.
5. Otherwise an **adaptive** interval from how often the feed actually publishes.

Then **jitter** spreads feeds that would otherwise fire in lockstep (±10% of our own
intervals; +0-10% of what a server asked for, which is a minimum), and RSS
`skipHours`/`skipDays` move the time out of the hours the publisher asked us to skip.
Every function here is pure: the clock, the history and the random draw are passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from aggregator.durations import format_duration
from aggregator.models import FeedConfig, FetchResult, Settings

ADAPTIVE_MIN = timedelta(minutes=5)  # a busy feed: every few minutes
ADAPTIVE_MAX = timedelta(hours=6)  # a dormant feed: a few times a day
ADAPTIVE_LOOKBACK = timedelta(days=14)
ADAPTIVE_SAMPLE = 30  # the newest publish times that are looked at
JITTER = 0.10
RETRY_STATUSES = {429, 503}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(slots=True, frozen=True)
class Due:
    """When to fetch a feed next and why; `at` is None when it is not to be fetched again."""

    at: datetime | None
    reason: str
    disabled_reason: str | None = None


@dataclass(slots=True, frozen=True)
class FeedHints:
    """What the feed document itself says about polling (RSS ttl, skipHours, skipDays)."""

    ttl_minutes: int | None = None
    skip_hours: frozenset[int] = frozenset()
    skip_days: frozenset[str] = frozenset()


@dataclass(slots=True, frozen=True)
class History:
    """What the store knows about a feed: consecutive errors so far and recent publish times."""

    error_count: int = 0
    published: Sequence[datetime] = field(default_factory=tuple)


def next_due(
    feed: FeedConfig,
    result: FetchResult,
    settings: Settings,
    now: datetime,
    *,
    history: History | None = None,
    hints: FeedHints | None = None,
    jitter: float = 0.5,
) -> Due:
    """The next due time of `feed` after `result`; `jitter` is a draw from [0, 1)."""
    history = history or History()
    hints = hints or FeedHints()
    if result.status == 410:
        return Due(None, "gone (HTTP 410)", disabled_reason="gone: the server answered 410 Gone")
    regular, regular_reason = regular_interval(feed, settings, history.published, now)
    if result.error:
        errors = history.error_count + 1
        delay = backoff(regular, errors, settings.max_backoff)
        reason = f"back-off after {errors} error{'s' if errors > 1 else ''}"
        floor = False
        wait = retry_after(result, now) if result.status in RETRY_STATUSES else None
        if wait is not None:
            wait = clamp(wait, timedelta(0), settings.max_interval)
            if wait >= delay:
                delay, reason, floor = wait, f"Retry-After {format_duration(wait)}", True
        return _finish(now, delay, reason, hints, jitter, settings, floor=floor)
    delay, reason, floor = regular, regular_reason, False
    hint = freshness_hint(result, hints, now)
    if hint is not None:
        fresh, source = hint
        fresh = clamp(fresh, timedelta(0), settings.max_interval)
        if fresh > delay:
            delay, reason, floor = fresh, f"{source} {format_duration(fresh)}", True
    return _finish(now, delay, reason, hints, jitter, settings, floor=floor)


def _finish(
    now: datetime,
    delay: timedelta,
    reason: str,
    hints: FeedHints,
    jitter: float,
    settings: Settings,
    *,
    floor: bool,
) -> Due:
    """Apply the minimum, jitter and skipHours/skipDays to a delay from now.

    A delay the server asked for (`floor`) is only ever lengthened by the jitter, never
    shortened; our own intervals move by ±10%.
    """
    delay = max(delay, settings.min_interval)
    spread = jitter if floor else 2 * jitter - 1
    at = now + delay * (1 + JITTER * spread)
    moved = skip_forward(at, hints.skip_hours, hints.skip_days)
    if moved != at:
        reason = f"{reason}, then skipHours/skipDays"
    return Due(moved, reason)


def regular_interval(
    feed: FeedConfig, settings: Settings, published: Sequence[datetime], now: datetime
) -> tuple[timedelta, str]:
    """The feed's own interval, else one adapted to its publishing rate."""
    if feed.interval:
        return feed.interval, f"feed interval {format_duration(feed.interval)}"
    adaptive = adaptive_interval(published, now)
    if adaptive is None:
        return settings.interval, f"default interval {format_duration(settings.interval)}"
    return adaptive, f"adaptive {format_duration(adaptive)}"


def adaptive_interval(published: Sequence[datetime], now: datetime) -> timedelta | None:
    """The mean gap between recent publications, clamped to [5 min, 6 h].

    None when nothing is known yet (the default interval applies). A feed silent for the
    whole look-back is dormant; one that has gone quiet for longer than its usual gap is
    polled more slowly, in proportion to how long it has been quiet.
    """
    if not published:
        return None
    recent = sorted((p for p in published if now - p <= ADAPTIVE_LOOKBACK), reverse=True)
    recent = recent[:ADAPTIVE_SAMPLE]
    if len(recent) < 2:
        return ADAPTIVE_MAX
    gap = (recent[0] - recent[-1]) / (len(recent) - 1)
    quiet = now - recent[0]
    if quiet > gap:
        gap = max(gap, quiet / 4)
    return clamp(gap, ADAPTIVE_MIN, ADAPTIVE_MAX)


def backoff(regular: timedelta, errors: int, cap: timedelta) -> timedelta:
    """The regular interval doubled per consecutive error after the first, at most `cap`.

    Never shorter than the regular interval, even when that is longer than the cap.
    """
    delay = regular
    for _ in range(max(errors - 1, 0)):
        if delay >= cap:
            break
        delay *= 2
    return max(regular, min(delay, cap))


def clamp(value: timedelta, low: timedelta, high: timedelta) -> timedelta:
    return max(low, min(value, high))


def retry_after(result: FetchResult, now: datetime) -> timedelta | None:
    """`Retry-After` as seconds or as an HTTP date; None when absent or unreadable."""
    value = _header(result.headers, "retry-after")
    if value is None:
        return None
    if value.isdigit():
        return timedelta(seconds=int(value))
    when = _http_date(value)
    if when is None:
        return None
    return max(when - _server_now(result.headers, now), timedelta(0))


def freshness_hint(
    result: FetchResult, hints: FeedHints, now: datetime
) -> tuple[timedelta, str] | None:
    """The longest freshness the server or the document claims: max-age, Expires or ttl."""
    found: list[tuple[timedelta, str]] = []
    max_age = cache_max_age(result.headers)
    if max_age is not None:
        age = _int(_header(result.headers, "age")) or 0
        found.append((max(max_age - timedelta(seconds=age), timedelta(0)), "Cache-Control"))
    elif (expires := _header(result.headers, "expires")) is not None:
        when = _http_date(expires)
        if when is not None:
            found.append((max(when - _server_now(result.headers, now), timedelta(0)), "Expires"))
    if hints.ttl_minutes is not None and hints.ttl_minutes > 0:
        found.append((timedelta(minutes=hints.ttl_minutes), "RSS ttl"))
    return max(found, key=lambda pair: pair[0]) if found else None


def cache_max_age(headers: Mapping[str, str]) -> timedelta | None:
    """`max-age` (or `s-maxage`) from Cache-Control; `no-cache`/`no-store` count as zero."""
    value = _header(headers, "cache-control")
    if value is None:
        return None
    seconds: int | None = None
    for part in value.lower().split(","):
        name, _, arg = part.strip().partition("=")
        if name in ("no-cache", "no-store"):
            return timedelta(0)
        if name in ("max-age", "s-maxage"):
            number = _int(arg.strip().strip('"'))
            if number is not None:
                seconds = max(seconds or 0, number)
    return None if seconds is None else timedelta(seconds=seconds)


def skip_forward(at: datetime, skip_hours: frozenset[int], skip_days: frozenset[str]) -> datetime:
    """The first moment at or after `at` outside the skipped UTC hours and weekdays.

    A feed that skips every hour (or every day) is treated as skipping none, since
    obeying it would mean never fetching.
    """
    if not skip_hours and not skip_days:
        return at
    if len(skip_hours) >= 24 or len(skip_days) >= 7:
        return at
    moment = at.astimezone(UTC)
    for _ in range(24 * 8):
        if moment.hour not in skip_hours and WEEKDAYS[moment.weekday()] not in skip_days:
            return moment
        moment = moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return at


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value.strip()
    return None


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _server_now(headers: Mapping[str, str], now: datetime) -> datetime:
    """The server's clock from its Date header, so a skewed clock does not skew the delay."""
    date = _header(headers, "date")
    when = _http_date(date) if date else None
    return when or now


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
