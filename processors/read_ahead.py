"""An iterator's items made by a thread one item ahead of the one that uses them.

A replay reads and decodes the raw log (Python) while the batch before is applied (mostly
DuckDB, which lets go of the interpreter while it works): on two cores the two overlap.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
_END = object()
_PUT_WAIT = 0.1  # seconds between looks at whether the reader left


class _Ahead:
    def __init__(self, items: Iterator[Any]) -> None:
        self._items = items
        self._ready: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.stop = threading.Event()

    def produce(self) -> None:
        try:
            for item in self._items:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
            self._put(exc)

    def _put(self, item: Any) -> bool:
        """Hand ``item`` over once there is room; False when the reader left."""
        while not self.stop.is_set():
            try:
                self._ready.put(item, timeout=_PUT_WAIT)
                return True
            except queue.Full:
                continue
        return False

    def consume(self) -> Iterator[Any]:
        while (item := self._ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item


@contextmanager
def read_ahead(items: Iterator[T], name: str) -> Iterator[Iterator[T]]:
    """``items``, made by a thread called ``name`` one item ahead; an error there is raised
    where the item would have come, and leaving the block early stops the thread."""
    ahead = _Ahead(items)
    thread = threading.Thread(target=ahead.produce, name=name, daemon=True)
    thread.start()
    try:
        yield ahead.consume()
    finally:
        ahead.stop.set()
        thread.join()
