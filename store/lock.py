"""One writer per shop: an advisory lock file held while a process owns the shop's state."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from store.errors import StateLocked


class WriterLock:
    def __init__(self, shop_root: Path) -> None:
        self._path = Path(shop_root) / "writer.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock without waiting; StateLocked if another process has it."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StateLocked(
                f"shop state {self._path.parent} is in use by a running processor; stop it first"
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
