"""Which PoseBusters V2 complexes the fixes of 27 Nov 2026 change (so that only those are rerun).

1. torsions: the ligand has a non-ring double or triple bond with two heavy atoms or more on each side
   (DiffDock's rule turned it; `chem.torsions` now turns single bonds only);
2. mapping: Vina's rebuilt ligand (meeko) is mapped back to the input differently by the old rule (the first
   element+connectivity match) and the new one (`baselines.vina._match_onto`, which also keeps hydrogens and
   charges), i.e. poses coming back from Vina landed on other atoms;
3. altloc: the protein file has alternative locations (the receptor now keeps the first).

    python benchmarks/fix_affected.py --ids-out runs/fix_affected_ids.txt \
        --out benchmarks/results/posebusters_v2_fix_affected.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def turns_a_multiple_bond(ligand) -> bool:
    """Whether DiffDock's rule made a torsion of a double or triple bond of this ligand."""
    from rdkit import Chem

    for bond in ligand.GetBonds():
        if bond.IsInRing() or bond.GetBondType() == Chem.BondType.SINGLE:
            continue
        sides = Chem.GetMolFrags(Chem.FragmentOnBonds(ligand, [bond.GetIdx()], addDummies=False))
        if min(len(side) for side in sides) >= 2:
            return True
    return False


def vina_mapping_changed(ligand) -> bool:
    """Whether the old and the new mapping of Vina's rebuilt ligand put its coordinates on different atoms."""
    from meeko import PDBQTMolecule, RDKitMolCreate
    from rdkit import Chem

    from discodock.baselines.vina import _match_onto, ligand_pdbqt
    from discodock.chem.ligand import skeleton

    pdbqt = ligand_pdbqt(Chem.AddHs(ligand, addCoords=True))
    docked = RDKitMolCreate.from_pdbqt_mol(PDBQTMolecule(pdbqt, skip_typing=True))[0]
    docked = Chem.RemoveHs(docked, sanitize=False)
    old = list(skeleton(docked).GetSubstructMatch(skeleton(ligand)))
    new = list(_match_onto(docked, ligand))
    xyz = docked.GetConformer().GetPositions()
    return bool(np.abs(xyz[old] - xyz[new]).max() > 0.01)


def main(argv: list[str] | None = None) -> None:
    from rdkit import RDLogger

    from discodock.atomic import atomic_write_text
    from discodock.baselines.vina import _has_alternative_locations
    from discodock.chem.ligand import read_ligand
    from discodock.evaluation.datasets import default_data_root, load_set

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", default="posebusters_v2")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--ids-out", type=Path, required=True, help="the union, one id per line (for --ids)")
    parser.add_argument("--out", type=Path, required=True, help="JSON: the ids of each kind")
    args = parser.parse_args(argv)
    RDLogger.DisableLog("rdApp.*")
    found: dict[str, list[str]] = {"torsions": [], "mapping": [], "altloc": []}
    for paths in load_set(args.set, args.data or default_data_root()):
        ligand = read_ligand(paths.ligand, add_conformer_if_2d=False)
        for kind, hit in (("torsions", turns_a_multiple_bond(ligand)), ("mapping", vina_mapping_changed(ligand)),
                          ("altloc", _has_alternative_locations(paths.protein.read_bytes()))):
            if hit:
                found[kind].append(paths.id)
    union = sorted({i for ids in found.values() for i in ids})
    atomic_write_text(args.ids_out, "\n".join(union) + "\n")
    atomic_write_text(args.out, json.dumps({**found, "union": union}, indent=1) + "\n")
    print(", ".join(f"{kind} {len(ids)}" for kind, ids in found.items()) + f"; union {len(union)}")


if __name__ == "__main__":
    main()
