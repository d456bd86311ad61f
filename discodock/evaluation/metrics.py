"""Docking success metrics: one function per metric.

A complex succeeds when its pose's symmetry-corrected RMSD is below the threshold (2 Å, as in
DiffDock and PoseBusters). A failed prediction (NaN RMSD) counts as a miss, never as dropped.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

SUCCESS_THRESHOLD = 2.0  # Å


def success_rate(rmsds, threshold: float = SUCCESS_THRESHOLD) -> float:
    """Share of RMSDs below `threshold`; NaN (failed) entries count as misses."""
    values = np.asarray(rmsds, dtype=float)
    if values.size == 0:
        return float("nan")
    return float(np.mean(np.nan_to_num(values, nan=np.inf) < threshold))


def success_with_ci(rmsds, threshold: float = SUCCESS_THRESHOLD, level: float = 0.95) -> tuple[float, float, float]:
    """(success rate, Wilson interval low, high) of RMSDs below `threshold`; NaN (failed) entries are misses."""
    hits = np.nan_to_num(np.asarray(rmsds, dtype=float), nan=np.inf) < threshold
    if hits.size == 0:
        return float("nan"), float("nan"), float("nan")
    return (float(hits.mean()), *binomial_ci(int(hits.sum()), hits.size, level))


def binomial_ci(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927).

    centre = (p̂ + z²/2n) / (1 + z²/n),  half-width = z √(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n).
    """
    if n <= 0:
        return float("nan"), float("nan")
    z = norm.ppf(0.5 + level / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def median_rmsd(rmsds) -> float:
    """Median RMSD with failed (NaN) entries counted as infinitely wrong, not dropped."""
    values = np.nan_to_num(np.asarray(rmsds, dtype=float), nan=np.inf)
    return float(np.median(values)) if values.size else float("nan")


def wilcoxon_paired(values_a, values_b) -> dict:
    """Paired comparison of a continuous per-complex score (e.g. top-1 RMSD) by the two-sided Wilcoxon
    signed-rank test: more sensitive than McNemar at 2 Å when almost no complex is a success.
    Infinite values (failures) are ranked as the worst; returns medians and the p-value."""
    from scipy.stats import wilcoxon

    a = np.asarray(values_a, dtype=float)
    b = np.asarray(values_b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in length: {a.shape} vs {b.shape}")
    worst = np.nanmax(np.abs(np.concatenate([a[np.isfinite(a)], b[np.isfinite(b)], [0.0]]))) * 10 + 1
    a, b = np.where(np.isfinite(a), a, worst), np.where(np.isfinite(b), b, worst)  # failures: worse than any value
    p = float(wilcoxon(a, b).pvalue) if np.any(a != b) else 1.0
    return {"median_a": float(np.median(a)) if a.size else np.nan,
            "median_b": float(np.median(b)) if b.size else np.nan, "wilcoxon_p": p}


def mcnemar_exact(success_a, success_b) -> dict:
    """Paired comparison of two methods on the same complexes (exact McNemar test).

    Only discordant pairs carry information: b = A right / B wrong, c = A wrong / B right; under
    H0 (equal success) b ~ Binomial(b + c, 1/2). Returns the counts and the two-sided p-value.
    """
    from scipy.stats import binomtest

    a = np.asarray(success_a, dtype=bool)
    b = np.asarray(success_b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in length: {a.shape} vs {b.shape}")
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    p = binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
    return {"n": int(a.size), "only_a": only_a, "only_b": only_b, "p_value": float(p)}


def paired_bootstrap_ci(differences, level: float = 0.95, resamples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """Percentile interval of the mean of per-complex paired differences, resampling complexes
    with replacement (Efron & Tibshirani 1993, ch. 13): the complexes, not the poses, are the units."""
    values = np.asarray(differences, dtype=float)
    if values.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(resamples, values.size))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)
