"""Pure-torch geometry for docking: SO(3) (IGSO(3)), the torus (wrapped normal), rigid motions, torsions.

All functions work on a leading sample dimension S: positions [S, N, 3], rotation vectors [S, 3],
torsion changes [S, T]. Nothing is precomputed at import or written to disk.
"""

from discodock.geometry import so3, torus
from discodock.geometry.rigid import kabsch, rigid_transform
from discodock.geometry.so3 import axis_angle_to_matrix, matrix_to_axis_angle
from discodock.geometry.torsion import apply_torsion_updates, dihedral_angles, modify_conformer

__all__ = [
    "so3",
    "torus",
    "kabsch",
    "rigid_transform",
    "axis_angle_to_matrix",
    "matrix_to_axis_angle",
    "apply_torsion_updates",
    "dihedral_angles",
    "modify_conformer",
]
