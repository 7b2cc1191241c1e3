"""The supervised processor child's pure parts (wcpulse/processor_child.py): its readiness
check before it runs, and how a child finds the parent it serves."""

from __future__ import annotations

import threading

import pytest

from schemas.settings import Settings
from wcpulse.processor_child import PARENT_ENV, ProcessorChild, parent_pid


def test_the_readiness_check_fails_while_no_processor_runs(tmp_path):
    child = ProcessorChild(Settings(data_dir=tmp_path), threading.Event())
    assert not child.alive()
    with pytest.raises(RuntimeError, match="not running"):
        child.check()


@pytest.mark.parametrize(("value", "expected"), [("4242", 4242), ("", None), ("x1", None)])
def test_a_child_knows_its_parent_only_from_a_pid(monkeypatch, value, expected):
    monkeypatch.setenv(PARENT_ENV, value)
    assert parent_pid() == expected


def test_without_the_variable_it_is_an_operators_own_process(monkeypatch):
    monkeypatch.delenv(PARENT_ENV, raising=False)
    assert parent_pid() is None
