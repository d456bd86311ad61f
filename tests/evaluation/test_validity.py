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
