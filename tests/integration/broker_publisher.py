"""A publisher to be killed: publish batches to a SQLiteQueue forever, recording each
envelope id only AFTER publish returned (what a webhook would have answered 2xx for).

    python -m tests.integration.broker_publisher OUT PATH PARTITIONS BATCH
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ingest.messaging.spool import SQLiteQueue
from tests.integration.broker_support import make_envelope

SHOPS = ("shop-a", "shop-b", "shop-c", "shop-d", "shop-e")


def main(argv: list[str]) -> None:
    out, path, partitions, batch = Path(argv[0]), Path(argv[1]), int(argv[2]), int(argv[3])
    queue = SQLiteQueue(path, partitions)
    seq = 0
    with out.open("a") as record:
        while True:
            envelopes = [
                make_envelope(SHOPS[(seq + i) % len(SHOPS)], seq + i) for i in range(batch)
            ]
            queue.publish(envelopes)
            for envelope in envelopes:
                record.write(json.dumps({"envelope_id": envelope.envelope_id}) + "\n")
            record.flush()
            seq += batch


if __name__ == "__main__":
    main(sys.argv[1:])
