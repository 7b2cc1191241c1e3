"""Issue 10, acceptance: hostile input through the live service, embedded and on RabbitMQ.

Shop A gets the corpus of ``tests/e2e/hostile_corpus.py`` inside a stream of good orders for
shops A, B and C (three partitions), sent signed by a few threads at once. The scenario runs
once per broker (a module-scoped fixture); each test judges one promise from its record, so
one broken promise hides no other. ``-s`` shows the summary and every case's outcome.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from ingest.messaging.rabbit import RabbitTopology, connect
from schemas.envelope import partition_for
from tests.e2e import hostile_corpus as corpus
from tests.e2e import service as e2e
from tests.e2e.hostile_corpus import Case, GoodDelivery, Verdict
from tests.e2e.service import Answer, Service, api_get, list_all, wait_for

PARTITIONS = 4
BATCH_SIZE = 20  # small batches: the hostile deliveries land in many, each with good events
ADMIN = "hostile-input-admin-token"
SETTLE_SECONDS = 60.0  # deadlines only: a working service settles in a few seconds
DEAD_LETTER_SECONDS = 15.0
ERASED = "502"  # the customer of A erased at the end (501 is named by the fake job.erase)
# where a job run as of the marker day shows it: scores_as_of, predictions_as_of, models' and
# backtests' as_of, the churn timeline's days (to the year's end: answers repeat parameters)
PREDICTION_PATHS = {"customers": {"per_page": 500}, "clv": {"per_page": 500}, "clv/model": {},
                    "churn/timeline": {"from": "2024-01-01",
                                       "to": corpus.MARKER_DAY[:4] + "-12-31"}}  # fmt: skip


@dataclass
class Run:
    service: Service
    shops: dict[str, dict[str, str]]  # A, B, C
    good: list[tuple[GoodDelivery, Answer]] = field(default_factory=list)
    hostile: list[tuple[Case, Answer]] = field(default_factory=list)
    visible: dict[str, set[int]] = field(default_factory=dict)  # order ids by shop
    customers_a: set[str] = field(default_factory=set)
    dead: dict[tuple[Any, Any], str] = field(default_factory=dict)
    verdicts: list[Verdict] = field(default_factory=list)  # one per hostile delivery
    trouble: dict[str, list[str]] = field(default_factory=dict)  # what went wrong, by phase

    def key(self, label: str, body: bytes) -> tuple[str, str]:
        """How a dead letter names a delivery: shop id and the delivery's text."""
        return self.shops[label]["shop_id"], body.decode("utf-8", errors="replace")

    def note(self, phase: str, what: str) -> None:
        self.trouble.setdefault(phase, []).append(what[:600])


@pytest.fixture(
    scope="module", params=["embedded", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)]
)
def run(request, tmp_path_factory) -> Iterator[Run]:
    env = {"WCPULSE_PARTITIONS": str(PARTITIONS), "WCPULSE_BATCH_SIZE": str(BATCH_SIZE)}
    env["WCPULSE_ADMIN_TOKEN"] = ADMIN
    if request.param == "rabbitmq":
        env["WCPULSE_BROKER_URL"] = request.getfixturevalue("amqp_url")
        env["WCPULSE_QUEUE_PREFIX"] = f"wcpulse-test-{uuid.uuid4().hex[:10]}"
    service = Service(tmp_path_factory.mktemp(request.param), e2e.free_port(), extra_env=env)
    try:
        yield _scenario(request.param, service)
    finally:
        service.stop_all()
        if "WCPULSE_BROKER_URL" in env:
            with connect(env["WCPULSE_BROKER_URL"]) as conn:
                RabbitTopology(env["WCPULSE_QUEUE_PREFIX"], PARTITIONS).delete(conn)


def _scenario(variant: str, service: Service) -> Run:
    run = Run(service, _shops_on_three_partitions(service))
    service.start("run")
    _stream(run)
    _settle(run)
    _observe(run)
    _replay(run)
    _erase(run)
    service.stop_all()
    for line in e2e.log_lines(service, "consumer_crashed_restarting"):
        run.note("restarts", line)
    _print_summary(variant, run)
    return run


def _shops_on_three_partitions(service: Service) -> dict[str, dict[str, str]]:
    """Add shops until three sit on different partitions (the extras get nothing)."""
    by_partition: dict[int, dict[str, str]] = {}
    while len(by_partition) < 3:
        shop = service.add_shop()
        by_partition.setdefault(partition_for(shop["shop_id"], PARTITIONS), shop)
    return dict(zip("ABC", by_partition.values(), strict=True))


