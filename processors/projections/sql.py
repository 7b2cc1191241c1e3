"""The SQL of the order-based views, over the shop state's tables, whole or for a scope.

``ORDERS_SQL`` and ``CUSTOMERS_SQL`` take a ``{scope}`` condition: ``TRUE`` for the whole
shop, or the keys a publish refreshes, as literal lists (``in_ids``, ``in_keys``: integers
and customer keys, whose forms admit no quote) so that DuckDB looks them up through the
tables' indexes; addresses, and every other value, travel as named parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from schemas.shop import ShopConfig
from store.state_schema import RESOURCE_TABLES

WHOLE = "TRUE"
ALL_GUEST_EMAILS = "SELECT email FROM guest_emails"
_CUSTOMER_KEY = re.compile(r"[1-9][0-9]{0,18}|guest-[0-9a-f]{16}|guest-order-[1-9][0-9]{0,18}")

# One row per order (the orders view and what the customer aggregates need). A guest order
# (customer_id 0) belongs to the registered customer with its e-mail when there is one
# (the lowest id among live customers and registered orders with that address). The key
# conditions stand alone (the others are CASEs): DuckDB then looks the keys up by index.
# ``tracking_number``: the number under the first of the shop's tracking meta keys
# (``$tracking``, JSON paths) the order's kept tracking meta has, "" when none.
ORDERS_SQL = """
WITH o AS (
    SELECT *,
        CASE WHEN trash_at IS NOT NULL AND trash_at > v_at THEN 'trash' ELSE status END AS eff,
        CASE $basis WHEN 'paid' THEN coalesce(paid_at, created_at)
            WHEN 'completed' THEN coalesce(completed_at, paid_at, created_at)
            ELSE created_at END AS rev_at
    FROM (SELECT * FROM orders WHERE {scope}) WHERE v_at IS NOT NULL
), guest_emails AS (
    SELECT DISTINCT email FROM o WHERE customer_id = 0 AND email <> ''
), owners AS (
    SELECT email, min(owner) AS owner FROM (
        SELECT email,
            CASE WHEN v_at IS NOT NULL AND (trash_at IS NULL OR trash_at <= v_at)
                THEN customer_id END AS owner
        FROM customers WHERE email IN ({emails})
        UNION ALL
        SELECT email, CASE WHEN customer_id > 0 AND v_at IS NOT NULL THEN customer_id END
        FROM orders WHERE email IN ({emails})
    ) GROUP BY email
)
SELECT o.order_id, o.number, o.eff AS status,
    list_contains($paid, o.eff) OR o.eff = 'refunded' AS is_sale,
    CASE WHEN o.customer_id > 0 THEN o.customer_id::VARCHAR
        WHEN w.owner IS NOT NULL THEN w.owner::VARCHAR
        WHEN o.email <> '' THEN 'guest-' || left(sha256(o.email), 16)
        ELSE 'guest-order-' || o.order_id::VARCHAR END AS customer_key,
    CASE WHEN o.customer_id > 0 THEN o.customer_id ELSE coalesce(w.owner, 0) END AS customer_id,
    o.email, o.country, o.currency, o.created_at, o.paid_at, o.completed_at,
    o.v_at AS modified_at, o.rev_at AS revenue_at,
    (o.rev_at AT TIME ZONE $tz)::DATE AS revenue_day,
    o.total, o.refunds, CAST(o.total - o.refunds AS DECIMAL(18, 2)) AS net,
    o.shipping, o.tax, o.discount, o.items, o.payment_method,
    o.first_name, o.last_name, o.phone, o.consents,
    coalesce(CASE WHEN o.tracking <> '' THEN list_filter(
        json_extract_string(o.tracking, $tracking), lambda n: n IS NOT NULL)[1] END, '')
        AS tracking_number
