"""RSS polling hints feedparser does not keep: `<skipHours>` and `<skipDays>`.

feedparser flattens these lists into their last element, so they are read from the raw
bytes. Only the channel-level blocks of RSS 0.91/2.0 define them; XML names are
case-sensitive, so a plain substring test keeps the common case (no such block) free.
"""

from __future__ import annotations

import re

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_HOURS = re.compile(rb"<skipHours\s*>(.*?)</skipHours\s*>", re.DOTALL)
_DAYS = re.compile(rb"<skipDays\s*>(.*?)</skipDays\s*>", re.DOTALL)
_HOUR = re.compile(rb"<hour\s*>\s*(\d{1,2})\s*</hour\s*>")
_DAY = re.compile(rb"<day\s*>\s*([A-Za-z]+)\s*</day\s*>")


def skip_hours(body: bytes) -> frozenset[int]:
    """The UTC hours (0-23) in the document's `<skipHours>`; 24 counts as 0, as some feeds write."""
    if b"<skipHours" not in body:
        return frozenset()
    block = _HOURS.search(body)
    if block is None:
        return frozenset()
    return frozenset(int(h) % 24 for h in _HOUR.findall(block.group(1)) if int(h) <= 24)


def skip_days(body: bytes) -> frozenset[str]:
    """The weekdays (lower-case English names) in the document's `<skipDays>`."""
    if b"<skipDays" not in body:
        return frozenset()
    block = _DAYS.search(body)
    if block is None:
        return frozenset()
    names = (d.decode("ascii").lower() for d in _DAY.findall(block.group(1)))
    return frozenset(n for n in names if n in WEEKDAYS)