def _stream(run: Run) -> None:
    """Good orders of A, B, C and the corpus for A, shuffled, from 4 threads; then one last
    good order of A: once it is visible, A's stream has been handled."""
    good = corpus.good_orders("B", 10001, 60) + corpus.good_orders("C", 20001, 60)
    good += corpus.good_orders("A", 30001, 20) + corpus.good_customer_with_orders(501, 31001, 3)
    good += corpus.good_customer_with_orders(int(ERASED), 32001, 3)
    items: list[GoodDelivery | Case] = [*good, *corpus.hostile_cases()]
    random.Random(10).shuffle(items)
    sentinel = corpus.good_orders("A", 39999, 1)
    for batch in (items, sentinel):
        labels = [item.label if isinstance(item, GoodDelivery) else "A" for item in batch]
        answers = e2e.post_concurrently(
            run.service.base_url,
            [(run.shops[label], i.topic, i.body) for label, i in zip(labels, batch, strict=True)],
        )
        for item, answer in zip(batch, answers, strict=True):
            (run.good if isinstance(item, GoodDelivery) else run.hostile).append((item, answer))


def _accepted(answer: Answer) -> bool:
    return 200 <= answer.status < 300


def _orders(run: Run, label: str) -> set[int]:
    return {row["order_id"] for row in list_all(run.service.base_url, run.shops[label], "orders")}


def _settle(run: Run) -> None:
    """Wait (deadline) until every good order answered 2xx is visible, A's last included."""
    expected = {label: set() for label in run.shops}
    for delivery, answer in run.good:
        if delivery.order_id is not None and _accepted(answer):
            expected[delivery.label].add(delivery.order_id)
    try:
        wait_for(lambda: all(ids <= _orders(run, label) for label, ids in expected.items()),
                 timeout=SETTLE_SECONDS, what="every good order answered 2xx")  # fmt: skip
    except AssertionError as exc:
        run.note("settle", str(exc))


def _observe(run: Run) -> None:
    for label in run.shops:
        try:
            run.visible[label] = _orders(run, label)
        except httpx.HTTPError as exc:
            run.visible[label] = set()
            run.note("api", f"shop {label} orders: {exc!r}")
    try:
        customers = list_all(run.service.base_url, run.shops["A"], "customers")
        run.customers_a = {row["customer_key"] for row in customers}
    except httpx.HTTPError as exc:
        run.note("api", f"shop A customers: {exc!r}")
    run.dead = _wait_for_dead_letters(run)
    run.verdicts = [_judge(run, case, answer) for case, answer in run.hostile]
    _check_fake_jobs(run)


def _wait_for_dead_letters(run: Run) -> dict[tuple[Any, Any], str]:
    """The dead letters, once every hostile delivery that can only be dead-lettered is
    there (or the deadline passed: the verdicts then say which are missing)."""
    must = [run.key("A", case.body) for case, answer in run.hostile
            if _accepted(answer) and case.allowed <= corpus.BAD]  # fmt: skip
    found: dict[tuple[Any, Any], str] = {}

    def complete() -> bool:
        found.update(e2e.dead_letter_reasons(run.service, PARTITIONS))
        return all(key in found for key in must)

    if not complete() and "settle" not in run.trouble:
        try:
            wait_for(complete, timeout=DEAD_LETTER_SECONDS, what="the dead letters")
        except AssertionError:
            pass
    return found


def _judge(run: Run, case: Case, answer: Answer) -> Verdict:
    reason = run.dead.get(run.key("A", case.body))
    visible = case.order_id in run.visible["A"] or case.customer_key in run.customers_a
    return corpus.judge(case, answer.status, answer.payload, reason, visible)


def _check_fake_jobs(run: Run) -> None:
    """Note what the webhooks with internal topics changed (nothing, if they were inert)."""
    url, shop = run.service.base_url, run.shops["A"]
    target = api_get(url, shop, f"customers/{corpus.TARGET_OF_FAKE_ERASE}").status_code
    if target != 200:
        run.note("inert", f"customer {corpus.TARGET_OF_FAKE_ERASE} named by job.erase: {target}")
    status = httpx.get(f"{url}/api/v1/shops/{shop['shop_id']}/erasures/{corpus.FAKE_ERASURE_ID}",
                       headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10)  # fmt: skip
    if status.status_code != 200 or status.json().get("status") != "pending":
        run.note("inert", f"the fake erasure: {status.status_code} {status.text}")
    for path, params in PREDICTION_PATHS.items():
        answer = api_get(url, shop, path, **params)
        if answer.status_code != 200 or corpus.MARKER_DAY in answer.text:
            run.note("inert", f"{path}: {answer.status_code}, has the fake jobs' day: "
                     f"{corpus.MARKER_DAY in answer.text}")  # fmt: skip


