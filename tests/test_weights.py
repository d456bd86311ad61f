"""discodock.weights: bundles carry their sampling settings; `auto` picks the bundle that fits the job."""

from pathlib import Path

import pytest
import torch

from discodock.errors import InputError
from discodock.sampling import PLAIN, LowTemperature
from discodock.weights import SHIPPED, WEIGHTS_DIR, check_mode, choose_weights, load_models

from .conftest import tiny_bundle


def _bundle(path, metadata=None, mode="pocket"):
    return load_models(tiny_bundle(path, mode=mode, metadata=metadata))


def test_low_temperature_is_read_from_the_bundle_metadata(tmp_path):
    cold = {"temperature": [1.5, 2.0, 3.0], "psi": [0.1, 0.2, 0.3], "sigma_data": [0.9, 0.8, 0.7]}
    models = _bundle(tmp_path / "cold.pt", {"sampling_temperature": cold})
    assert models.temperature == LowTemperature((1.5, 2.0, 3.0), (0.1, 0.2, 0.3), (0.9, 0.8, 0.7))


def test_bundles_without_a_temperature_sample_plainly(tmp_path):
    assert _bundle(tmp_path / "plain.pt").temperature == PLAIN


def test_auto_picks_the_shipped_disco_bundle_for_the_job():
    assert choose_weights("auto", pocket=True) == "disco-pocket"
    assert choose_weights("auto", pocket=False) == "disco"
    assert choose_weights("twin-pocket", pocket=False) == "twin-pocket"  # an explicit choice is kept, then checked


def test_a_bundle_must_fit_the_job(tmp_path):
    pocket = _bundle(tmp_path / "p.pt")
    check_mode(pocket, "p.pt", pocket=True, give_pocket="give one")
    with pytest.raises(InputError, match="p.pt: is a pocket-mode model: give one"):
        check_mode(pocket, "p.pt", pocket=False, give_pocket="give one")
    blind = _bundle(tmp_path / "b.pt", mode="blind")
    check_mode(blind, "b.pt", pocket=False, give_pocket="give one")
    with pytest.raises(InputError, match="b.pt: is a blind model"):
        check_mode(blind, "b.pt", pocket=True, give_pocket="give one")


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_name_has_its_bundle_and_the_mode_its_name_says(name):
    models = load_models(name)
    assert models.mode == ("pocket" if name.endswith("-pocket") else "blind")
    assert (models.prior is None) == name.startswith("twin")
    assert (WEIGHTS_DIR / SHIPPED[name]).with_name(SHIPPED[name].replace(".pt", "_config.yaml")).is_file()


SEED_BUNDLES = sorted((Path(__file__).resolve().parents[1] / "benchmarks" / "seed_bundles").glob("*.pt"))


@pytest.mark.parametrize("path", SEED_BUNDLES, ids=[p.stem for p in SEED_BUNDLES])
def test_seed_study_bundles_load_as_pocket_models(path):
    models = load_models(path)
    shipped_before = path.stem in ("disco_pocket_s0", "twin_pocket_s0")  # the pair shipped until 28 Nov 2026
    assert models.mode == "pocket" and (models.confidence is not None) == shipped_before  # others: no ranker
    assert (models.prior is None) == path.stem.startswith("twin")
    assert models.config.latent_mode == ("codebook" if "codebook" in path.stem else
                                         "none" if path.stem.startswith("twin") else "pointer")
    assert path.with_name(path.stem + "_config.yaml").is_file()


def test_the_seed_study_has_its_bundles():
    # seeds 0, 1 and 2 of DisCo and the twin, and the codebook variant (seed 0)
    assert sorted(p.stem for p in SEED_BUNDLES) == sorted(
        [f"{m}_pocket_s{seed}" for m in ("disco", "twin") for seed in (0, 1, 2)] + ["disco_codebook_pocket_s0"])


def test_update_metadata_adds_a_caveat_and_keeps_the_weights(tmp_path):
    from discodock.weights import update_metadata

    before = _bundle(tmp_path / "b.pt", {"prior_temperature": 0.5})
    update_metadata(tmp_path / "b.pt", caveat="docks poorly")
    after = load_models(tmp_path / "b.pt")
    assert after.metadata == {"prior_temperature": 0.5, "caveat": "docks poorly"}
    for (name, a), b in zip(before.score.state_dict().items(), after.score.state_dict().values()):
        assert torch.equal(a, b), name


def test_networks_hash_ignores_metadata_but_not_weights(tmp_path):
    """Resume checks compare networks_sha256: a new caveat keeps it, other weights change it."""
    from discodock.weights import file_sha256, networks_sha256, update_metadata

    _bundle(tmp_path / "a.pt")
    before, file_before = networks_sha256(tmp_path / "a.pt"), file_sha256(tmp_path / "a.pt")
    update_metadata(tmp_path / "a.pt", caveat="a new caveat")
    assert file_sha256(tmp_path / "a.pt") != file_before and networks_sha256(tmp_path / "a.pt") == before
    assert networks_sha256(tiny_bundle(tmp_path / "b.pt", seed=1)) != before


def test_found_pockets_default_to_three_without_a_pocket_unless_the_weights_are_blind(tmp_path):
    from discodock.weights import FOUND_POCKETS, found_pockets_for

    pocket, blind = tiny_bundle(tmp_path / "p.pt"), tiny_bundle(tmp_path / "b.pt", mode="blind")
    assert FOUND_POCKETS == 3
    assert found_pockets_for(None, "auto", pocket_given=False) == FOUND_POCKETS
    assert found_pockets_for(None, pocket, pocket_given=False) == FOUND_POCKETS
    assert found_pockets_for(None, blind, pocket_given=False) == 0  # a blind model searches the whole protein
    assert found_pockets_for(None, "auto", pocket_given=True) == 0
    assert found_pockets_for(0, "auto", pocket_given=False) == 0 and found_pockets_for(2, blind, False) == 2
