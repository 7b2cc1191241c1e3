"""An envelope of a batch decoded into the events it stands for.

Apart from ``processors/batch.py`` (which decodes with the handlers, and so with the jobs)
so that the ports a job is given (``shop_unit.py``, ``rebuild.py``) can name it without
importing the jobs back.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.envelope import Envelope
from schemas.events import Event


@dataclass(frozen=True, slots=True)
class Decoded:
    """An envelope of the batch (``index`` in it) and the events it stands for."""

    index: int
    envelope: Envelope
    events: list[Event]
