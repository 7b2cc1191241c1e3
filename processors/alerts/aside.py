"""A check of the alert rules run beside the shop's writer, off the path of its batches.

The live processor checks the rules every few seconds (``WCPULSE_ALERT_INTERVAL``); a check
reads the views a publish just refreshed and takes tens of milliseconds on a big shop, which
the events of the next batch would wait for. So the check runs in a thread of its own, on a
cursor of the state in a snapshot taken as it starts (right after the publish): its reads
see that publish whatever the writer commits meanwhile, and it writes nothing. The writer
keeps what it found at its next publish (``keep_alerts``: the alerts go through the raw log
and the state as always), before that publish reads its changes, so the alerts are out with
it.

The changes it checks stay in ``alert_scope`` until then: a change to the same order,
customer or product published meanwhile is taken out of what it forgets (the next check
takes it), and a check that fails, or that a job or a stop discards, forgets nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import duckdb

from processors.alerts.raising import Check, evaluate
from schemas.alerts import Alert
from schemas.shop import ShopConfig
from store.state import ALERT_RESOURCES


class AsideCheck:
    """One check of ``check``'s changes, running from construction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, shop: ShopConfig, check: Check) -> None:
        self.check = check
        # what it forgets once kept: the changes checked, less those changed again since
        self.checked: dict[str, set[int]] = {
            resource: set(check.pending.get(resource, ())) for resource in ALERT_RESOURCES
        }
        self.alerts: list[Alert] = []
        self.error: BaseException | None = None
        self._cursor = con.cursor()
        try:
            self._cursor.execute("BEGIN TRANSACTION")
            self._cursor.execute("SELECT count(*) FROM alert_scope").fetchall()  # snapshot now
        except BaseException:
            self._cursor.close()
            raise
        self._thread = threading.Thread(
            target=self._run, args=(shop,), name=f"alerts-{shop.shop_id}", daemon=True
        )
        self._thread.start()

    def _run(self, shop: ShopConfig) -> None:
        try:
            self.alerts = evaluate(self._cursor, shop, self.check)
        except BaseException as exc:  # noqa: BLE001 - reported by the writer, which keeps it
            self.error = exc
        finally:
            try:
                self._cursor.execute("ROLLBACK")
            except duckdb.Error:
                pass
            self._cursor.close()

    def changed_again(self, pending: Mapping[str, Sequence[int]]) -> None:
        """``pending`` was published while this check ran: the next check takes it."""
        for resource, ids in self.checked.items():
            ids.difference_update(pending.get(resource, ()))

    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self) -> None:
        self._thread.join()
