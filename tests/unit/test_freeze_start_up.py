"""A long-running process keeps what its start-up made out of full garbage collections."""

from __future__ import annotations

import gc

from wcpulse.server import freeze_start_up


def test_what_start_up_made_is_frozen_out_of_the_collections() -> None:
    gc.unfreeze()
    kept = [[n] for n in range(10_000)]  # containers the collector tracks, alive
    freeze_start_up()
    try:
        assert gc.get_freeze_count() >= len(kept)
        assert not any(obj is kept for obj in gc.get_objects())  # no generation holds it
    finally:
        gc.unfreeze()
    assert any(obj is kept for obj in gc.get_objects())  # tracked again once unfrozen
