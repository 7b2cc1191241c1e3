"""The column types the published views share (schemas/views.py and its sibling modules).

Money is decimal(18, 2) in the shop currency; timestamps are UTC microseconds.
"""

from __future__ import annotations

import pyarrow as pa

MONEY = pa.decimal128(18, 2)
TS = pa.timestamp("us", tz="UTC")
