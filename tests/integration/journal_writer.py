"""A webhook journal's process to be killed: publish envelopes through a JournaledPublisher
whose mover never moves on its own, move the first ``MOVED`` of them, print ``ready`` once
``publish`` returned for all (what the receiver would have answered 2xx for), then wait.

    python -m tests.integration.journal_writer QUEUE JOURNALS COUNT MOVED
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ingest.messaging.journal import JournaledPublisher
from ingest.messaging.spool import SQLiteQueue
from tests.integration.broker_support import make_envelope

NEVER = 3600.0
SHOPS = ("shop-a", "shop-b", "shop-c")


def main(argv: list[str]) -> None:
    queue_path, journals, count, moved = Path(argv[0]), Path(argv[1]), int(argv[2]), int(argv[3])
    queue = SQLiteQueue(queue_path, 2)
    journal = JournaledPublisher(queue, journals, gather_seconds=(NEVER, NEVER))
    for seq in range(count):
        journal.publish([make_envelope(SHOPS[seq % len(SHOPS)], seq)])
        if seq + 1 == moved:
            journal.flush()
    print("ready", flush=True)
    time.sleep(NEVER)


if __name__ == "__main__":
    main(sys.argv[1:])
