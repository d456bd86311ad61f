"""Lightning modules of the three training stages.

1. `DockingModule`: score model (+ pose-mode encoder for DisCo, none for the twin) trained end to
   end with DiffDock's normalised score-matching loss; the encoder's latents (pointers or codebook
   codes, `model.latent_mode`) enter through the straight-through Gumbel-softmax (τ = 1) and the score
   model drops them to the null latent with p = cfg.latent_dropout. An EMA of the weights is validated
   and exported.
2. `PriorModule`: the AR prior of the latent mode on the frozen encoder's soft probabilities softmax(logits/τ),
   from the complex without its crystal pose (ligand conformer at the frame origin, random
   orientation and torsions); its trunk starts from the score model's and is frozen for the first
   `freeze_trunk_epochs` epochs (DisCo-DiffDock).
3. `ConfidenceModule`: the confidence classifier on poses sampled by the trained score model,
   label RMSD < threshold (optionally + a listwise ranking term within each complex).

Device placement comes from the Trainer (CPU or CUDA); nothing here names a device.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from discodock.complex_graph import ComplexBatch
from discodock.core.ema import EMAUpdate
from discodock.model.confidence import ConfidenceModel, listwise_ranking_loss
from discodock.model.diffusion import score_matching_loss
from discodock.model.encoder import PoseModeEncoder
from discodock.model.layers import compile_tensor_products
from discodock.model.prior import CodebookPrior, PointerPrior, build_prior
from discodock.model.score_model import LatentNodes, ScoreModel
from discodock.training._lightning import pl
from discodock.training.config import TrainConfig, config_from_mapping
from discodock.training.dataset import TrainBatch

if TYPE_CHECKING:
    from discodock.training.confidence_data import LabelledBatch

Tensor = torch.Tensor


def move_to(obj, device: torch.device):
    """Move a batch (anything with .to, or tuples / lists of them) to `device`."""
    if isinstance(obj, (tuple, list)):
        return type(obj)(move_to(x, device) for x in obj)
    return obj.to(device) if hasattr(obj, "to") else obj


class _Stage(pl.LightningModule):
    """Shared plumbing: typed config from the saved hyper-parameters, batch transfer, AdamW."""

    stage_name = "score"

    def __init__(self, config: dict):
        super().__init__()
        self.save_hyperparameters({"config": config})
        self.cfg: TrainConfig = config_from_mapping(config)
        self.stage = getattr(self.cfg, self.stage_name)

    def transfer_batch_to_device(self, batch, device, dataloader_idx):
        return move_to(batch, device)

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def training_step(self, batch, batch_idx: int) -> Tensor:
        """Prior stage: `_step(batch)` returns (loss, …) for a (ComplexBatch, …) batch."""
        loss, _, _ = self._step(batch)
        self.log("train_loss", loss, batch_size=batch[0].num_graphs, on_step=True, on_epoch=True)
        return loss

    def configure_optimizers(self):
        return torch.optim.AdamW(self.trainable_parameters(), lr=self.stage.lr, weight_decay=self.stage.weight_decay)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # Lightning keeps no random state, and every start seeds afresh: without this a resumed run would
        # replay the noise, diffusion times, shuffles and Gumbel draws of its first steps
        checkpoint["random_states"] = random_states()
        checkpoint["provenance"] = getattr(self, "provenance", None)  # e.g. the score export a prior learns from

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if "random_states" in checkpoint:  # checkpoints written before it was kept resume as they did
            set_random_states(checkpoint["random_states"])

    def on_train_batch_start(self, batch, batch_idx: int) -> None:
        """Set the learning rate from the global step rather than keep a scheduler's own counter: a run
        resumed from a checkpoint, even one saved under another schedule or lr, follows the configured one."""
        stage = self.stage
        factor = lr_factor(self.trainer.global_step, warmup=stage.lr_warmup_steps, total=stage.max_steps,
                           schedule=stage.lr_schedule, min_factor=stage.lr_min_factor)
        for group in self.optimizers().param_groups:
            group["lr"] = stage.lr * factor


def random_states() -> dict:
    """The states of every random generator training draws from (Python, NumPy, torch CPU and CUDA)."""
    import random

    import numpy as np

    name, keys, position, has_gauss, cached = np.random.get_state()
    # plain Python values and tensors only, so checkpoints still load with torch.load(weights_only=True)
    return {"python": random.getstate(), "numpy": [name, keys.tolist(), position, has_gauss, cached],
            "torch": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def set_random_states(states: dict) -> None:
    """Restore `random_states()`; CUDA's only on a machine with as many GPUs (a CPU resume keeps its own)."""
    import random

    import numpy as np

    random.setstate(states["python"])
    name, keys, position, has_gauss, cached = states["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), position, has_gauss, cached))
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available() and torch.cuda.device_count() == len(states["cuda"]):
        torch.cuda.set_rng_state_all(states["cuda"])


def lr_factor(step: int, *, warmup: int, total: int, schedule: str, min_factor: float) -> float:
    """Multiplier of the base learning rate at optimiser step `step`: a linear warm-up over `warmup` steps,
    then constant, or a cosine from 1 down to `min_factor` at step `total` (and flat after it)."""
    if step < warmup:
        return (step + 1) / warmup
    if schedule == "constant" or total <= warmup:
        return 1.0
    progress = min(1.0, (step - warmup) / (total - warmup))
    return min_factor + (1.0 - min_factor) * 0.5 * (1.0 + math.cos(math.pi * progress))


# ---------------------------------------------------------------- 1. score model (+ encoder)


class DockingModule(_Stage):
    """Score model and (DisCo) pose-mode encoder, trained together; EMA copy for validation and export."""

    stage_name = "score"

    def __init__(self, config: dict):
        super().__init__(config)
        mcfg = self.cfg.model
        self.score_model = ScoreModel(mcfg)
        self.encoder = PoseModeEncoder(mcfg) if mcfg.has_latents else None
        self.ema = AveragedModel(self._trained_nets(), use_buffers=True,
                                 multi_avg_fn=EMAUpdate(self.stage.ema_decay, warmup=self.stage.ema_warmup))
        self.ema.requires_grad_(False)  # updated by averaging only (and ignored by DDP)

    def _trained_nets(self) -> nn.ModuleDict:
        """The networks the EMA averages, keyed as in its copy (a view: building it registers nothing on self)."""
        encoder = {"encoder": self.encoder} if self.encoder is not None else {}
        return nn.ModuleDict({"score": self.score_model} | encoder)

    def trainable_parameters(self) -> list[nn.Parameter]:
        nets = [self.score_model] + ([self.encoder] if self.encoder is not None else [])
        return [p for net in nets for p in net.parameters() if p.requires_grad]

    def ema_nets(self) -> tuple[ScoreModel, PoseModeEncoder | None]:
        nets = self.ema.module
        return nets["score"], (nets["encoder"] if "encoder" in nets else None)

    def losses(self, batch: TrainBatch, score_model: ScoreModel, encoder: PoseModeEncoder | None,
               generator: torch.Generator | None = None, null_latent: bool = False) -> dict[str, Tensor]:
        """Encode the clean complexes (DisCo), score the noisy ones, DiffDock's loss."""
        latent = None
        if encoder is not None and not null_latent:
            latent = encoder.encode(batch.clean, tau=self.stage.gumbel_tau, hard=True, generator=generator)
        pred = score_model(batch.noisy, batch.targets.t, latent)
        return score_matching_loss(pred, batch.targets, self.stage.loss_weights)

    def training_step(self, batch: TrainBatch, batch_idx: int) -> Tensor:
        out = self.losses(batch, self.score_model, self.encoder)
        self.log_dict({f"train_{k}": v for k, v in out.items()}, batch_size=len(batch), on_step=True, on_epoch=True)
        return out["loss"]

    def compile_networks(self) -> None:
        """torch.compile the tensor products of the trained networks (not the EMA copy: it validates eagerly)."""
        for net in (self.score_model, self.encoder):
            if net is not None:
                compile_tensor_products(net)

    def on_fit_start(self) -> None:
        # here rather than in __init__: after the EMA copy and in every DDP process
        if self.stage.compile:
            self.compile_networks()

    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        self.ema.update_parameters(self._trained_nets())

    def validation_step(self, batch: TrainBatch, batch_idx: int) -> None:
        score_model, encoder = self.ema_nets()
        gen = torch.Generator(device=self.device).manual_seed(batch_idx)  # same Gumbel draws every epoch
        out = self.losses(batch, score_model, encoder, gen)
        metrics = {"val_loss": out["loss"], "val_tr_loss": out["tr_loss"], "val_rot_loss": out["rot_loss"], "val_tor_loss": out["tor_loss"]}
        if encoder is not None:  # how much the latents help: the same batch with the null latent
            metrics["val_loss_null"] = self.losses(batch, score_model, encoder, null_latent=True)["loss"]
        self.log_dict(metrics, batch_size=len(batch), sync_dist=True, prog_bar=False)

    def export(self) -> dict:
        """Inference weights (EMA) and configs: what `score.ckpt` holds."""
        score_model, encoder = self.ema_nets()
        return {
            "kind": "score",
            "config": self.cfg.to_dict(),
            "model_config": self.cfg.model.to_dict(),
            "score_model": score_model.state_dict(),
            "encoder": encoder.state_dict() if encoder is not None else None,
        }


# ---------------------------------------------------------------- 2. AR prior


class PriorModule(_Stage):
    """PointerPrior or CodebookPrior trained by cross-entropy on the frozen encoder's soft probabilities."""

    stage_name = "prior"

    def __init__(self, config: dict, score_export: dict | None = None):
        super().__init__(config)
        mcfg = self.cfg.model
        self.prior: PointerPrior | CodebookPrior = build_prior(mcfg)
        self.encoder = PoseModeEncoder(mcfg)
        if score_export is not None:  # fresh start; on resume the checkpoint restores both
            self.encoder.load_state_dict(score_export["encoder"])
            score_model = ScoreModel(mcfg)
            score_model.load_state_dict(score_export["score_model"])
            self.prior.init_from_score_model(score_model)
        self.encoder.requires_grad_(False)
        self.encoder.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        self.encoder.eval()  # frozen: batch norm keeps its statistics
        return self

    def on_train_batch_start(self, batch, batch_idx: int) -> None:
        """The frozen-trunk schedule of `configure_optimizers` sets the learning rates (no lr_schedule here)."""

    def configure_optimizers(self):
        trunk = list(self.prior.trunk.parameters())
        trunk_ids = {id(p) for p in trunk}
        heads = [p for p in self.prior.parameters() if id(p) not in trunk_ids]
        optimizer = torch.optim.AdamW(
            [{"params": trunk}, {"params": heads}], lr=self.stage.lr, weight_decay=self.stage.weight_decay
        )
        frozen = self.stage.freeze_trunk_epochs
        # lr 0 for the trunk during the first epochs (freezing by requires_grad would confuse DDP)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, [lambda e: float(e >= frozen), lambda e: 1.0])
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "epoch"}}

    def soft_targets(self, clean: ComplexBatch) -> LatentNodes:
        """softmax(logits / τ) of the frozen encoder on the crystal complexes."""
        with torch.no_grad():
            return self.encoder.probs(clean, tau=self.stage.gumbel_tau)

    def _step(self, batch: tuple[ComplexBatch, Tensor]) -> tuple[Tensor, ComplexBatch, LatentNodes]:
        clean, prior_pos = batch
        probs = self.soft_targets(clean)
        unposed = replace(clean, lig_pos=prior_pos)
        return self.prior.soft_loss(unposed, probs).mean(), unposed, probs

    def validation_step(self, batch, batch_idx: int) -> None:
        loss, unposed, probs = self._step(batch)
        acc = self.prior.accuracy(unposed, probs)
        self.log_dict({"val_loss": loss, "val_accuracy": acc}, batch_size=batch[0].num_graphs, sync_dist=True)

    def export(self) -> dict:
        return {"kind": "prior", "config": self.cfg.to_dict(), "model_config": self.cfg.model.to_dict(),
                "prior": self.prior.state_dict()}


