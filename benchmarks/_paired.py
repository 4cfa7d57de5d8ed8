"""Paired ratios and their verdicts: how every target of the suite is decided.

A ratio compares two clients measured back to back in the same repeat (A then B, or B
then A: the order alternates between repeats), so load that comes and goes on a shared
machine hits both sides of one ratio alike. The ratio is taken repeat by repeat; what
is reported is the median of those ratios and their spread (min-max).

The verdict uses a distribution-free confidence interval of that median: the range
between two order statistics of the per-repeat ratios, ``[r(k), r(n+1-k)]``, with the
largest ``k`` whose coverage ``1 - 2 P(Binomial(n, 1/2) < k)`` is still at least
`CONFIDENCE`. `CONFIDENCE` is the coverage of min-max at five repeats (``1 - 2/2**5``),
so at five repeats the interval *is* the min-max spread; with more repeats it narrows
(10 repeats: the 2nd to the 9th smallest; 20: the 6th to the 15th) while min-max only
widens. A target is PASS when the whole interval meets the limit, MISS when none of it
does, and UNDECIDED when the limit lies inside: then the suite measures more repeats
(doubling, up to a cap) and decides again, and what is still undecided at the cap is
reported UNDECIDED, never rounded either way.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

CONFIDENCE = 1 - 2 / 2**5
"""0.9375: the coverage of [min, max] as an interval for the median of five values."""

MIN_REPEATS = 5


def _binomial_cdf(k: int, n: int) -> float:
    """P(Binomial(n, 1/2) <= k)."""
    return sum(math.comb(n, i) for i in range(k + 1)) / 2**n


def median_interval(values: Sequence[float]) -> tuple[float, float]:
    """The `CONFIDENCE` interval of the median of ``values`` (see the module doc).

    Fewer than five values cannot reach that confidence: their min-max is returned.
    """
    ordered = sorted(values)
    n = len(ordered)
    k = 1
    while k + 1 <= n // 2 and 1 - 2 * _binomial_cdf(k, n) >= CONFIDENCE:
        k += 1
    return ordered[k - 1], ordered[n - k]


def verdict(low: float, high: float, op: str, limit: float) -> str:
    """PASS, MISS or UNDECIDED for an interval ``[low, high]`` against ``op limit``."""
    if math.isnan(low) or math.isnan(high):
        return "n/a"
    if op == "<=":
        return "PASS" if high <= limit else "MISS" if low > limit else "UNDECIDED"
    if op == "<":
        return "PASS" if high < limit else "MISS" if low >= limit else "UNDECIDED"
    return "PASS" if low >= limit else "MISS" if high < limit else "UNDECIDED"


def summarize(ratios: Sequence[float], op: str, limit: float) -> dict[str, Any]:
    """Median, min-max, the decision interval and the verdict of per-repeat ratios."""
    values = [r for r in ratios if not math.isnan(r)]
    if not values:
        nan = math.nan
        return {"median": nan, "min": nan, "max": nan, "low": nan, "high": nan,
                "repeats": 0, "status": "n/a", "ratios": []}  # fmt: skip
    low, high = median_interval(values)
    status = verdict(low, high, op, limit)
    if status != "n/a" and len(values) < MIN_REPEATS:
        status = "UNDECIDED"  # too few repeats to decide anything
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "low": low,
        "high": high,
        "repeats": len(values),
        "status": status,
        "ratios": list(values),
    }


def per_repeat(
    numerators: Sequence[dict[str, Any]], denominators: Sequence[dict[str, Any]], key: str
) -> list[float]:
    """``numerator[key] / denominator[key]`` repeat by repeat (the two lists align)."""
    out = []
    for top, bottom in zip(numerators, denominators, strict=False):
        a, b = float(top.get(key, math.nan)), float(bottom.get(key, math.nan))
        out.append(a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan)
    return out
