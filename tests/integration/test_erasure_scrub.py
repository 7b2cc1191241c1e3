"""Scrubbing the raw Parquet log for an erasure: webhook bodies, imported pages, e-mails
spelled as PHP writes them, and tombstones that know only the address's hash."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow.parquet as pq

from ingest.demo.phpjson import php_json_encode
from ingest.rest.importer import rest_envelope
from processors.anonymise import Scrubber
from processors.email_match import email_sha256
from processors.handlers import element_hash, handle_envelope
from schemas.envelope import Envelope, body_hash
from schemas.erasure import Erasure, erased_email
from store.rawlog import ParquetRawLog
from tests import woo_payloads as woo
from tests.integration.erasure_support import files_mentioning

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
SHOP_ID = "shp_scrub"
EMAIL = "Ada.Lovelace+shop/1@Example.com"  # a "/" that PHP escapes, a "+", mixed case
OTHER = "grace@example.com"


def webhook(topic: str, body: dict, minute: int = 0) -> Envelope:
    resource, _, event = topic.partition(".")
    raw = php_json_encode(body).decode()
    at = NOW + timedelta(minutes=minute)
    return Envelope(SHOP_ID, topic, resource, event, body.get("id"), raw, at, webhook_id="1")


def erasure(**overrides) -> Erasure:
    fields = {
        "erasure_id": "e1",
        "customer_key": "25",
        "customer_id": 25,
        "email_sha256": frozenset({email_sha256(EMAIL)}),
        "order_ids": frozenset({100, 101}),
        "erased_at": NOW,
    }
    return Erasure(**(fields | overrides))


def ada_order(order_id: int, customer_id: int = 25) -> dict:
    body = woo.order(order_id, customer_id=customer_id, email=EMAIL, total="42.50")
    body["customer_note"] = f"call me, or write to {EMAIL.upper()}"
    body["customer_ip_address"] = "192.0.2.7"
    body["meta_data"] = [{"id": 1, "key": "marketing_consent_email", "value": "yes"}]
    body["_links"]["customer"] = [{"href": "https://example.com/wp-json/wc/v3/customers/25"}]
    return body


def logged(tmp_path, envelopes: list[Envelope]) -> ParquetRawLog:
    rawlog = ParquetRawLog(tmp_path / "raw")
    rawlog.append(envelopes, NOW)
    return rawlog


def read_all(rawlog: ParquetRawLog) -> list[Envelope]:
    return [envelope for batch in rawlog.read_batches() for envelope in batch]


def test_a_webhook_order_keeps_its_amounts_and_loses_the_person(tmp_path):
    rawlog = logged(tmp_path, [webhook("order.created", ada_order(100))])
    assert f"raw/{rawlog.files()[0].name} (content)" in files_mentioning(tmp_path, EMAIL)
    assert rawlog.rewrite(Scrubber([erasure()], [EMAIL.lower()]).envelope) == 1
    [envelope] = read_all(rawlog)
    body = json.loads(envelope.body)
    assert body["billing"]["email"] == erased_email("e1")
    assert body["customer_id"] == 0
    assert (body["billing"]["first_name"], body["billing"]["phone"]) == ("", "")
    assert (body["shipping"]["address_1"], body["shipping"]["city"]) == ("", "")
    assert (body["customer_note"], body["customer_ip_address"]) == ("", "")
    assert body["meta_data"] == [] and "customer" not in body["_links"]
    assert body["billing"]["country"] == "US"
    assert envelope.body_sha256 == body_hash(envelope.body)
    [event] = handle_envelope(envelope)
    assert (event.total, event.order_id, event.customer_id) == (Decimal("42.50"), 100, 0)
    assert [(i.product_id, i.total) for i in event.items] == [(93, Decimal("42.50"))]
    assert files_mentioning(tmp_path, EMAIL) == []


def test_only_the_erased_customers_elements_of_an_imported_page_change(tmp_path):
    other = woo.order(300, email=OTHER, total="9.00")
    page = [ada_order(100), other, ada_order(777, customer_id=0)]  # 777: a guest order
    envelope = rest_envelope(SHOP_ID, "order.imported", page, NOW, "import")
    rawlog = logged(tmp_path, [envelope])
    assert files_mentioning(tmp_path, EMAIL) != []
    assert rawlog.rewrite(Scrubber([erasure()]).envelope) == 1  # by id, customer id, hash
    [scrubbed] = read_all(rawlog)
    elements = json.loads(scrubbed.body)
    assert [e["billing"]["email"] for e in elements] == [
        erased_email("e1"),
        OTHER,
        elements[2]["billing"]["email"],
    ]
    assert elements[2]["billing"]["email"] == erased_email("e1")
    assert element_hash(elements[1]) == element_hash(other)  # its version is unchanged
    assert files_mentioning(tmp_path, EMAIL) == []


def test_an_address_in_any_spelling_is_replaced_in_refunds_errors_and_notes(tmp_path):
    refund = woo.fixture("order_refunds.json")[0] | {"reason": f"asked by {EMAIL.upper()}"}
    error = {"code": "woocommerce_rest_cannot_view", "message": f"no access for {EMAIL}"}
    note = woo.order(300, email=OTHER) | {"customer_note": f"gift for {EMAIL.lower()}"}
    envelopes = [
        webhook("refund.created", refund),
        webhook("order.updated", error, minute=1),
        webhook("order.updated", note, minute=2),
    ]
    assert "\\u0040" not in envelopes[0].body and "\\/" in envelopes[0].body  # PHP's escapes
    rawlog = logged(tmp_path, envelopes)
    assert rawlog.rewrite(Scrubber([erasure()], [EMAIL.lower()]).envelope) == 3
    scrubbed = read_all(rawlog)
    assert json.loads(scrubbed[0].body)["reason"] == f"asked by {erased_email('e1')}"
    assert json.loads(scrubbed[2].body)["billing"]["email"] == OTHER  # not theirs: kept
    assert files_mentioning(tmp_path, EMAIL) == []


def test_their_customer_records_are_dropped_and_the_deletion_that_erased_them_stays(tmp_path):
    ada = woo.customer(25, email=EMAIL)
    grace = woo.customer(26, email=OTHER)
    envelopes = [
        webhook("customer.created", ada),
        rest_envelope(SHOP_ID, "customer.imported", [ada, grace], NOW, "import"),
        webhook("customer.deleted", {"id": 25}, minute=5),
    ]
    rawlog = logged(tmp_path, envelopes)
    assert rawlog.rewrite(Scrubber([erasure()]).envelope) == 2
    kept = read_all(rawlog)
    assert [e.topic for e in kept] == ["customer.imported", "customer.deleted"]
    assert [c["id"] for c in json.loads(kept[0].body)] == [26]
    assert kept[1].body == envelopes[2].body


def test_a_tombstone_finds_the_address_by_its_hash_in_escaped_and_encoded_forms():
    scrubber = Scrubber([erasure(customer_id=0, order_ids=frozenset())])
    escaped = EMAIL.upper().replace("@", "\\u0040").replace("/", "\\/")
    raw = '{"id": 5, "note": "mail:' + escaped + ", link ?e=" + EMAIL.replace("@", "%40") + '"}'
    envelope = Envelope(SHOP_ID, "action.x", "action", "x", None, raw, NOW)
    body = json.loads(scrubber.envelope(envelope).body)
    assert body["note"] == f"mail:{erased_email('e1')}, link ?e={erased_email('e1')}"


def test_an_envelope_without_the_customer_is_returned_untouched(tmp_path):
    other = webhook("order.created", woo.order(300, email=OTHER, customer_id=26))
    job = Envelope(SHOP_ID, "job.erase", "job", "erase", None, '{"customer_key":"25"}', NOW)
    scrubber = Scrubber([erasure()])
    assert scrubber.envelope(other) is other and scrubber.envelope(job) is job
    rawlog = logged(tmp_path, [other, job])
    before = pq.read_table(rawlog.files()[0])
    assert rawlog.rewrite(scrubber.envelope) == 0
    assert pq.read_table(rawlog.files()[0]).equals(before)


def test_scrubbing_what_is_scrubbed_already_changes_nothing(tmp_path):
    page = [ada_order(100), woo.order(300, email=OTHER), ada_order(778, customer_id=0)]
    envelopes = [
        webhook("order.created", ada_order(101)),
        rest_envelope(SHOP_ID, "order.imported", page, NOW, "import"),
        webhook("customer.updated", woo.customer(25, email=EMAIL), minute=1),
    ]
    rawlog = logged(tmp_path, envelopes)
    assert rawlog.rewrite(Scrubber([erasure()], [EMAIL.lower()]).envelope) == 3
    once = pq.read_table(rawlog.files()[0])
    assert rawlog.rewrite(Scrubber([erasure()], [EMAIL.lower()]).envelope) == 0
    assert rawlog.rewrite(Scrubber([erasure()]).envelope) == 0  # a tombstone alike
    assert pq.read_table(rawlog.files()[0]).equals(once)
