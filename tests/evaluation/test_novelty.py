import random

import pytest

from discodock.errors import InputError
from discodock.evaluation.novelty import (chain_sequences, identity_bin, max_sequence_identity, pairwise_identity,
                                          success_by_identity_bin)

AA = "ACDEFGHIKLMNPQRSTVWY"


def _random_seq(n: int, rng: random.Random) -> str:
    return "".join(rng.choice(AA) for _ in range(n))


def _mutate(seq: str, fraction: float, rng: random.Random) -> str:
    """Replace `fraction` of the positions by a different residue."""
    positions = set(rng.sample(range(len(seq)), int(round(fraction * len(seq)))))
    return "".join(rng.choice(AA.replace(c, "")) if i in positions else c for i, c in enumerate(seq))


def test_pairwise_identity_toy_cases():
    rng = random.Random(0)
    base = _random_seq(200, rng)
    assert pairwise_identity(base, base) == 1.0
    assert pairwise_identity(base, _mutate(base, 0.4, rng)) == pytest.approx(0.6, abs=0.03)
    assert pairwise_identity(base[50:150], base) == 1.0  # a test domain inside a training protein is seen
    assert pairwise_identity(base, base[50:150]) == pytest.approx(0.5)  # half of the test chain is seen
    assert pairwise_identity(base, _random_seq(220, rng)) < 0.1  # unrelated chains


def test_max_identity_over_chains_and_proteins():
    rng = random.Random(1)
    a, b, c = (_random_seq(150, rng) for _ in range(3))
    train = {"t1": [b], "t2": {"A": _mutate(a, 0.5, rng), "B": c}}
    test = {"x": [a, _random_seq(150, rng)], "y": _mutate(b, 0.05, rng), "z": _random_seq(150, rng)}
    result = max_sequence_identity(test, train)
    assert result["x"] == pytest.approx(0.5, abs=0.04)
    assert result["y"] == pytest.approx(0.95, abs=0.01)
    assert result["z"] < 0.1
    assert max_sequence_identity(test, train, top_k=1) == pytest.approx(max_sequence_identity(test, train, top_k=None))


def test_identity_bins():
    assert [identity_bin(x) for x in (0.0, 0.299, 0.3, 0.899, 0.9, 1.0)] == [
        "<30%", "<30%", "30-90%", "30-90%", ">=90%", ">=90%"]
    with pytest.raises(InputError):
        identity_bin(95.0)  # percentages are a mistake: fractions expected


def test_success_by_identity_bin():
    table = success_by_identity_bin({"a": 1.0, "b": 3.0, "c": float("nan"), "d": 0.5},
                                    {"a": 0.1, "b": 0.2, "c": 0.5, "d": 0.95})
    assert table.loc["<30%", "n"] == 2 and table.loc["<30%", "success"] == 0.5
    assert table.loc["30-90%", "success"] == 0.0 and table.loc[">=90%", "success"] == 1.0


def test_chain_sequences_from_pdb(posebusters_examples):
    chains = chain_sequences(posebusters_examples / "1ia1" / "1ia1_protein_one_lig_removed.pdb")
    assert chains and all(len(s) >= 30 and set(s) <= set(AA) for s in chains.values())


def test_short_peptides_do_not_count():
    rng = random.Random(2)
    protein = _random_seq(300, rng)
    train = {"peptide_only": [protein[10:12], protein[40:55]], "other": _random_seq(200, rng)}
    assert max_sequence_identity({"x": protein}, train, top_k=None)["x"] < 0.1
    assert max_sequence_identity({"tiny": "GG"}, train)["tiny"] == 0.0
