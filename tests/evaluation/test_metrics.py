import numpy as np
import pytest

from discodock.evaluation.metrics import binomial_ci, median_rmsd, success_rate, success_with_ci


def test_success_rate_counts_nan_as_miss():
    assert success_rate([0.5, 1.9, 2.0, 3.0]) == pytest.approx(0.5)
    assert success_rate([0.5, np.nan]) == pytest.approx(0.5)
    assert success_rate([1.0, 2.5], threshold=3.0) == 1.0


@pytest.mark.parametrize("k, n, low, high", [
    (5, 10, 0.2366, 0.7634),  # Wilson interval, textbook values
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (81, 263, 0.2553, 0.3662),
])
def test_wilson_interval_known_values(k, n, low, high):
    lo, hi = binomial_ci(k, n)
    assert lo == pytest.approx(low, abs=1e-4) and hi == pytest.approx(high, abs=1e-4)


def test_wider_level_gives_wider_interval():
    lo95, hi95 = binomial_ci(30, 100)
    lo99, hi99 = binomial_ci(30, 100, level=0.99)
    assert lo99 < lo95 < 0.3 < hi95 < hi99


def test_median_counts_failures_as_worst():
    assert median_rmsd([1.0, 2.0, np.nan]) == 2.0


def test_success_with_ci_counts_failures_as_misses():
    rate, low, high = success_with_ci([1.0, 1.9, 2.0, 5.0, np.nan])  # 2 of 5: 2.0 itself is not below 2 Å
    assert rate == pytest.approx(0.4)
    assert (low, high) == pytest.approx(binomial_ci(2, 5))
    assert success_with_ci([1.0, 3.0], threshold=5.0)[0] == 1.0
    assert all(np.isnan(success_with_ci([])))


def test_mcnemar_exact_counts_discordant_pairs_only():
    from discodock.evaluation.metrics import mcnemar_exact

    a = [True] * 10 + [False] * 10 + [True] * 5
    b = [False] * 10 + [False] * 10 + [True] * 5
    result = mcnemar_exact(a, b)
    assert (result["only_a"], result["only_b"], result["n"]) == (10, 0, 25)
    assert result["p_value"] == pytest.approx(2 * 0.5**10)  # two-sided exact binomial
    assert mcnemar_exact(a, a)["p_value"] == 1.0


def test_wilcoxon_paired_sees_a_consistent_shift_and_ranks_failures_worst():
    from discodock.evaluation.metrics import wilcoxon_paired

    rng = np.random.default_rng(0)
    b = rng.uniform(3.0, 10.0, size=40)
    shifted = wilcoxon_paired(b - 1.0, b)  # a is better by 1 Å on every complex
    assert shifted["wilcoxon_p"] < 1e-6 and shifted["median_a"] == pytest.approx(np.median(b) - 1.0)
    noise = wilcoxon_paired(b + rng.normal(0, 0.5, size=40), b)
    assert noise["wilcoxon_p"] > 0.01  # no systematic difference
    failed = wilcoxon_paired(np.where(np.arange(40) < 20, np.inf, b), b)  # half of a failed
    assert failed["wilcoxon_p"] < 1e-3 and failed["median_a"] > b.max()
    assert wilcoxon_paired(b, b)["wilcoxon_p"] == 1.0


def test_paired_bootstrap_ci_brackets_the_mean_and_narrows_with_more_complexes():
    from discodock.evaluation.metrics import paired_bootstrap_ci

    rng = np.random.default_rng(1)
    small = rng.normal(0.3, 1.0, size=30)
    large = rng.normal(0.3, 1.0, size=3000)
    lo_s, hi_s = paired_bootstrap_ci(small)
    lo_l, hi_l = paired_bootstrap_ci(large)
    assert lo_s < small.mean() < hi_s and lo_l < large.mean() < hi_l
    assert (hi_l - lo_l) < (hi_s - lo_s) / 5  # ~ 1/sqrt(n): 10x more complexes, ~10x narrower
    assert lo_l == pytest.approx(0.3 - 1.96 / np.sqrt(3000) + (large.mean() - 0.3), abs=0.01)
    assert paired_bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
    assert all(np.isnan(paired_bootstrap_ci([])))
