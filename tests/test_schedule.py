"""The scheduling policy: pure functions of the fetch result, the history and the clock."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.models import FeedConfig, FetchResult, Settings
from aggregator.parse import parse_feed
from aggregator.schedule import (
    ADAPTIVE_MAX,
    ADAPTIVE_MIN,
    FeedHints,
    History,
    adaptive_interval,
    backoff,
    next_due,
    skip_forward,
)

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday
FEED = FeedConfig("f", "http://127.0.0.1/f.xml")
SETTINGS = Settings()


def ok(**headers: str) -> FetchResult:
    return FetchResult("f", "u", "u", 200, b"x", headers=headers)


def failed(status: int | None = 500, **headers: str) -> FetchResult:
    return FetchResult("f", "u", "u", status, error="HTTP error", headers=headers)


def delay(feed: FeedConfig, result: FetchResult, **kw: object) -> timedelta:
    due = next_due(feed, result, SETTINGS, NOW, **kw)  # type: ignore[arg-type]
    assert due.at is not None
    return due.at - NOW


def test_feed_interval_is_used_with_centred_jitter() -> None:
    feed = FeedConfig("f", "u", interval=timedelta(minutes=10))
    assert delay(feed, ok(), jitter=0.5) == timedelta(minutes=10)
    assert delay(feed, ok(), jitter=0.0) == timedelta(minutes=9)
    assert delay(feed, ok(), jitter=0.999999) == pytest.approx(
        timedelta(minutes=11), abs=timedelta(seconds=1)
    )
    assert next_due(feed, ok(), SETTINGS, NOW).reason == "feed interval 10m"


def test_default_interval_without_history() -> None:
    due = next_due(FEED, ok(), SETTINGS, NOW)
    assert due.at == NOW + SETTINGS.interval
    assert due.reason.startswith("default interval")


def test_busy_feed_is_polled_every_few_minutes_dormant_a_few_times_a_day() -> None:
    busy = [NOW - timedelta(minutes=3 * k) for k in range(30)]
    assert adaptive_interval(busy, NOW) == ADAPTIVE_MIN
    hourly = [NOW - timedelta(minutes=5) - timedelta(hours=k) for k in range(10)]
    assert adaptive_interval(hourly, NOW) == timedelta(hours=1)
    dormant = [NOW - timedelta(days=30), NOW - timedelta(days=60)]
    assert adaptive_interval(dormant, NOW) == ADAPTIVE_MAX
    assert adaptive_interval([], NOW) is None
    due = next_due(FEED, ok(), SETTINGS, NOW, history=History(published=hourly))
    assert due.reason == "adaptive 1h"


def test_a_feed_that_went_quiet_is_polled_less_often() -> None:
    quiet = [NOW - timedelta(hours=8) - timedelta(minutes=10 * k) for k in range(10)]
    assert adaptive_interval(quiet, NOW) == timedelta(hours=2)


def test_own_interval_beats_adaptive() -> None:
    feed = FeedConfig("f", "u", interval=timedelta(hours=2))
    busy = History(published=[NOW - timedelta(minutes=k) for k in range(30)])
    assert delay(feed, ok(), history=busy) == timedelta(hours=2)


def test_backoff_doubles_per_error_and_is_capped() -> None:
    regular = timedelta(minutes=30)
    cap = timedelta(hours=24)
    assert [backoff(regular, n, cap) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
    ]
    assert backoff(regular, 40, cap) == cap
    feed = FeedConfig("f", "u", interval=timedelta(minutes=30))
    due = next_due(feed, failed(), SETTINGS, NOW, history=History(error_count=2))
    assert due.at == NOW + timedelta(hours=2)
    assert due.reason == "back-off after 3 errors"


def test_success_resets_backoff() -> None:
    feed = FeedConfig("f", "u", interval=timedelta(minutes=30))
    assert delay(feed, ok(), history=History(error_count=7)) == timedelta(minutes=30)


def test_retry_after_seconds_and_http_date_are_minimums() -> None:
    feed = FeedConfig("f", "u", interval=timedelta(minutes=5))
    assert delay(feed, failed(429, **{"Retry-After": "3600"}), jitter=0.0) == timedelta(hours=1)
    assert delay(feed, failed(429, **{"Retry-After": "3600"}), jitter=0.5) > timedelta(hours=1)
    date = format_datetime(NOW + timedelta(hours=2), usegmt=True)
    server_now = format_datetime(NOW, usegmt=True)
    result = failed(503, **{"Retry-After": date, "Date": server_now})
    assert delay(feed, result, jitter=0.0) == timedelta(hours=2)
    assert next_due(feed, result, SETTINGS, NOW).reason == "Retry-After 2h"
    # Ignored on other statuses, and a short one does not undercut the back-off.
    assert delay(feed, failed(500, **{"Retry-After": "3600"})) == timedelta(minutes=5)
    long_backoff = History(error_count=5)
    assert delay(feed, failed(429, **{"Retry-After": "60"}), history=long_backoff) == timedelta(
        minutes=160
    )


def test_retry_after_is_clamped() -> None:
    result = failed(429, **{"Retry-After": str(90 * 86400)})
    assert delay(FEED, result, jitter=0.0) == SETTINGS.max_interval


def test_cache_hints_lengthen_but_never_shorten_the_interval() -> None:
    feed = FeedConfig("f", "u", interval=timedelta(minutes=10))
    assert delay(feed, ok(**{"Cache-Control": "public, max-age=3600"}), jitter=0.0) == timedelta(
        hours=1
    )
    assert delay(feed, ok(**{"Cache-Control": "max-age=60"})) == timedelta(minutes=10)
    assert delay(feed, ok(**{"Cache-Control": "no-cache"})) == timedelta(minutes=10)
    with_age = ok(**{"Cache-Control": "max-age=3600", "Age": "1800"})
    assert delay(feed, with_age, jitter=0.0) == timedelta(minutes=30)
    expires = format_datetime(NOW + timedelta(hours=3), usegmt=True)
    result = ok(Expires=expires, Date=format_datetime(NOW, usegmt=True))
    assert delay(feed, result, jitter=0.0) == timedelta(hours=3)
    assert next_due(feed, result, SETTINGS, NOW).reason.startswith("Expires 3h")
    far = ok(Expires=format_datetime(NOW + timedelta(days=365), usegmt=True))
    assert delay(feed, far, jitter=0.0) == SETTINGS.max_interval
    assert delay(feed, ok(Expires="0")) == timedelta(minutes=10)


def test_rss_ttl_is_a_floor() -> None:
    feed = FeedConfig("f", "u", interval=timedelta(minutes=10))
    due = next_due(feed, ok(), SETTINGS, NOW, hints=FeedHints(ttl_minutes=90), jitter=0.0)
    assert due.at == NOW + timedelta(minutes=90)
    assert due.reason == "RSS ttl 1h30m"


def test_nothing_is_fetched_more_often_than_min_interval() -> None:
    feed = FeedConfig("f", "u", interval=timedelta(seconds=5))
    assert delay(feed, ok()) == SETTINGS.min_interval


def test_gone_disables() -> None:
    due = next_due(FEED, failed(410), SETTINGS, NOW)
    assert due.at is None
    assert due.disabled_reason and "410" in due.disabled_reason


def test_skip_hours_and_days_move_the_due_time() -> None:
    at = datetime(2026, 3, 4, 1, 30, tzinfo=UTC)  # Wednesday 01:30
    assert skip_forward(at, frozenset({1, 2, 3}), frozenset()) == datetime(
        2026, 3, 4, 4, tzinfo=UTC
    )
    assert skip_forward(at, frozenset(), frozenset({"wednesday"})) == datetime(
        2026, 3, 5, tzinfo=UTC
    )
    assert skip_forward(at, frozenset(range(24)), frozenset()) == at
    feed = FeedConfig("f", "u", interval=timedelta(hours=1))
    hints = FeedHints(skip_hours=frozenset({11, 12}))
    due = next_due(feed, ok(), SETTINGS, NOW, hints=hints)
    assert due.at == datetime(2026, 3, 4, 13, tzinfo=UTC)
    assert due.reason.endswith("skipHours/skipDays")


@given(
    jitter=st.floats(min_value=0, max_value=0.999999),
    errors=st.integers(min_value=0, max_value=50),
    minutes=st.integers(min_value=1, max_value=10_000),
)
def test_due_time_is_always_in_the_future_and_bounded(
    jitter: float, errors: int, minutes: int
) -> None:
    feed = FeedConfig("f", "u", interval=timedelta(minutes=minutes))
    for result in (ok(), failed(), failed(429, **{"Retry-After": "999999"})):
        due = next_due(feed, result, SETTINGS, NOW, history=History(errors), jitter=jitter)
        assert due.at is not None
        assert due.at >= NOW + SETTINGS.min_interval * 0.9
        longest = max(timedelta(minutes=minutes), SETTINGS.max_backoff, SETTINGS.max_interval)
        assert due.at <= NOW + longest * 1.1 + timedelta(seconds=1)


def test_parser_carries_ttl_skip_hours_and_skip_days() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><ttl>45</ttl>'
        b"<skipHours><hour>0</hour><hour>1</hour><hour>24</hour><hour>99</hour></skipHours>"
        b"<skipDays><day>Saturday</day><day>Sunday</day><day>Caturday</day></skipDays>"
        b"<item><title>a</title><link>https://x.example/a</link></item></channel></rss>"
    )
    parsed = parse_feed(body)
    assert parsed.ttl_minutes == 45
    assert parsed.skip_hours == frozenset({0, 1})
    assert parsed.skip_days == frozenset({"saturday", "sunday"})
    assert parse_feed(body.replace(b"<ttl>45</ttl>", b"")).ttl_minutes is None
