from pathlib import Path

import pytest

from discodock.errors import InputError
from discodock.evaluation.datasets import NAMED_SETS, ComplexPaths, list_complexes, load_set, read_ids


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x\n")


def test_shared_layout(tmp_path):
    for cid in ["b1", "a1"]:
        _touch(tmp_path / cid / "protein.pdb")
        _touch(tmp_path / cid / "ligand.sdf")
    complexes = list_complexes(tmp_path)
    assert [c.id for c in complexes] == ["a1", "b1"]
    assert complexes[0] == ComplexPaths("a1", tmp_path / "a1" / "protein.pdb", tmp_path / "a1" / "ligand.sdf")


def test_pdbbind_layout_prefers_sdf_and_falls_back_to_mol2(tmp_path):
    from rdkit import Chem
    from rdkit.Chem import AllChem

    ethanol = Chem.AddHs(Chem.MolFromSmiles("CCO"))
    AllChem.EmbedMolecule(ethanol, randomSeed=0)
    for cid in ("1abc", "2xyz", "3bad"):
        _touch(tmp_path / cid / f"{cid}_protein_processed.pdb")
    (tmp_path / "1abc" / "1abc_ligand.sdf").write_text(Chem.MolToMolBlock(ethanol) + "$$$$\n")
    _touch(tmp_path / "1abc" / "1abc_ligand.mol2")
    _touch(tmp_path / "2xyz" / "2xyz_ligand.mol2")
    _touch(tmp_path / "3bad" / "3bad_ligand.sdf")  # RDKit cannot read it: the MOL2 beside it is used
    _touch(tmp_path / "3bad" / "3bad_ligand.mol2")
    by_id = {c.id: c for c in list_complexes(tmp_path, layout="pdbbind")}
    assert by_id["1abc"].ligand.name == "1abc_ligand.sdf"
    assert by_id["2xyz"].ligand.name == "2xyz_ligand.mol2"
    assert by_id["3bad"].ligand.name == "3bad_ligand.mol2"
    assert by_id["2xyz"].protein.name == "2xyz_protein_processed.pdb"


def test_id_file_selects_and_orders(tmp_path):
    for cid in ["a", "b", "c"]:
        _touch(tmp_path / "data" / cid / "protein.pdb")
        _touch(tmp_path / "data" / cid / "ligand.sdf")
    id_file = tmp_path / "ids.txt"
    id_file.write_text("c\n\n# comment\na\n")
    assert read_ids(id_file) == ["c", "a"]
    assert [c.id for c in list_complexes(tmp_path / "data", ids=id_file)] == ["c", "a"]
    assert [c.id for c in list_complexes(tmp_path / "data", ids=["b"])] == ["b"]


def test_missing_files_are_named(tmp_path):
    _touch(tmp_path / "a" / "protein.pdb")
    with pytest.raises(InputError, match="a/ligand.sdf"):
        list_complexes(tmp_path)
    with pytest.raises(InputError, match="layout"):
        list_complexes(tmp_path, layout="mmcif")
    with pytest.raises(InputError, match="not found"):
        list_complexes(tmp_path / "nowhere")


def test_unknown_set_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="unknown set"):
        load_set("casf", tmp_path)


def test_named_sets_on_shared_data(shared_data):
    sizes = {name: len(load_set(name, shared_data)) for name in NAMED_SETS}
    assert sizes["posebusters_v2"] == 308 and sizes["posebusters_428"] == 428
    assert sizes["posebusters_v1_only"] == 120
    v2 = {c.id for c in load_set("posebusters_v2", shared_data)}
    assert v2.isdisjoint(c.id for c in load_set("posebusters_v1_only", shared_data))
