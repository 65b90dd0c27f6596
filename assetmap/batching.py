"""The one way assetmap cuts a stream into batches: stores, importers and copies all use it, and
its default size is the ``ASSETMAP_BATCH_SIZE`` setting (:mod:`assetmap.settings`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def batch_size() -> int:
    """Rows per batch when writing to or reading from a store (setting ``ASSETMAP_BATCH_SIZE``)."""
    from assetmap import settings

    return settings.load().batch_size


def batched(items: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """Lists of up to ``size`` items (default: the batch-size setting), streamed: the input is
    never held whole. A size below 1 is refused."""
    size = batch_size() if size is None else size
    if size < 1:
        raise ValueError("A batch size must be at least 1.")
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch
