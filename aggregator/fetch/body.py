"""Reading a response body within a size limit, decompressing on the way.

The limit is checked on the decoded bytes, chunk by chunk, so a gzip bomb is cut off
after `max_bytes` of output instead of inflating into memory.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"body larger than the limit of {limit:,} bytes")


class _Identity:
    def decompress(self, data: bytes, max_length: int = 0) -> bytes:  # noqa: ARG002
        return data

    @property
    def unconsumed_tail(self) -> bytes:
        return b""

    def flush(self) -> bytes:
        return b""


def _decoder(content_encoding: str | None) -> _Identity | zlib._Decompress:
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    return _Identity()


async def read_limited(
    chunks: AsyncIterator[bytes], content_encoding: str | None, max_bytes: int
) -> bytes:
    """Concatenate raw `chunks`, decoded per `content_encoding`, refusing more than `max_bytes`."""
    decoder = _decoder(content_encoding)
    out = bytearray()
    step = 256 * 1024
    async for raw in chunks:
        data = raw
        while data:
            piece = decoder.decompress(data, step)
            out += piece
            if len(out) > max_bytes:
                raise BodyTooLarge(max_bytes)
            data = decoder.unconsumed_tail
    out += decoder.flush()
    if len(out) > max_bytes:
        raise BodyTooLarge(max_bytes)
    return bytes(out)