def _replay(run: Run) -> None:
    """Stop the service, replay A, compare A's views (contents) before and after."""
    run.service.stop_all()
    shop_id = run.shops["A"]["shop_id"]
    before = e2e.view_tables(run.service.data_dir, shop_id)
    result = run.service.cli("replay", shop_id)
    if result.returncode != 0:
        run.note("replay", f"replay exited {result.returncode}: {result.stderr[-500:]}")
    after = e2e.view_tables(run.service.data_dir, shop_id)
    if not before or sorted(after) != sorted(before):
        run.note("replay", f"views before {sorted(before)}, after {sorted(after)}")
    changed = [name for name in before if name in after and not before[name].equals(after[name])]
    if changed:
        run.note("replay", f"views whose content changed: {changed}")


def _erase(run: Run) -> None:
    """Start the service again and erase one of A's customers with the CLI."""
    service, shop = run.service, run.shops["A"]
    service.start("run")
    result = service.cli("customers", "erase", shop["shop_id"], ERASED, "--yes", "--wait", "45")
    if result.returncode != 0:
        run.note("erasure", f"erase exited {result.returncode}: {result.stderr[-500:]}")

    def gone() -> bool:
        keys = {row["customer_key"] for row in list_all(service.base_url, shop, "customers")}
        profile = api_get(service.base_url, shop, f"customers/{ERASED}")
        return ERASED not in keys and profile.status_code == 404

    try:
        wait_for(gone, timeout=15, what=f"customer {ERASED} gone from the API")
    except AssertionError as exc:
        run.note("erasure", str(exc))


def _lost(run: Run) -> list[tuple[str, int | None]]:
    return [(d.label, d.order_id) for d, a in run.good if _accepted(a) and d.order_id is not None
            and d.order_id not in run.visible.get(d.label, set())]  # fmt: skip


def _detail(run: Run, case: Case, answer: Answer) -> str:
    """The answer's status and error code, and the dead letter's reason, if any."""
    error = answer.payload.get("error") if isinstance(answer.payload, dict) else None
    code = f" {error.get('code')}" if isinstance(error, dict) else ""
    reason = run.dead.get(run.key("A", case.body))
    return f"{answer.status}{code}{f' | {reason}' if reason else ''}"


def _print_summary(variant: str, run: Run) -> None:
    sent = [(d.label, d.body, a) for d, a in run.good] + [("A", c.body, a) for c, a in run.hostile]
    statuses = [a.status for _, _, a in sent]
    dead = sum(run.key(label, body) in run.dead for label, body, _ in sent)
    print(f"\n== hostile input, {variant}: classes tried "
          f"{len({c.klass for c, _ in run.hostile})}, events sent {len(sent)}, answered 2xx "
          f"{sum(200 <= s < 300 for s in statuses)}, refused 4xx "
          f"{sum(400 <= s < 500 for s in statuses)}, other {sum(s >= 500 for s in statuses)}, "
          f"dead-lettered {dead}, lost {len(_lost(run))}")  # fmt: skip
    for (case, answer), verdict in zip(run.hostile, run.verdicts, strict=True):
        print(f"  {case.name[:58]:58} {verdict.outcome:14} {_detail(run, case, answer)}"[:300])
        if verdict.problem:
            print(f"      PROBLEM: {verdict.problem}")
    for phase, notes in run.trouble.items():
        print(f"  {phase}: {len(notes)} problem(s); first: {notes[0]}")


def test_every_good_order_answered_2xx_is_visible_and_none_is_dead_lettered(run):
    refused = [(d.label, d.order_id, a.status) for d, a in run.good if not _accepted(a)]
    dead = [(d.label, d.order_id, run.dead[run.key(d.label, d.body)])
            for d, _ in run.good if run.key(d.label, d.body) in run.dead]  # fmt: skip
    assert (refused, _lost(run), dead) == ([], [], []), run.trouble


def test_every_hostile_delivery_is_refused_dead_lettered_with_its_reason_or_inert(run):
    problems = [
        f"{c.name}: {v.problem}"
        for (c, _), v in zip(run.hostile, run.verdicts, strict=True)
        if v.problem
    ]
    allowed = {c.order_id for c, _ in run.hostile if corpus.APPLIED in c.allowed}
    good_a = {d.order_id for d, _ in run.good if d.label == "A"}
    phantoms = sorted(run.visible["A"] - good_a - allowed)  # hostile orders that became visible
    assert (problems, phantoms) == ([], []), "\n".join(problems)


def test_webhooks_with_internal_topics_change_nothing(run):
    assert run.trouble.get("inert") is None


def test_the_consumer_never_restarted(run):
    assert run.trouble.get("restarts") is None


def test_replay_of_shop_a_exits_0_and_reproduces_its_views(run):
    assert run.trouble.get("replay") is None


def test_an_erasure_in_shop_a_completes_within_its_wait_and_the_customer_is_gone(run):
    assert run.trouble.get("erasure") is None
