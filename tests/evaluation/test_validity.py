import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import rdMolTransforms

from discodock.errors import InputError
from discodock.evaluation.validity import posebusters_table, posebusters_valid


@pytest.mark.slow
def test_crystal_pose_is_valid_and_shifted_pose_is_not_close(posebusters_examples, tmp_path):
    folder = posebusters_examples / "1ia1"
    crystal = Chem.MolFromMolFile(str(folder / "1ia1_ligand.sdf"))
    shifted = Chem.Mol(crystal)
    shift = np.eye(4)
    shift[:3, 3] = [4.0, 0.0, 0.0]
    rdMolTransforms.TransformConformer(shifted.GetConformer(), shift)
    pred = tmp_path / "pred.sdf"
    with Chem.SDWriter(str(pred)) as writer:
        writer.write(crystal)
        writer.write(shifted)
    table = posebusters_table(pred, folder / "1ia1_ligand.sdf", folder / "1ia1_protein_one_lig_removed.pdb")
    assert len(table) == 2
    failed = [c for c in table.columns if table[c].dtype == bool and not table.loc[0, c]]
    assert bool(table.loc[0, "pb_valid"]) and bool(table.loc[0, "rmsd_le_2A"]), failed
    assert not bool(table.loc[1, "rmsd_le_2A"])


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        posebusters_valid(tmp_path / "no.sdf", tmp_path / "no.sdf", tmp_path / "no.pdb")


def test_a_check_that_could_not_run_is_not_a_pass():
    """PoseBusters leaves a check empty when it cannot compute it (no force-field parameters): that column is
    still a check, and the pose is not valid on its word."""
    import numpy as np
    import pandas as pd

    from discodock.evaluation.validity import _all_pass

    table = pd.DataFrame({"bond_lengths": [True, True, True], "energy_ratio": [True, np.nan, False]})
    assert table["energy_ratio"].dtype == object  # a bool-dtype filter would have dropped it
    assert _all_pass(table, ["bond_lengths", "energy_ratio"]).tolist() == [True, False, False]
    assert not _all_pass(pd.DataFrame({"energy_ratio": [np.nan]}), ["energy_ratio"]).item()  # one pose, not run
