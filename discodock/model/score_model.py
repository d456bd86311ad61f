"""The DiffDock-style score model over ligand atoms and receptor residues, with DisCo pointer or codebook latents.

Graph (DiffDock, Corso et al. 2023): ligand heavy atoms (bond edges + radius edges), receptor
residues at Cα (kNN within a radius), ligand–receptor cross edges within 20 Å + 3·σ_tr (capped to the
nearest residues per atom). Each layer runs four tensor-product convolutions (lig→lig, rec→rec,
rec→lig, lig→rec) with residual updates; the rec→rec part is ligand-independent and computed once
per complex (see `ComplexTrunk`), which is what makes 40 samples × 20 steps affordable on a CPU.
Heads: translation (1o) and rotation (1e) from a convolution of every ligand atom onto the ligand
centroid; one torsion score (0o/0e mix) per rotatable bond from a bond-centred convolution, plus
(`dihedral_harmonics` > 0) a Fourier series in the bond's dihedral angles.

DisCo latents (Xu et al. 2024, docking): m pointer latents, each a one-hot column over the nodes of
a complex. Node i carries z_i ∈ {0,1}^m (1 in column c when latent c points at i); z_i is an
extra input of the node embedding and of every edge MLP (source and destination columns). The null
latent (no latent, or dropped with p = cfg.latent_dropout per complex in training) replaces z_i of
every node of that complex by one learned vector ν ∈ R^m (`ComplexTrunk.null_latent`, initialised
to 0), so the network can tell "no latent" from any real pointer (which has exactly one 1 per column).
A residue chosen by a (non-null) latent is also joined by cross edges to every ligand atom of its
complex, whatever the distance, so the pointer stays visible when the noisy ligand is far away.

Codebook latents (`latent_mode: codebook`, the core DisCo-Diff variant): m latents of k codes each,
one per complex rather than per node. The one-hot codes [G, m, k] are flattened to m·k indicator
columns and given to every node of the complex (`LatentNodes.from_codes`), so they enter exactly where
pointer columns do and the null latent ν works unchanged; there are no pointer edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from e3nn import o3
from torch import nn

from discodock.complex_graph import ComplexBatch
from discodock.geometry import so3, torus
from discodock.geometry.torsion import dihedral_angles, torsion_quads
from discodock.graphs import knn_graph, radius, radius_graph, ragged_arange, scatter
from discodock.model.config import ModelConfig, cross_cutoff, sigmas
from discodock.model.layers import GaussianSmearing, NodeEmbedding, TensorProductConv, mlp, pad_to, sinusoidal_embedding

Tensor = torch.Tensor

NUM_BOND_CLASSES = 5  # 0 no bond (radius edge), 1 single, 2 double, 3 triple, 4 aromatic
_MAX_NEIGHBORS = 100_000  # "no cap" for radius queries; caps are applied by distance rank instead


@dataclass
class LatentNodes:
    """Latents as node indicator columns, the trunk's latent input: lig [N_total, c], rec [R_total, c].

    Pointer latents (c = m): for each complex and column, exactly one 1 over its ligand atoms and
    residues (hard), or columns summing to 1 over a complex's nodes (soft, encoder probabilities).
    Codebook latents (c = m·k): every node of a complex carries the same flattened codes [m, k]
    (`from_codes`), one-hot (hard) or probabilities (soft).
    """

    lig: Tensor
    rec: Tensor

    @property
    def num_latents(self) -> int:
        return int(self.lig.shape[1])

    def nodes(self) -> Tensor:
        """[N_total + R_total, m]: ligand rows first, then residue rows (the order of `node_segments`)."""
        return torch.cat([self.lig, self.rec], dim=0)

    @staticmethod
    def from_nodes(values: Tensor, num_lig: int) -> "LatentNodes":
        """Inverse of `nodes()`."""
        return LatentNodes(lig=values[:num_lig], rec=values[num_lig:])

    def to(self, device: torch.device | str) -> "LatentNodes":
        return LatentNodes(self.lig.to(device), self.rec.to(device))

    @staticmethod
    def from_codes(codes: Tensor, batch: ComplexBatch) -> "LatentNodes":
        """Codebook latents [G, m, k] of each complex, flattened and copied to all of its nodes
        (indexing keeps the straight-through gradient)."""
        flat = codes.flatten(1)
        return LatentNodes(lig=flat[batch.lig_batch], rec=flat[batch.rec_batch])

    def codes(self, batch: ComplexBatch, codebook_size: int) -> Tensor:
        """Inverse of `from_codes`: [G, m, k], read from each complex's ligand atoms (all carry the same row)."""
        flat = scatter(self.lig, batch.lig_batch, dim=0, dim_size=batch.num_graphs, reduce="mean")
        return flat.view(batch.num_graphs, -1, codebook_size)


