"""processors/read_ahead.py: items come in order, made by another thread at most one ahead
(plus the one handed over); an error comes where its item would have; leaving early stops
the thread, even while it waits to hand an item over."""

from __future__ import annotations

import threading

import pytest

from processors.read_ahead import read_ahead


def test_items_come_in_order_from_another_thread():
    makers: list[str] = []

    def items():
        for n in range(50):
            makers.append(threading.current_thread().name)
            yield n

    with read_ahead(items(), "test-ahead") as got:
        assert list(got) == list(range(50))
    assert set(makers) == {"test-ahead"}


def test_the_thread_keeps_at_most_one_item_ready_beyond_the_one_handed_over():
    made: list[int] = []
    seen_ahead: list[int] = []

    def items():
        for n in range(20):
            made.append(n)
            yield n

    with read_ahead(items(), "test-ahead") as got:
        for n in got:
            threading.Event().wait(0.01)  # let the thread run as far ahead as it can
            seen_ahead.append(len(made) - (n + 1))
    assert max(seen_ahead) <= 2


def test_an_error_comes_where_its_item_would_have():
    def items():
        yield 1
        yield 2
        raise ValueError("broken third")

    got: list[int] = []
    with pytest.raises(ValueError, match="broken third"):
        with read_ahead(items(), "test-ahead") as items_ahead:
            for n in items_ahead:
                got.append(n)
    assert got == [1, 2]


def test_leaving_early_stops_the_thread_that_waits_to_hand_over():
    def endless():
        n = 0
        while True:
            n += 1
            yield n

    before = {t.name for t in threading.enumerate()}
    with read_ahead(endless(), "test-ahead-endless") as got:
        assert next(got) == 1
    assert "test-ahead-endless" not in {t.name for t in threading.enumerate()} - before