# ---------------------------------------------------------------- 3. confidence


class ConfidenceModule(_Stage):
    """ConfidenceModel trained as a binary classifier of RMSD < threshold on sampled poses, plus
    (`ranking_weight` > 0) a listwise ranking term over the sampled poses of each complex in a batch."""

    stage_name = "confidence"

    def __init__(self, config: dict, pos_weight: float = 1.0):
        super().__init__(config)
        self.model = ConfidenceModel(self.cfg.model)
        self.register_buffer("pos_weight", torch.tensor(float(pos_weight)))

    def _losses(self, batch: LabelledBatch) -> tuple[Tensor, Tensor, Tensor]:
        """(total, ranking term, logits)."""
        logits = self.model(batch.graphs)
        loss = nn.functional.binary_cross_entropy_with_logits(logits, batch.labels, pos_weight=self.pos_weight)
        ranking = logits.new_zeros(())
        if self.stage.ranking_weight > 0:
            ranking = listwise_ranking_loss(logits, batch.rmsd, batch.group, batch.sampled, self.stage.ranking_temperature)
        return loss + self.stage.ranking_weight * ranking, ranking, logits

    def training_step(self, batch: LabelledBatch, batch_idx: int) -> Tensor:
        loss, ranking, _ = self._losses(batch)
        metrics = {"train_loss": loss} | ({"train_ranking_loss": ranking} if self.stage.ranking_weight > 0 else {})
        self.log_dict(metrics, batch_size=batch.num_graphs, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch: LabelledBatch, batch_idx: int) -> None:
        loss, ranking, logits = self._losses(batch)
        acc = ((logits > 0) == batch.labels.bool()).float().mean()
        metrics = {"val_loss": loss, "val_accuracy": acc}
        if self.stage.ranking_weight > 0:
            metrics["val_ranking_loss"] = ranking
        self.log_dict(metrics, batch_size=batch.num_graphs, sync_dist=True)

    def export(self) -> dict:
        return {"kind": "confidence", "config": self.cfg.to_dict(), "model_config": self.cfg.model.to_dict(),
                "confidence": self.model.state_dict()}


__all__ = ["ConfidenceModule", "DockingModule", "PriorModule", "move_to"]
