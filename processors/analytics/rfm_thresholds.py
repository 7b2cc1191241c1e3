"""RFM scores against a distribution kept from the last rescoring (pure numpy).

A rescoring scores every customer by position in the shop's distribution
(``rfm.score_by_position``: score = 1 + floor(5 * worse / n), ``worse`` = values strictly
worse). Between rescorings a customer who changed is scored against that same distribution,
which four thresholds per dimension hold exactly: with ``c_k = ceil(k * n / 5)``,

    score >= k + 1  <=>  worse >= c_k  <=>  v is better than the c_k-th worst value T_k,

so ``score(v) = 1 + #{k in 1..4 : v better than T_k}``. For a value of the distribution
this is its rescoring score exactly; a new value gets the score of its position among the
rescoring's values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from processors.analytics.rfm import RfmScores, fm_score, segments_for

QUINTILES = 5


@dataclass(frozen=True)
class Thresholds:
    """The c_k-th worst value for k = 1..4 of one dimension (``higher_is_better`` says which
    end is worse); empty for an empty distribution."""

    values: tuple[float, ...]
    higher_is_better: bool

    def as_json(self) -> dict[str, object]:
        return {"values": list(self.values), "higher_is_better": self.higher_is_better}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Thresholds:
        values = data["values"]
        assert isinstance(values, list)
        return cls(tuple(float(v) for v in values), bool(data["higher_is_better"]))


@dataclass(frozen=True)
class RfmThresholds:
    recency: Thresholds
    frequency: Thresholds
    monetary: Thresholds

    def as_json(self) -> dict[str, object]:
        return {
            name: getattr(self, name).as_json() for name in ("recency", "frequency", "monetary")
        }

    @classmethod
    def from_json(cls, data: dict[str, dict[str, object]]) -> RfmThresholds:
        return cls(*(Thresholds.from_json(data[n]) for n in ("recency", "frequency", "monetary")))


def thresholds(values: npt.ArrayLike, higher_is_better: bool = True) -> Thresholds:
    """The four thresholds of ``values`` (see the module doc)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return Thresholds((), higher_is_better)
    worst_first = np.sort(arr) if higher_is_better else np.sort(arr)[::-1]
    n = arr.size
    positions = [-(-k * n // QUINTILES) - 1 for k in range(1, QUINTILES)]  # c_k - 1
    return Thresholds(tuple(float(worst_first[p]) for p in positions), higher_is_better)


def score_against(values: npt.ArrayLike, limits: Thresholds) -> npt.NDArray[np.int8]:
    """Scores 1..5 of ``values`` by their position in the distribution ``limits`` keeps."""
    arr = np.asarray(values, dtype=np.float64)
    scores = np.ones(arr.shape, dtype=np.int8)
    for limit in limits.values:
        better = arr > limit if limits.higher_is_better else arr < limit
        scores += better.astype(np.int8)
    return scores


def rfm_thresholds(
    recency_days: npt.ArrayLike, frequency: npt.ArrayLike, monetary: npt.ArrayLike
) -> RfmThresholds:
    """What a rescoring keeps of the shop's distribution (recency: fewer days is better)."""
    return RfmThresholds(
        thresholds(recency_days, higher_is_better=False),
        thresholds(frequency),
        thresholds(monetary),
    )


def score_rfm_against(
    limits: RfmThresholds,
    recency_days: npt.ArrayLike,
    frequency: npt.ArrayLike,
    monetary: npt.ArrayLike,
) -> RfmScores:
    """``rfm.score_rfm``'s result for customers scored against a kept distribution."""
    r = score_against(recency_days, limits.recency)
    f = score_against(frequency, limits.frequency)
    m = score_against(monetary, limits.monetary)
    return RfmScores(r=r, f=f, m=m, fm=fm_score(f, m), segment=segments_for(r, f, m))
