import pickle

import pytest
import torch
from torch.optim.swa_utils import AveragedModel

from discodock.core.ema import EMAUpdate, ema_decay_at


def test_decay_warms_up_then_stays_at_its_value():
    assert ema_decay_at(0.999, 1) == pytest.approx(2 / 11)
    assert ema_decay_at(0.999, 90) == pytest.approx(91 / 100)
    assert ema_decay_at(0.999, 10**6) == 0.999
    assert ema_decay_at(0.999, 1, warmup=False) == 0.999
    with pytest.raises(ValueError):
        ema_decay_at(1.5, 1)


def _ema_after_a_jump(warmup: bool, steps: int = 100) -> float:
    """EMA of a weight that is 0 at the first update and 1 at every later one."""
    net = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(net.weight)
    ema = AveragedModel(net, multi_avg_fn=EMAUpdate(0.999, warmup=warmup), use_buffers=True)
    ema.update_parameters(net)  # the first update copies the weights
    with torch.no_grad():
        net.weight.fill_(1.0)
    for _ in range(steps):
        ema.update_parameters(net)
    return float(ema.module.weight)


def test_without_warmup_a_short_run_keeps_its_first_weights():
    assert _ema_after_a_jump(warmup=False) == pytest.approx(1 - 0.999**100, rel=1e-4)  # ~0.095


def test_with_warmup_a_short_run_follows_its_weights():
    assert _ema_after_a_jump(warmup=True) > 0.9


def test_integer_buffers_are_copied_and_the_update_pickles():
    net = torch.nn.BatchNorm1d(2)
    ema = AveragedModel(net, multi_avg_fn=pickle.loads(pickle.dumps(EMAUpdate(0.9))), use_buffers=True)
    ema.update_parameters(net)
    net.num_batches_tracked += 7
    ema.update_parameters(net)
    assert int(ema.module.num_batches_tracked) == 7
