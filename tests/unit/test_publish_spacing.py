"""Under a backlog a shop is published every ``view_interval`` seconds, or, when its last
publish took longer than a quarter of that, at least four times that long apart, so the
publishes take at most about a fifth of the time the backlog needs
(processors/publish_schedule.py)."""

from __future__ import annotations

import pytest

from processors.publish_schedule import BACKLOG_SPACING, publish_due_after


@pytest.mark.parametrize(
    ("interval", "took", "due"),
    [(0.5, 0.0, 0.5), (0.5, 0.1, 0.5), (0.5, 0.125, 0.5), (0.5, 0.3, 1.2), (0.5, 2.0, 8.0)],
)
def test_a_slow_publish_spaces_the_next_one(interval, took, due):
    assert publish_due_after(interval, took) == pytest.approx(due)


def test_publishing_takes_at_most_a_fifth_of_a_backlogs_time():
    for took in (0.2, 0.5, 1.0, 3.0):
        wait = publish_due_after(0.5, took)
        assert took / (wait + took) <= 1 / (1 + BACKLOG_SPACING) + 1e-9