def node_segments(batch: ComplexBatch) -> Tensor:
    """Complex id of every node of the concatenated node set [ligand atoms; residues]."""
    return torch.cat([batch.lig_batch, batch.rec_batch])


def latent_drop_mask(
    num_graphs: int, p: float, device: torch.device, generator: torch.Generator | None = None
) -> Tensor:
    """Bool [G]: which complexes get the null latent (latent dropout, one draw per complex)."""
    return torch.rand(num_graphs, device=device, generator=generator) < p


# ---------------------------------------------------------------- graph building


def ligand_edges(batch: ComplexBatch, radius_cutoff: float) -> tuple[Tensor, Tensor]:
    """Bond edges plus radius edges (both directions, no duplicates): (edge_index [2, E], bond class [E])."""
    bonds = batch.lig_bond_index
    near = radius_graph(batch.lig_pos, radius_cutoff, batch.lig_batch, max_num_neighbors=_MAX_NEIGHBORS)
    n = batch.lig_pos.shape[0]
    new = ~torch.isin(near[0] * n + near[1], bonds[0] * n + bonds[1])
    near = near[:, new]
    edge_index = torch.cat([bonds, near], dim=1)
    bond_class = torch.cat([batch.lig_bond_type + 1, torch.zeros(near.shape[1], dtype=torch.long, device=near.device)])
    return edge_index, bond_class


def receptor_edges(batch: ComplexBatch, k: int, radius_cutoff: float) -> Tensor:
    """k nearest residues (Cα) within radius_cutoff: edge_index [2, E] (source, destination)."""
    edge_index = knn_graph(batch.rec_pos, k, batch.rec_batch)
    dist = (batch.rec_pos[edge_index[0]] - batch.rec_pos[edge_index[1]]).norm(dim=-1)
    return edge_index[:, dist <= radius_cutoff]


def cross_edges(batch: ComplexBatch, cutoff: Tensor, max_neighbors: int | None) -> Tensor:
    """Ligand atom–residue pairs within the complex's cutoff [G]: [2, E] = (ligand atom, residue).

    With max_neighbors, each ligand atom keeps only its nearest residues (a CPU-cost cap).
    """
    # radius keeps the nearest ones first, so capping before the per-complex cutoff is exact
    cap = _MAX_NEIGHBORS if max_neighbors is None else max_neighbors
    r_max = float(cutoff.max())
    pairs = radius(batch.rec_pos, batch.lig_pos, r_max, batch.rec_batch, batch.lig_batch, max_num_neighbors=cap)
    # row 0: ligand atom (y), row 1: residue (x)
    dist = (batch.lig_pos[pairs[0]] - batch.rec_pos[pairs[1]]).norm(dim=-1)
    return pairs[:, dist < cutoff[batch.lig_batch[pairs[0]]]]