FROM o LEFT JOIN owners w ON o.customer_id = 0 AND o.email = w.email
ORDER BY o.order_id
"""

# One row per customer key: aggregates of ``ov`` (the orders of the keys in scope) joined
# with the registered customers in scope.
CUSTOMERS_SQL = """
WITH agg AS (
    SELECT customer_key,
        count(*) FILTER (WHERE is_sale) AS orders,
        coalesce(sum(total) FILTER (WHERE is_sale), 0) AS gross,
        coalesce(sum(refunds) FILTER (WHERE is_sale), 0) AS refunds,
        coalesce(sum(net) FILTER (WHERE is_sale), 0) AS net_spent,
        min(revenue_at) FILTER (WHERE is_sale) AS first_order_at,
        max(revenue_at) FILTER (WHERE is_sale) AS last_order_at,
        min(revenue_day) FILTER (WHERE is_sale) AS first_order_day,
        max(revenue_day) FILTER (WHERE is_sale) AS last_order_day,
        max(customer_id) AS customer_id,
        arg_max(email, (created_at, order_id)) AS email,
        arg_max(first_name, (created_at, order_id)) AS first_name,
        arg_max(last_name, (created_at, order_id)) AS last_name,
        arg_max(phone, (created_at, order_id)) AS phone,
        arg_max(country, (created_at, order_id)) AS country,
        arg_max(consents, (created_at, order_id)) FILTER (WHERE consents <> '') AS consents
    FROM ov GROUP BY customer_key
), reg AS (
    SELECT customer_id::VARCHAR AS customer_key, * FROM customers
    WHERE v_at IS NOT NULL AND (trash_at IS NULL OR trash_at <= v_at) AND {scope}
)
SELECT coalesce(r.customer_key, a.customer_key) AS customer_key,
    coalesce(r.customer_id, a.customer_id, 0) AS customer_id,
    coalesce(nullif(r.email, ''), a.email, '') AS email,
    coalesce(nullif(r.first_name, ''), a.first_name, '') AS first_name,
    coalesce(nullif(r.last_name, ''), a.last_name, '') AS last_name,
    coalesce(nullif(r.phone, ''), a.phone, '') AS phone,
    coalesce(nullif(r.country, ''), a.country, '') AS country,
    coalesce(r.customer_id, a.customer_id, 0) = 0 AS is_guest,
    r.created_at AS registered_at,
    coalesce(a.orders, 0) AS orders,
    CAST(coalesce(a.gross, 0) AS DECIMAL(18, 2)) AS gross,
    CAST(coalesce(a.refunds, 0) AS DECIMAL(18, 2)) AS refunds,
    CAST(coalesce(a.net_spent, 0) AS DECIMAL(18, 2)) AS net_spent,
    CASE WHEN a.orders > 0 THEN CAST(a.net_spent / a.orders AS DECIMAL(18, 2)) END AS aov,
    a.first_order_at, a.last_order_at, a.first_order_day, a.last_order_day,
    coalesce(nullif(r.consents, ''), a.consents, '') AS consents
