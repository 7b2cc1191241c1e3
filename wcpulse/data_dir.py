"""Which data directory a command uses, never a surprise.

``WCPULSE_DATA_DIR`` (default ``./var``) is relative to the folder the command runs in, so a
command run from another folder would otherwise start a second, empty installation without
a word. The commands that may start one (``run``, ``ingest``, ``process``, ``api``,
``scheduler`` and ``shop add``) say so in one line on stderr when they do; every other
command refuses in one line when the folder holds no metadata database (SQLite). With
``WCPULSE_DATABASE_URL`` the shops live in that database, and no command refuses.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from schemas.settings import Settings
from wcpulse.errors import UserError

METADATA_FILE = "wcpulse.sqlite3"  # the default metadata database (Settings.metadata_url)


def metadata_file(settings: Settings) -> Path | None:
    """The SQLite metadata database under the data directory; None with a database URL."""
    if settings.database_url:
        return None
    return settings.data_dir.resolve() / METADATA_FILE


def is_new(settings: Settings) -> bool:
    """True when this data directory holds no installation yet."""
    path = metadata_file(settings)
    if path is None:
        return not settings.data_dir.exists()
    return not path.exists()


def check_data_dir(settings: Settings, creates: bool, stream: TextIO | None = None) -> None:
    """Refuse a command that needs an installation in a folder without one; say when a
    command that may start one is about to."""
    if not is_new(settings):
        return
    where = settings.data_dir.resolve()
    if creates:
        print(
            f"wcpulse: new data directory {where} (WCPULSE_DATA_DIR; shops, keys and views "
            "go there)",
            file=sys.stderr if stream is None else stream,
            flush=True,
        )
        return
    raise UserError(
        f"no wcpulse data in {where} (no {METADATA_FILE}): run this from the folder where "
        "`wcpulse run` runs, or set WCPULSE_DATA_DIR to its data directory"
    )
