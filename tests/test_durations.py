from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.durations import format_duration, parse_duration, parse_since


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(minutes=90)),
        ("3d", timedelta(days=3)),
        ("90s", timedelta(seconds=90)),
        ("1w", timedelta(days=7)),
        (" 72H ", timedelta(hours=72)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "15", "m", "15x", "1h 30", "-5m", "0s", "abc"])
def test_bad_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**7))
def test_format_and_parse_round_trip(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta


def test_parse_since_accepts_durations_and_dates() -> None:
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert parse_since("24h", now) == datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert parse_since("2026-11-20", now) == datetime(2026, 11, 20, tzinfo=UTC)
    assert parse_since("2026-11-20T10:00:00+01:00", now) == datetime(2026, 11, 20, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="bad time"):
        parse_since("yesterday", now)