FROM reg r FULL OUTER JOIN agg a ON r.customer_key = a.customer_key
ORDER BY customer_key
"""


# the erasures of registered customers the state holds no row of (an anti join: a NOT IN
# would hash every customer at each publish, about 2 ms on 200,000)
ERASED_ONLY = (
    "SELECT e.* FROM erasures e ANTI JOIN customers c USING (customer_id) WHERE e.customer_id > 0"
)


def versions_sql(scope: Mapping[str, Iterable[int]] | None) -> str:
    """One row per resource the state has a row for (the versions view). A resource is
    trashed when its trash time is later than its payload version (or it has only a trash
    time); an erased customer is held as trashed at the erasure, so a sync does not fetch
    them again. ``scope``: only these ids per resource (None: all). Resource names are
    literals of RESOURCE_TABLES, not input."""
    arms = []
    for resource, table in RESOURCE_TABLES.items():
        wanted = None if scope is None else list(scope.get(resource, ()))
        if wanted is not None and not wanted and arms:
            continue  # an arm that matches nothing still costs its planning (a live publish)
        source = (
            table.name
            if wanted is None
            else f"(SELECT * FROM {table.name} WHERE {table.key} IN {in_ids(wanted)})"
        )
        arms.append(
            f"SELECT '{resource}' AS resource, {table.key} AS resource_id, v_at AS modified_at, "
            f"coalesce(trash_at > v_at, trash_at IS NOT NULL) AS trashed FROM {source}"
        )
    customers = None if scope is None else list(scope.get("customer", ()))
    if customers is None or customers:
        within = "" if customers is None else f" AND customer_id IN {in_ids(customers)}"
        arms.append(
            f"SELECT 'customer', customer_id, max(erased_at), true FROM ({ERASED_ONLY})"
            f" WHERE TRUE{within} GROUP BY customer_id"
        )
    return " UNION ALL ".join(arms) + " ORDER BY resource, resource_id"


# the versions view's rows (one UNION ALL of counts: planned as one statement, about 1 ms on
# the 1M-order shop, where a sum of scalar subqueries took about 3)
VERSIONS_COUNT_SQL = (
    "SELECT sum(n) FROM ("
    + " UNION ALL ".join(
        [f"SELECT count(*) AS n FROM {table.name}" for table in RESOURCE_TABLES.values()]
        + [f"SELECT count(DISTINCT customer_id) FROM ({ERASED_ONLY})"]
    )
    + ")"
)


# Values from which an ``IN`` list is a semi-join against the list (one scan of the table)
# rather than index lookups of each value: each lookup costs about 10 us, so at 3,500
# order ids of a million the join takes half the time (19 against 38 ms); at ten ids the
# lookups take 1 ms against 1.4. A live batch's lists are short; a backlog's, long. The
# joined list is one text literal cast to a list: DuckDB parses, binds and optimises each
# value of a literal list as an expression of its own (on the 100k-order shop, the products
# of 20,000 order ids: 75 ms as ``unnest([1,2,...])``, 7 ms as ``unnest('[1,2,...]'::BIGINT[])``).
JOIN_FROM = 1000


def in_ids(ids: Iterable[int]) -> str:
    """``(1,2,3)``: a literal list of integers (``(NULL)`` matches nothing); from
    ``JOIN_FROM`` of them, ``(SELECT unnest('[1,2,3]'::BIGINT[]))``."""
    values = [str(int(i)) for i in ids]
    if len(values) >= JOIN_FROM:
        return _joined(values, "BIGINT")
    return f"({','.join(values) or 'NULL'})"


def ids_scope(column: str, keys: list[int] | None) -> str:
    """``column IN (1,2,3)`` (``in_ids``) for ``keys``; ``TRUE`` for None (every row)."""
    return "TRUE" if keys is None else f"{column} IN {in_ids(keys)}"


def in_keys(keys: Iterable[str]) -> str:
    """``('25','guest-0a1b..')``: a literal list of customer keys, each checked against the
    only forms a key takes (digits, hex, the guest prefixes), so none can hold a quote, a
    comma or a bracket; from ``JOIN_FROM`` of them, ``(SELECT unnest('[25,..]'::VARCHAR[]))``."""
    listed = list(keys)
    if any(_CUSTOMER_KEY.fullmatch(key) is None for key in listed):
        raise ValueError("not a customer key")
    if len(listed) >= JOIN_FROM:
        return _joined(listed, "VARCHAR")
    quoted = [f"'{key}'" for key in listed]
    return f"({','.join(quoted) or 'NULL'})"


def _joined(values: list[str], sql_type: str) -> str:
    return f"(SELECT unnest('[{','.join(values)}]'::{sql_type}[]))"


def in_params(values: Iterable[str], prefix: str) -> tuple[str, dict[str, Any]]:
    """``($e0,$e1)`` and the named parameters that carry ``values``; from ``JOIN_FROM`` of
    them, ``(SELECT unnest($e_all))`` and one list parameter."""
    listed = list(values)
    if len(listed) >= JOIN_FROM:
        return f"(SELECT unnest(${prefix}_all))", {f"{prefix}_all": listed}
    params = {f"{prefix}{n}": value for n, value in enumerate(listed)}
    return f"({','.join('$' + name for name in params) or 'NULL'})", params


def order_params(shop: ShopConfig) -> dict[str, Any]:
    """The named parameters of ORDERS_SQL for ``shop``."""
    return {
        "basis": shop.revenue_date,
        "paid": list(shop.paid_statuses),
        "tz": shop.timezone,
        "tracking": [f'$."{key}"' for key in tracking_keys(shop)],
    }


def tracking_keys(shop: ShopConfig) -> tuple[str, ...]:
    """The shop's tracking meta keys (``fulfillment_delayed.tracking_meta_keys``; checked
    when set: no quote or backslash, so each makes a JSON path as it is)."""
    return shop.alerts.names("fulfillment_delayed", "tracking_meta_keys")
