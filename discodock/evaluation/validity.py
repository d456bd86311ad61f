"""PoseBusters physical-validity checks on predicted poses (thin wrapper over the `posebusters` package).

`pb_valid` is True when every PoseBusters 'redock' check passes except the RMSD one, which is kept
apart as `rmsd_le_2A`: the PoseBusters paper's headline metric, "RMSD ≤ 2 Å and PB-valid", is then
`rmsd_le_2A and pb_valid`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem

from discodock.errors import InputError

RMSD_CHECK = "rmsd_≤_2å"  # the column name posebusters 0.6 gives its RMSD criterion

MolInput = str | Path | Chem.Mol


def _as_input(value: MolInput) -> str | Chem.Mol:
    if isinstance(value, Chem.Mol):
        return value
    if not Path(value).is_file():
        raise InputError(value, "file not found")
    return str(value)


def posebusters_table(pred_sdf: MolInput, true_sdf: MolInput, protein_pdb: MolInput) -> pd.DataFrame:
    """One row per predicted pose: every 'redock' check, `rmsd_le_2A` and `pb_valid`."""
    from posebusters import PoseBusters  # imported late: it loads several seconds of modules

    table = PoseBusters("redock").bust(_as_input(pred_sdf), _as_input(true_sdf), _as_input(protein_pdb))
    table = table.reset_index(drop=True).rename(columns={RMSD_CHECK: "rmsd_le_2A"})
    # every column of PoseBusters' (short) report is a check
    table["pb_valid"] = _all_pass(table, [c for c in table.columns if c != "rmsd_le_2A"])
    return table


def _all_pass(table: pd.DataFrame, checks: list[str]) -> pd.Series:
    """Every check passed. One that PoseBusters could not run (left empty, e.g. no force-field parameters,
    which also turns the column's dtype from bool to object) is not a pass."""
    return table[checks].apply(lambda column: column.map(lambda v: v is True or v is np.True_)).all(axis=1)


def posebusters_valid(pred_sdf: MolInput, true_sdf: MolInput, protein_pdb: MolInput) -> dict:
    """Checks of the first (or only) predicted pose as {check name: bool}, with 'pb_valid' and 'rmsd_le_2A'."""
    table = posebusters_table(pred_sdf, true_sdf, protein_pdb)
    if table.empty:
        raise InputError(pred_sdf, "PoseBusters found no predicted pose")
    return {k: v.item() if hasattr(v, "item") else v for k, v in table.iloc[0].to_dict().items()}  # numpy → Python


def posebusters_dock_checks(pred_sdf: MolInput, protein_pdb: MolInput) -> pd.DataFrame:
    """PoseBusters 'dock' checks (no reference pose needed) for every pose in `pred_sdf`, with `pb_valid`."""
    from posebusters import PoseBusters

    table = PoseBusters("dock").bust(_as_input(pred_sdf), None, _as_input(protein_pdb)).reset_index(drop=True)
    checks = list(table.columns)  # every column of the short report is a check
    table["pb_valid"] = _all_pass(table, checks)
    return table
