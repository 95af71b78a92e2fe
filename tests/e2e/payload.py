"""Deterministic pseudo-random payloads, streamed in blocks so that no side ever holds a whole body.

A payload of `size` bytes for `seed` is a 1 MiB base block (SHA-256 in counter mode over the seed)
repeated, with each block's first 8 bytes replaced by its big-endian index, so a lost, duplicated
or reordered block changes the hash. The upstream streams it; the tests compute the expected hash
from the same definition, never from what the upstream reports.
"""

import functools
import hashlib

BLOCK = 1 << 20


@functools.lru_cache(maxsize=8)
def _base_block(seed: int) -> bytes:
    parts = [hashlib.sha256(b"herald-e2e:%d:%d" % (seed, j)).digest() for j in range(BLOCK // 32)]
    return b"".join(parts)


def blocks(size: int, seed: int = 0, piece: int = BLOCK):
    """Yields the payload in pieces of at most `piece` bytes (piece <= BLOCK)."""
    piece = max(1, min(piece, BLOCK))
    base = _base_block(seed)
    offset = 0
    index = 0
    while offset < size:
        block = index.to_bytes(8, "big") + base[8:]
        block = block[: min(BLOCK, size - offset)]
        for start in range(0, len(block), piece):
            yield block[start:start + piece]
        offset += len(block)
        index += 1


def digest(size: int, seed: int = 0) -> str:
    """Hex SHA-256 of the payload, computed independently of any transfer."""
    h = hashlib.sha256()
    for part in blocks(size, seed):
        h.update(part)
    return h.hexdigest()


def payload_bytes(size: int, seed: int = 0) -> bytes:
    """The whole payload, for small sizes only."""
    assert size <= 64 * BLOCK, "payload_bytes is for small payloads; stream big ones with blocks()"
    return b"".join(blocks(size, seed))
