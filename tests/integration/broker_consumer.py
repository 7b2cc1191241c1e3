"""A consumer to be killed: fetch a batch, record it, then block without acking.

    python -m tests.integration.broker_consumer OUT WANT sqlite PATH PARTITIONS
    python -m tests.integration.broker_consumer OUT WANT rabbit URL PREFIX PARTITIONS

Writes one JSON line per delivery (envelope_id, partition, redelivered) to OUT, atomically
(temp file + rename) once WANT deliveries arrived, then waits forever for its kill -9.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

from ingest.messaging.rabbit import RabbitTopology
from ingest.messaging.rabbit_source import RabbitSource
from ingest.messaging.spool import SQLiteQueue
from schemas.envelope import Envelope


def _source(kind: str, args: list[str]):
    if kind == "sqlite":
        return SQLiteQueue(Path(args[0]), int(args[1]))
    topology = RabbitTopology(args[1], int(args[2]))
    return RabbitSource(args[0], topology, list(range(topology.partitions)), prefetch=1000)


def main(argv: list[str]) -> None:
    out, want, kind = Path(argv[0]), int(argv[1]), argv[2]
    source = _source(kind, argv[3:])
    got = []
    deadline = time.monotonic() + 30
    while len(got) < want and time.monotonic() < deadline:
        got += source.fetch(want - len(got), timeout=0.5)
    lines = [
        json.dumps(
            {
                "envelope_id": Envelope.from_json(d.body).envelope_id,
                "partition": d.partition,
                "redelivered": d.redelivered,
            }
        )
        for d in got
    ]
    tmp = out.with_suffix(".tmp")
    tmp.write_text("".join(line + "\n" for line in lines))
    os.replace(tmp, out)
    threading.Event().wait()  # hold the batch unacked until killed


if __name__ == "__main__":
    main(sys.argv[1:])
