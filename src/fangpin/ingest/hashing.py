"""Which file is this: its SHA-256, and whether it was delivered before.

Two fingerprints: the file's bytes (``file_sha256``: the same upload, whatever its name) and its
content (``content_sha256``: the same header and cells, so an export re-saved by Excel — new zip
timestamps, another sheet name, title rows added or removed, CSV instead of xlsx — is still known as a
re-delivery). ``recognise`` compares a new delivery with earlier ones and says which it repeats.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

CHUNK = 1 << 20
SAME_FILE, SAME_CONTENT = "same_file", "same_content"


def sha256_of(fileobj) -> tuple[str, int]:
    """SHA-256 (hex) and size of an open binary file, read from where it stands; it is rewound to 0."""
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: fileobj.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return digest.hexdigest(), size


def file_sha256(path: str | Path) -> str:
    with open(path, "rb") as fh:
        return sha256_of(fh)[0]


def content_sha256(headers: list[str], frame: pl.DataFrame, *, batch_rows: int = 100_000) -> str:
    """SHA-256 of a table's header texts and data cells in file order (row numbers left out), fed in
    batches so memory stays bounded. Equal for the same data however it was packaged."""
    sha = hashlib.sha256()
    for text in headers:
        sha.update(text.encode("utf-8"))
        sha.update(b"\x1f")
    sha.update(b"\x1e")
    data = frame.drop("_row") if "_row" in frame.columns else frame
    for start in range(0, data.height, batch_rows):
        buf = io.BytesIO()
        data.slice(start, batch_rows).write_csv(buf, include_header=False)
        sha.update(buf.getbuffer())
    return sha.hexdigest()


@dataclass(frozen=True)
class Delivery:
    """An earlier delivery: its fingerprints and whatever the caller uses to name it (a job, a date)."""

    sha256: str
    content_sha256: str | None = None
    ref: Any = None


def recognise(sha256: str, content: str | None, earlier: Iterable[Delivery]) -> tuple[str, Delivery] | None:
    """(``SAME_FILE`` or ``SAME_CONTENT``, the earlier delivery) when this delivery repeats one, the
    identical file first; None for a new delivery. ``earlier`` in the caller's order (newest first)."""
    same_content = None
    for delivery in earlier:
        if delivery.sha256 == sha256:
            return SAME_FILE, delivery
        if same_content is None and content is not None and delivery.content_sha256 == content:
            same_content = delivery
    return (SAME_CONTENT, same_content) if same_content is not None else None