def pointer_edges(batch: ComplexBatch, rec_latent: Tensor, active: Tensor) -> Tensor:
    """Every ligand atom paired with each residue a pointer latent chooses, whatever the distance:
    [2, E] = (ligand atom, residue). rec_latent [R_total, m] one-hot columns; active [G] bool (not null)."""
    res, _ = (rec_latent > 0.5).nonzero(as_tuple=True)
    graph = batch.rec_batch[res]
    res, graph = res[active[graph]], graph[active[graph]]
    counts = torch.bincount(batch.lig_batch, minlength=batch.num_graphs)
    first_atom = counts.cumsum(0) - counts
    pick, within = ragged_arange(counts[graph])  # every atom of the chosen residue's complex
    return torch.stack([first_atom[graph[pick]] + within, res[pick]])


def union_edges(a: Tensor, b: Tensor, num_cols: int) -> Tensor:
    """Set union of two [2, E] edge lists (no duplicates), ordered by (row 0, row 1)."""
    keys = torch.unique(torch.cat([a[0] * num_cols + a[1], b[0] * num_cols + b[1]]))
    return torch.stack([keys // num_cols, keys % num_cols])


def ligand_centroids(batch: ComplexBatch) -> Tensor:
    """[G, 3] mean ligand position of each complex."""
    return scatter(batch.lig_pos, batch.lig_batch, dim=0, dim_size=batch.num_graphs, reduce="mean")


# ---------------------------------------------------------------- trunk


def irreps_sequence(ns: int, nv: int) -> list[str]:
    """DiffDock's feature irreps per depth (l_max 1): scalars, + vectors, + pseudovectors, + pseudoscalars."""
    return [
        f"{ns}x0e",
        f"{ns}x0e + {nv}x1o",
        f"{ns}x0e + {nv}x1o + {nv}x1e",
        f"{ns}x0e + {nv}x1o + {nv}x1e + {ns}x0o",
    ]


@dataclass
class ReceptorFeatures:
    """Ligand-independent residue features, the input of each layer: layers[l] [R_total, dim_l].

    They depend only on the receptor, so one computation serves every pose and every diffusion step
    of a complex. For a batch of `copies` repeats of the same complexes (collate(graphs * copies)),
    compute them on collate(graphs) and call `repeat(copies)`.
    """

    layers: list[Tensor]

    def repeat(self, copies: int) -> "ReceptorFeatures":
        return ReceptorFeatures([h.repeat(copies, 1) for h in self.layers])


@dataclass
class TrunkOutput:
    lig: Tensor  # [N_total, dim(lig_irreps)]
    rec: Tensor  # [R_total, dim(rec_irreps)]
    z_lig: Tensor  # [N_total, m] latent columns actually used (m may be 0)
    z_rec: Tensor
    time_emb: Tensor  # [G, time_embed_dim] (no columns without time input)


class ComplexTrunk(nn.Module):
    """Embeddings and conv layers shared by the score model, encoder, prior and confidence model.

    Each layer l has DiffDock's four convolutions. To make CPU sampling affordable the residue
    features are factorised as h_rec^l = r^l + δ^l:
      r^{l+1} = r^l + Conv_rec→rec(r^l)            ligand-independent (`ReceptorFeatures`, computed once)
      δ^0     = W [t-embedding, z_rec]              per pose, a dense linear term
      δ^{l+1} = δ^l + Conv_lig→rec(h_lig^l)         only on residues joined to the ligand by cross edges
      h_lig^{l+1} = h_lig^l + Conv_lig→lig(h_lig^l) + Conv_rec→lig(h_rec^l)
    so per-pose work scales with the ligand's edges, not with the protein; the one approximation
    to DiffDock is that ligand information is not passed on from residue to residue.
    Cross edges: each ligand atom to its `cross_max_neighbors` nearest residues within the cutoff,
    plus (pointer latents) to every residue a latent points at, so the chosen node is seen at any noise.

    use_time: inputs include a sinusoidal embedding of t. latent_dim: number of latent columns
    (`cfg.latent_dim`: m pointers or m·k codes; 0: none); pointer edges only with cfg.latent_mode 'pointer'.
    update_rec_last: also update residues in the last layer (the score model skips it,
    as DiffDock: only ligand features feed its heads).
    """

    def __init__(
        self,
        cfg: ModelConfig,
        ns: int,
        nv: int,
        num_layers: int,
        use_time: bool,
        latent_dim: int,
        update_rec_last: bool,
    ):
        super().__init__()
        self.cfg, self.ns, self.nv, self.num_layers = cfg, ns, nv, num_layers
        self.time_dim = cfg.time_embed_dim if use_time else 0
        self.latent_dim = latent_dim
        self.pointer_edges = latent_dim > 0 and cfg.latent_mode == "pointer"  # codebook columns name no residue
        self.num_rec_layers = num_layers if update_rec_last else num_layers - 1
        self.sh_irreps = o3.Irreps.spherical_harmonics(cfg.sh_lmax)
        d, extra = cfg.distance_embed_dim, self.time_dim + latent_dim
        self.null_latent = nn.Parameter(torch.zeros(latent_dim))  # ν: the null latent's indicator columns

        self.lig_embed = NodeEmbedding(cfg.ligand_feature_dims, extra, ns)
        self.rec_embed = NodeEmbedding((cfg.num_residue_types,), 0, ns)
        self.rec_pose_embed = nn.Linear(extra, ns) if extra > 0 else None  # δ^0
        self.lig_dist = GaussianSmearing(0.0, cfg.lig_radius, d)
        self.rec_dist = GaussianSmearing(0.0, cfg.rec_radius, d)
        self.cross_dist = GaussianSmearing(0.0, cfg.cross_cutoff_max, d)
        self.lig_edge_embed = mlp(d + NUM_BOND_CLASSES + self.time_dim, ns, ns, cfg.dropout)
        self.rec_edge_embed = mlp(d, ns, ns, cfg.dropout)
        self.cross_edge_embed = mlp(d + self.time_dim, ns, ns, cfg.dropout)

        seq = irreps_sequence(ns, nv)
        conv = dict(sh_irreps=self.sh_irreps, hidden=cfg.edge_hidden, batch_norm=cfg.batch_norm, dropout=cfg.dropout)
        pose_edge_dim = 3 * ns + 2 * latent_dim  # [edge embedding, source scalars, destination scalars, z_src, z_dst]
        self.rec_irreps = [o3.Irreps(f"{ns}x0e + 1x1o")]  # residues start with the side-chain vector (1o)
        lig_in = seq[0]
        self.lig_convs, self.rec_convs, self.rec_to_lig, self.lig_to_rec = (nn.ModuleList() for _ in range(4))
        for layer in range(num_layers):
            out = seq[min(layer + 1, len(seq) - 1)]
            rec_in = self.rec_irreps[layer]
            self.lig_convs.append(TensorProductConv(lig_in, out_irreps=out, edge_dim=pose_edge_dim, **conv))
            self.rec_to_lig.append(TensorProductConv(rec_in, out_irreps=out, edge_dim=pose_edge_dim, **conv))
            if layer < self.num_rec_layers:
                self.rec_convs.append(TensorProductConv(rec_in, out_irreps=out, edge_dim=3 * ns, **conv))
                self.lig_to_rec.append(TensorProductConv(lig_in, out_irreps=out, edge_dim=pose_edge_dim, **conv))
                self.rec_irreps.append(o3.Irreps(out))
            lig_in = out
        self.lig_irreps = o3.Irreps(lig_in)

    def receptor_features(self, batch: ComplexBatch) -> ReceptorFeatures:
        """r^0 .. r^L: residue-type embedding and side-chain vector, then rec→rec convolutions."""
        ns = self.ns
        h = torch.cat([self.rec_embed(batch.rec_type.unsqueeze(1)), batch.rec_side.to(batch.rec_pos.dtype)], -1)
        edge_index = receptor_edges(batch, self.cfg.rec_knn, self.cfg.rec_radius)
        src, dst = edge_index
        vec = batch.rec_pos[src] - batch.rec_pos[dst]
        edge_emb = self.rec_edge_embed(self.rec_dist(vec.norm(dim=-1)))
        sh = o3.spherical_harmonics(self.sh_irreps, vec, normalize=True, normalization="component")
        layers = [h]
        for conv in self.rec_convs:
            update = conv(h, edge_index, torch.cat([edge_emb, h[src, :ns], h[dst, :ns]], -1), sh, h.shape[0])
            h = pad_to(h, update.shape[-1]) + update
            layers.append(h)
        return ReceptorFeatures(layers)

    def latent_columns(
        self, batch: ComplexBatch, latent: LatentNodes | None, drop: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        """z for every node: the latent indicators, or ν for complexes with the null latent (drop [G] bool)."""
        n, r, m = batch.lig_pos.shape[0], batch.rec_pos.shape[0], self.latent_dim
        null_lig = self.null_latent.to(batch.lig_pos.dtype).expand(n, m)
        null_rec = self.null_latent.to(batch.lig_pos.dtype).expand(r, m)
        if latent is None or m == 0:
            return null_lig, null_rec
        if latent.lig.shape != (n, m) or latent.rec.shape != (r, m):
            got = f"{tuple(latent.lig.shape)}, {tuple(latent.rec.shape)}"
            raise ValueError(f"latent must be lig [{n}, {m}] and rec [{r}, {m}]; got {got}")
        z_lig, z_rec = latent.lig.to(batch.lig_pos.dtype), latent.rec.to(batch.lig_pos.dtype)
        if drop is None:
            return z_lig, z_rec
        return (
            torch.where(drop[batch.lig_batch].unsqueeze(1), null_lig, z_lig),
            torch.where(drop[batch.rec_batch].unsqueeze(1), null_rec, z_rec),
        )

    def pose_cross_edges(
        self, batch: ComplexBatch, cross_cut: Tensor, latent: LatentNodes | None, drop: Tensor | None
    ) -> Tensor:
        """Nearest-residue cross edges, plus the pointer edges of complexes whose latent is not null."""
        cross = cross_edges(batch, cross_cut, self.cfg.cross_max_neighbors)
        if latent is None or not self.pointer_edges:
            return cross
        active = torch.ones(batch.num_graphs, dtype=torch.bool, device=cross.device) if drop is None else ~drop
        return union_edges(cross, pointer_edges(batch, latent.rec.detach(), active), batch.rec_pos.shape[0])

    def forward(
        self,
        batch: ComplexBatch,
        t: Tensor | None,
        cross_cut: Tensor,
        latent: LatentNodes | None = None,
        drop: Tensor | None = None,
        receptor: ReceptorFeatures | None = None,
    ) -> TrunkOutput:
        """t [G] (None without time input); cross_cut [G] Å; latent None = null; drop [G] bool forces null;
        receptor: precomputed `receptor_features(batch)` (computed here when None)."""
        cfg, ns, dtype = self.cfg, self.ns, batch.lig_pos.dtype
        receptor = self.receptor_features(batch) if receptor is None else receptor
        temb = sinusoidal_embedding(t, self.time_dim) if self.time_dim else batch.lig_pos.new_zeros(batch.num_graphs, 0)
        z_lig, z_rec = self.latent_columns(batch, latent, drop)
        lig_pos, rec_pos = batch.lig_pos, batch.rec_pos
        n = lig_pos.shape[0]

        h_lig = self.lig_embed(batch.lig_atom_feat, torch.cat([temb[batch.lig_batch], z_lig], -1))
        if self.rec_pose_embed is not None:
            delta = self.rec_pose_embed(torch.cat([temb[batch.rec_batch], z_rec], -1))
        else:
            delta = rec_pos.new_zeros(rec_pos.shape[0], ns)

        lig_ei, bond_class = ligand_edges(batch, cfg.lig_radius)
        ls, ld = lig_ei
        lig_vec = lig_pos[ls] - lig_pos[ld]
        bond_onehot = nn.functional.one_hot(bond_class, NUM_BOND_CLASSES).to(dtype)
        lig_dist = self.lig_dist(lig_vec.norm(dim=-1))
        lig_e = self.lig_edge_embed(torch.cat([lig_dist, bond_onehot, temb[batch.lig_batch[ld]]], -1))
        lig_sh = o3.spherical_harmonics(self.sh_irreps, lig_vec, normalize=True, normalization="component")

        ca, cr = self.pose_cross_edges(batch, cross_cut, latent, drop)  # (ligand atom, residue)
        touched, cr_local = torch.unique(cr, return_inverse=True)  # residues that receive ligand messages
        cross_vec = rec_pos[cr] - lig_pos[ca]  # residue relative to atom: direction of rec -> lig messages
        cross_dist = self.cross_dist(cross_vec.norm(dim=-1))
        cross_e = self.cross_edge_embed(torch.cat([cross_dist, temb[batch.lig_batch[ca]]], -1))
        sh_to_lig = o3.spherical_harmonics(self.sh_irreps, cross_vec, normalize=True, normalization="component")
        sh_to_rec = o3.spherical_harmonics(self.sh_irreps, -cross_vec, normalize=True, normalization="component")

        for layer in range(self.num_layers):
            r = receptor.layers[layer]
            h_rec = r + pad_to(delta, r.shape[-1])
            lig_attr = torch.cat([lig_e, h_lig[ls, :ns], h_lig[ld, :ns], z_lig[ls], z_lig[ld]], -1)
            update = self.lig_convs[layer](h_lig, lig_ei, lig_attr, lig_sh, n)
            rl_attr = torch.cat([cross_e, h_rec[cr, :ns], h_lig[ca, :ns], z_rec[cr], z_lig[ca]], -1)
            update = update + self.rec_to_lig[layer](h_rec, torch.stack([cr, ca]), rl_attr, sh_to_lig, n)
            if layer < self.num_rec_layers:
                lr_attr = torch.cat([cross_e, h_lig[ca, :ns], h_rec[cr, :ns], z_lig[ca], z_rec[cr]], -1)
                to_touched = torch.stack([ca, cr_local])
                rec_update = self.lig_to_rec[layer](h_lig, to_touched, lr_attr, sh_to_rec, touched.shape[0])
                delta = pad_to(delta, rec_update.shape[-1]).index_add(0, touched, rec_update)
            h_lig = pad_to(h_lig, update.shape[-1]) + update
        r = receptor.layers[self.num_rec_layers]
        return TrunkOutput(lig=h_lig, rec=r + pad_to(delta, r.shape[-1]), z_lig=z_lig, z_rec=z_rec, time_emb=temb)


# ---------------------------------------------------------------- score model


class ScoreModel(nn.Module):
    """s_θ(x_t, t, z): translation [G, 3], rotation [G, 3] and torsion [T_total] scores."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        ns, m = cfg.ns, cfg.latent_dim
        self.trunk = ComplexTrunk(cfg, ns, cfg.nv, cfg.num_layers, use_time=True, latent_dim=m, update_rec_last=False)
        feat, sh, d, tdim = self.trunk.lig_irreps, self.trunk.sh_irreps, cfg.distance_embed_dim, cfg.time_embed_dim
        # translation (1o) and rotation (1e) from every ligand atom to its centroid
        self.center_dist = GaussianSmearing(0.0, cfg.center_radius, d)
        self.center_edge_embed = mlp(d + tdim, ns, ns, cfg.dropout)
        head = dict(hidden=cfg.edge_hidden, batch_norm=False)
        self.center_conv = TensorProductConv(feat, sh, "1x1o + 1x1e", edge_dim=2 * ns + m, **head)
        self.tr_magnitude = mlp(1 + tdim, ns, 1, cfg.dropout)
        self.rot_magnitude = mlp(1 + tdim, ns, 1, cfg.dropout)
        # torsions: atoms within lig_radius of the bond centre -> bond; bond axis enters as a 2e harmonic
        # (sign-free: the dihedral is the same read from either end of the bond)
        self.bond_dist = GaussianSmearing(0.0, cfg.lig_radius, d)
        self.bond_edge_embed = mlp(d, ns, ns, cfg.dropout)
        self.bond_axis_tp = o3.FullTensorProduct(sh, "2e")
        self.tor_conv = TensorProductConv(
            feat, self.bond_axis_tp.irreps_out, f"{ns}x0o + {ns}x0e", edge_dim=3 * ns + m, **head
        )
        self.tor_final = nn.Sequential(
            nn.Linear(2 * ns, ns, bias=False), nn.Tanh(), nn.Dropout(cfg.dropout), nn.Linear(ns, 1, bias=False)
        )
        # and, optionally, the dihedrals themselves (a sum of single-atom messages sees them only indirectly)
        k = cfg.dihedral_harmonics
        self.dihedral_coefficients = None
        if k > 0:
            # an add-on: built outside the global RNG stream and starting at zero, so a model with it begins
            # exactly as one without it (same init, same data order), which makes the two comparable
            with torch.random.fork_rng(devices=[]):
                self.dihedral_coefficients = mlp(2 * ns + k, ns, k, cfg.dropout)
            nn.init.zeros_(self.dihedral_coefficients[-1].weight)
            nn.init.zeros_(self.dihedral_coefficients[-1].bias)

    @property
    def num_latents(self) -> int:
        """Latent columns per node (`cfg.latent_dim`): m pointers, m·k codes, 0 for the twin."""
        return self.trunk.latent_dim

    def receptor_features(self, batch: ComplexBatch) -> ReceptorFeatures:
        """The ligand-independent residue features: compute once per complex and pass to every step."""
        return self.trunk.receptor_features(batch)

    def forward(
        self,
        batch: ComplexBatch,
        t: Tensor,
        latent: LatentNodes | None = None,
        drop: Tensor | None = None,
        receptor: ReceptorFeatures | None = None,
    ) -> dict[str, Tensor]:
        """t [G] ∈ [0, 1]; latent None = null latent; receptor from `receptor_features` (else computed).
        In training mode latents are dropped per complex with p = cfg.latent_dropout unless `drop` [G] bool is given."""
        if latent is not None and self.num_latents == 0:
            raise ValueError("this score model has latent_mode 'none' and takes no latent")
        if drop is None and latent is not None and self.training and self.cfg.latent_dropout > 0:
            drop = latent_drop_mask(batch.num_graphs, self.cfg.latent_dropout, batch.lig_pos.device)
        t = t.to(batch.lig_pos.dtype)
        sig = sigmas(t, self.cfg)
        h = self.trunk(batch, t, cross_cutoff(sig.tr, self.cfg), latent, drop, receptor)
        tr, rot = self._rigid_scores(batch, h)
        # magnitudes: tr / σ_tr, rot · E|∇ log IGSO3| (DiffDock's scale_by_sigma)
        tr_score = tr / sig.tr.unsqueeze(1)
        rot_score = rot * so3.score_norm(sig.rot).to(rot).unsqueeze(1)
        tor_score = self._torsion_scores(batch, h)
        tor_score = tor_score * torus.score_norm(sig.tor[batch.tor_batch]).to(tor_score).sqrt()
        return {"tr_score": tr_score, "rot_score": rot_score, "tor_score": tor_score}

    def _rigid_scores(self, batch: ComplexBatch, h: TrunkOutput) -> tuple[Tensor, Tensor]:
        ns, g = self.cfg.ns, batch.num_graphs
        atoms = torch.arange(batch.lig_pos.shape[0], device=batch.lig_pos.device)
        vec = batch.lig_pos - ligand_centroids(batch)[batch.lig_batch]
        dist = self.center_dist(vec.norm(dim=-1))
        edge_attr = self.center_edge_embed(torch.cat([dist, h.time_emb[batch.lig_batch]], -1))
        edge_attr = torch.cat([edge_attr, h.lig[:, :ns], h.z_lig], -1)
        sh = o3.spherical_harmonics(self.trunk.sh_irreps, vec, normalize=True, normalization="component")
        out = self.center_conv(h.lig, torch.stack([atoms, batch.lig_batch]), edge_attr, sh, g)
        tr, rot = out[:, :3], out[:, 3:]
        return self._rescale(tr, self.tr_magnitude, h.time_emb), self._rescale(rot, self.rot_magnitude, h.time_emb)

    @staticmethod
    def _rescale(v: Tensor, magnitude: nn.Module, temb: Tensor) -> Tensor:
        """Keep the direction, learn the length from (|v|, t): v / |v| · MLP(|v|, t)."""
        norm = v.norm(dim=-1, keepdim=True).clamp_min(1e-9)
        return v / norm * magnitude(torch.cat([norm, temb], -1))

    def _torsion_scores(self, batch: ComplexBatch, h: TrunkOutput) -> Tensor:
        ns, num_tor = self.cfg.ns, batch.tor_bonds.shape[0]
        if num_tor == 0:
            return batch.lig_pos.new_zeros(0)
        pos, (u, v) = batch.lig_pos, batch.tor_bonds.T
        centre = 0.5 * (pos[u] + pos[v])
        pairs = radius(pos, centre, self.cfg.lig_radius, batch.lig_batch, batch.tor_batch, _MAX_NEIGHBORS)
        bond, atom = pairs  # row 0: bond (y), row 1: atom (x)
        vec = pos[atom] - centre[bond]
        edge_attr = self.bond_edge_embed(self.bond_dist(vec.norm(dim=-1)))
        bond_feat = h.lig[u, :ns] + h.lig[v, :ns]
        edge_attr = torch.cat([edge_attr, h.lig[atom, :ns], bond_feat[bond], h.z_lig[atom]], -1)
        axis_sh = o3.spherical_harmonics("2e", pos[v] - pos[u], normalize=True, normalization="component")
        edge_sh = o3.spherical_harmonics(self.trunk.sh_irreps, vec, normalize=True, normalization="component")
        sh = self.bond_axis_tp(edge_sh, axis_sh[bond])
        out = self.tor_conv(h.lig, torch.stack([atom, bond]), edge_attr, sh, num_tor)
        scores = self.tor_final(out).squeeze(-1)
        if self.dihedral_coefficients is not None:
            scores = scores + self._dihedral_scores(batch, h)
        return scores

    def _dihedral_scores(self, batch: ComplexBatch, h: TrunkOutput) -> Tensor:
        """Σ_k α_k(h) sin(kφ), averaged over the bond's dihedrals φ (a, u, v, b): a torsion potential's
        Fourier series, differentiated. Odd in φ, so the score flips sign under reflection (a pseudoscalar),
        and symmetric in (a, u) <-> (b, v), as the dihedral is; α_k sees cos(kφ) and the scalar features."""
        ns, num_tor = self.cfg.ns, batch.tor_bonds.shape[0]
        quads, bond = torsion_quads(batch.lig_bond_index, batch.tor_bonds)
        phi = dihedral_angles(batch.lig_pos.unsqueeze(0), quads).squeeze(0)
        k = torch.arange(1, self.cfg.dihedral_harmonics + 1, device=phi.device, dtype=phi.dtype)
        s = h.lig[:, :ns]
        a, u, v, b = quads.T
        features = torch.cat([s[a] + s[b], s[u] + s[v], torch.cos(k * phi[:, None])], -1)
        per_quad = (self.dihedral_coefficients(features) * torch.sin(k * phi[:, None])).sum(-1)
        return scatter(per_quad, bond, dim=0, dim_size=num_tor, reduce="mean")


__all__ = [
    "ComplexTrunk",
    "LatentNodes",
    "ReceptorFeatures",
    "ScoreModel",
    "TrunkOutput",
    "cross_edges",
    "irreps_sequence",
    "latent_drop_mask",
    "ligand_centroids",
    "ligand_edges",
    "node_segments",
    "pointer_edges",
    "receptor_edges",
    "union_edges",
]
