"""Durations like `15m`, `2h`, `1h30m`, `7d` and points in time like `24h` ago or an ISO date."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")


def parse_duration(text: str) -> timedelta:
    """Parse `90s`, `15m`, `2h`, `1h30m`, `3d`, `1w`; raise ValueError on anything else."""
    compact = str(text).strip().lower().replace(" ", "")
    if not compact:
        raise ValueError("empty duration")
    pos = 0
    seconds = 0.0
    for match in _PART.finditer(compact):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(compact) or pos == 0:
        raise ValueError(f"bad duration {text!r}: use a number and a unit, like 15m, 2h or 3d")
    if seconds <= 0:
        raise ValueError(f"bad duration {text!r}: must be longer than zero")
    return timedelta(seconds=seconds)


def parse_since(text: str, now: datetime) -> datetime:
    """A duration back from `now` (`24h`) or an ISO 8601 date/time (UTC when no offset)."""
    try:
        return now - parse_duration(text)
    except OverflowError:
        raise ValueError(f"bad time {text!r}: too far back") from None
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"bad time {text!r}: use a duration like 24h or a date like 2026-11-20"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def format_duration(delta: timedelta) -> str:
    """The shortest readable form: 90m → 1h30m."""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)
