"""benchmarks/validate_run.py: a run's validation loss with its EMA and with its raw weights."""

import pandas as pd
import pytest

from discodock.training.dataset import TrainingComplex
from discodock.training.synthetic import synthetic_dataset
from discodock.training.train import train_main

from ..conftest import load_benchmark_script
from ..training.test_docking_training import TINY


def test_the_ema_row_repeats_the_runs_last_validation_and_the_raw_row_differs(tmp_path):
    script = load_benchmark_script("validate_run")
    items = [TrainingComplex(g, g.lig_pos.clone(), 0.0) for g in synthetic_dataset(10)]
    run = train_main(None, TINY + [f"out_dir={tmp_path}", "name=twin", "model.latent_mode=none", "score.max_steps=4"],
                     stages=["score"], items=items, accelerator="cpu")
    logged = pd.read_csv(run / "metrics.csv").dropna(subset=["val_loss"])["val_loss"].iloc[-1]
    ema = script.validate(run, "ema", items)
    raw = script.validate(run, "raw", items)
    assert ema["step"] == raw["step"] == 4
    assert ema["val_loss"] == pytest.approx(logged, abs=1e-4)
    assert raw["val_loss"] != pytest.approx(ema["val_loss"], abs=1e-4)  # 4 steps: the 0.999 EMA is ~the first step's
