"""``wcpulse ingest``'s messaging with RabbitMQ down, to be killed: publish envelopes one at a
time as the receiver does, print ``ready`` once ``publish`` returned for all (what the
receiver would have answered 202 for), then wait.

    python -m tests.integration.rabbit_ingest_writer DATA_DIR COUNT
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from schemas.clock import SystemClock
from schemas.settings import load_settings
from tests.integration.broker_support import make_envelope
from wcpulse.wiring import open_messaging

DOWN_URL = "amqp://guest:guest@127.0.0.1:1//"  # nothing listens: RabbitMQ is down
SHOPS = ("shop-a", "shop-b", "shop-c")


def main(argv: list[str]) -> None:
    data_dir, count = Path(argv[0]), int(argv[1])
    env = {"WCPULSE_DATA_DIR": str(data_dir), "WCPULSE_SECRET_KEY": "0" * 64}
    settings = load_settings(env | {"WCPULSE_BROKER_URL": DOWN_URL})
    messaging = open_messaging(settings, SystemClock())
    for seq in range(count):
        messaging.publisher.publish([make_envelope(SHOPS[seq % len(SHOPS)], seq)])
    print("ready", flush=True)
    time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1:])
