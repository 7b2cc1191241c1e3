"""The cyclic collector is held off inside ``collector_paused`` and back on after it, also
when the block raises; a collector that was off stays off (processors/collector.py)."""

from __future__ import annotations

import gc

import pytest

from processors.collector import collector_paused


def test_the_collector_is_off_inside_and_on_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_when_the_block_raises():
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("a batch failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
