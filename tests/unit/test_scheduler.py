from datetime import UTC, datetime, timedelta

from processors.scheduler import Job, Scheduler
from schemas.clock import FixedClock

START = datetime(2024, 1, 1, tzinfo=UTC)


def test_jobs_run_at_start_and_then_every_interval():
    clock = FixedClock(START)
    runs: list[datetime] = []
    scheduler = Scheduler([Job("sync", 600, runs.append)], clock)
    assert scheduler.run_pending() == ["sync"]
    clock.advance(timedelta(seconds=599))
    assert scheduler.run_pending() == []
    clock.advance(timedelta(seconds=1))
    assert scheduler.run_pending() == ["sync"]
    assert runs == [START, START + timedelta(seconds=600)]


def test_a_failing_job_is_logged_and_does_not_stop_the_others():
    clock = FixedClock(START)
    done: list[str] = []

    def broken(_now: datetime) -> None:
        raise RuntimeError("shop unreachable")

    scheduler = Scheduler(
        [Job("bad", 60, broken), Job("good", 60, lambda _: done.append("x"))], clock
    )
    assert scheduler.run_pending() == ["bad", "good"]
    assert done == ["x"]
