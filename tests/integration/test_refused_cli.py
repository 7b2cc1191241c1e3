"""The command line about refused events: a wait that learns its job was refused ends in one
line with the reason; ``wcpulse rejected`` lists a shop's refused events; argument mistakes
are one line, not a usage dump. Real Parquet files and real subprocesses in tmp_path."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from schemas.jobs import dated_job_envelope
from schemas.settings import load_settings
from store.layout import shop_paths
from store.rawlog import RejectedLog
from tests.cli_runner import run_wcpulse
from wcpulse.errors import UserError
from wcpulse.shop_registry import default_open_registry
from wcpulse.waiting import unless_refused, wait_for_processor

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return run_wcpulse(data_dir, *args)


@pytest.fixture
def shop_id(tmp_path: Path) -> str:
    settings = load_settings({"WCPULSE_DATA_DIR": str(tmp_path), "WCPULSE_SECRET_KEY": "0" * 64})
    registry = default_open_registry(settings)
    try:
        return registry.add_shop(name="Cli", url="https://cli.example", now=NOW).shop.shop_id
    finally:
        registry.close()


def refuse(tmp_path: Path, shop_id: str, reason: str) -> str:
    envelope = dated_job_envelope(shop_id, "clv", date(2024, 3, 1), NOW)
    log = RejectedLog(shop_paths(tmp_path, shop_id).rejected_dir)
    log.append_rejected([(envelope, reason)], NOW)
    return envelope.envelope_id


def test_a_wait_ends_with_the_reason_once_the_processor_refused_the_envelope(tmp_path):
    envelope_id = refuse(tmp_path, "shp_x", "job.clv failed: FloatingPointError")
    paths = shop_paths(tmp_path, "shp_x")
    never = unless_refused(lambda: None, paths, envelope_id, "job.clv")
    with pytest.raises(UserError) as info:
        wait_for_processor(never, 30, "job.clv")
    assert str(info.value) == (
        "job.clv was refused by the shop's processor: job.clv failed: FloatingPointError"
    )
    other = unless_refused(lambda: "done", paths, "another-envelope", "job.clv")
    assert wait_for_processor(other, 30, "job.clv") == "done"


def test_rejected_lists_a_shops_refused_events_without_their_bodies(tmp_path, shop_id):
    assert cli(tmp_path, "rejected", shop_id).stdout.strip().endswith("no refused events")
    envelope_id = refuse(tmp_path, shop_id, "total: amount out of range")
    listed = cli(tmp_path, "rejected", shop_id, "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert (row["envelope_id"], row["reason"], row["topic"]) == (
        envelope_id,
        "total: amount out of range",
        "job.clv",
    )
    assert "body" not in row and row["body_bytes"] > 0
    text = cli(tmp_path, "rejected", shop_id).stdout
    assert "total: amount out of range" in text and envelope_id in text


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["jobs", "run", "rfm", "--shop", "s", "--as-of", "0001-01-01"], "use a date from 1970"),
        (["jobs", "run", "rfm"], "the following arguments are required: --shop"),
        (["rejected", "s", "--limit", "0"], "use a whole number of 1 or more"),
        (["nonsense"], "invalid choice: 'nonsense'"),
    ],
)
def test_argument_mistakes_are_one_line_and_no_usage_dump(tmp_path, argv, expected):
    result = cli(tmp_path, *argv)
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert expected in line and "usage:" not in line
