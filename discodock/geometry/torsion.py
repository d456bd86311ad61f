"""Changing a ligand conformer: torsion updates on rotatable bonds and DiffDock's full pose update.

Convention (see `discodock.complex_graph`): torsion t with bond (u, v) rotates the atoms of its
moving set (v's side) by δ_t about the axis pos[u] -> pos[v], right-hand rule. With that, the
dihedral (a, u, v, b), b on the moving side, a on the other, grows by exactly δ_t.
Note: DiffDock rotates about pos[v] -> pos[u] instead, so its torsion scores have the other sign.
"""

from __future__ import annotations

import torch

from discodock.geometry.rigid import kabsch, rigid_transform
from discodock.graphs import ragged_arange
from discodock.geometry.so3 import axis_angle_to_matrix

Tensor = torch.Tensor


def _moving_sets(tor_move_index: Tensor, num_torsions: int) -> list[Tensor]:
    """Atom ids of each torsion's moving set, from the flat (torsion id, atom id) pairs."""
    order = torch.argsort(tor_move_index[0], stable=True)
    counts = torch.bincount(tor_move_index[0], minlength=num_torsions).tolist()
    return list(torch.split(tor_move_index[1, order], counts))


def apply_torsion_updates(pos: Tensor, tor_bonds: Tensor, tor_move_index: Tensor, delta: Tensor) -> Tensor:
    """Rotate each torsion's moving atoms by delta[:, t] about pos[u] -> pos[v], torsions in order.

    pos [S, N, 3], tor_bonds [T, 2] long, tor_move_index [2, M] long, delta [S, T] -> [S, N, 3].
    Each rotation uses the current positions (earlier torsions may have moved this bond).
    """
    num_torsions = tor_bonds.shape[0]
    if delta.shape[-1] != num_torsions:
        raise ValueError(f"delta has {delta.shape[-1]} torsions, tor_bonds has {num_torsions}")
    bonds = tor_bonds.tolist()  # one host sync, not one per torsion
    for t, atoms in enumerate(_moving_sets(tor_move_index, num_torsions)):
        if atoms.numel() == 0:
            continue
        u, v = bonds[t]
        origin = pos[:, v]  # [S, 3]
        axis = origin - pos[:, u]
        axis = axis / axis.norm(dim=-1, keepdim=True)
        R = axis_angle_to_matrix(axis * delta[:, t, None])  # [S, 3, 3]
        moved = rigid_transform(pos[:, atoms] - origin[:, None], R, origin)
        pos = pos.index_copy(1, atoms, moved)  # out of place: autograd-safe
    return pos


def modify_conformer(
    pos: Tensor,
    tr_update: Tensor,
    rot_update: Tensor,
    tor_update: Tensor | None,
    tor_bonds: Tensor,
    tor_move_index: Tensor,
) -> Tensor:
    """DiffDock's pose update: torsions, then rotation about the ligand centroid, then translation.

    pos [S, N, 3], tr_update [S, 3], rot_update [S, 3] (rotation vector), tor_update [S, T] or None.
    As in DiffDock, the torsion-changed conformer is Kabsch-aligned back onto the input, so the
    torsion update moves neither the centroid nor the overall orientation (DiffDock applies the
    rigid part first and aligns to it; both orders give the same pose because torsion updates
    and Kabsch commute with rigid motions).
    """
    if tor_update is not None and tor_update.shape[-1] > 0:
        flexible = apply_torsion_updates(pos, tor_bonds, tor_move_index, tor_update)
        R_align, t_align = kabsch(flexible, pos)
        pos = rigid_transform(flexible, R_align, t_align)
    center = pos.mean(dim=-2, keepdim=True)  # [S, 1, 3]
    R = axis_angle_to_matrix(rot_update)
    return rigid_transform(pos - center, R, tr_update) + center


def _neighbours_per_bond(bond_index: Tensor, centre: Tensor, other: Tensor) -> tuple[Tensor, Tensor]:
    """For bond t = (centre[t], other[t]): every (t, n) with n bonded to centre[t] and n != other[t], t ascending."""
    src, dst = bond_index
    order = torch.argsort(src, stable=True)
    dst = dst[order]
    degree = torch.bincount(src, minlength=int(centre.max()) + 1)  # callers pass at least one bond
    first = torch.cumsum(degree, 0) - degree
    bond, within = ragged_arange(degree[centre])
    neighbour = dst[first[centre][bond] + within]
    keep = neighbour != other[bond]
    return bond[keep], neighbour[keep]


def torsion_quads(bond_index: Tensor, tor_bonds: Tensor) -> tuple[Tensor, Tensor]:
    """Every dihedral quadruple (a, u, v, b) about each rotatable bond (u, v): a bonded to u, b to v.

    bond_index [2, 2B] (both directions), tor_bonds [T, 2] -> quads [Q, 4] long and their bond ids [Q]
    (ascending). A bond with a terminal end (no a or no b) has no quadruple.
    """
    if tor_bonds.shape[0] == 0:
        empty = tor_bonds.new_zeros(0)
        return tor_bonds.new_zeros(0, 4), empty
    u, v = tor_bonds.T
    bond_a, a = _neighbours_per_bond(bond_index, u, v)
    bond_b, b = _neighbours_per_bond(bond_index, v, u)
    num_b = torch.bincount(bond_b, minlength=tor_bonds.shape[0])
    first_b = torch.cumsum(num_b, 0) - num_b
    a_id, within = ragged_arange(num_b[bond_a])  # each a pairs with every b of its bond
    bond = bond_a[a_id]
    b_sel = b[first_b[bond] + within]
    return torch.stack([a[a_id], u[bond], v[bond], b_sel], dim=1), bond


def dihedral_angles(pos: Tensor, quads: Tensor) -> Tensor:
    """IUPAC dihedral of each atom quadruple (a, b, c, d), in (-π, π]: pos [S, N, 3], quads [T, 4] -> [S, T]."""
    p = pos[:, quads]  # [S, T, 4, 3]
    b1, b2, b3 = p[..., 1, :] - p[..., 0, :], p[..., 2, :] - p[..., 1, :], p[..., 3, :] - p[..., 2, :]
    n1, n2 = torch.linalg.cross(b1, b2), torch.linalg.cross(b2, b3)
    y = b2.norm(dim=-1) * (b1 * n2).sum(-1)
    x = (n1 * n2).sum(-1)
    return torch.atan2(y, x)
