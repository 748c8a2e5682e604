"""examples/ddp_train.py with torchrun: two ranks (gloo, 127.0.0.1) train a tatamikomi model
exported to PyTorch, end with identical weights, and the model imported back evaluates."""

import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest

import tatamikomi as tk

from .support import ROOT

torch = pytest.importorskip("torch", reason="torch is not installed")
if not torch.distributed.is_available():
    pytest.skip("this torch has no torch.distributed", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_ranks_train_alike_and_come_back(tmp_path):
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(pathlib.Path(tk.__file__).parents[1]),
        OMP_NUM_THREADS="1",
        GLOO_SOCKET_IFNAME="lo",  # loopback only
        CUDA_VISIBLE_DEVICES="",  # gloo on the CPU, whatever the machine has
    )
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
        "--master_addr=127.0.0.1", f"--master_port={free_port()}",
        str(ROOT / "examples" / "ddp_train.py"),
        "--dataset", "mnist-mini", "--steps", "4", "--batch-size", "16",
        "--output", str(tmp_path / "ddp.npz"), "--rank-weights", str(tmp_path),
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 ranks (gloo), 4 steps" in result.stdout

    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert set(ranks[0]) == set(ranks[1])
    for key in ranks[0]:
        assert torch.equal(ranks[0][key], ranks[1][key]), key

    initial = tk.SimpleConvNet(seed=0)  # what every rank started from
    assert not np.array_equal(ranks[0]["Conv1.weight"].numpy(), initial.params["W1"])
    trained = tk.load(tmp_path / "ddp.npz")
    np.testing.assert_array_equal(trained.params["W1"], ranks[0]["Conv1.weight"].numpy())
    np.testing.assert_array_equal(trained.params["W2"], ranks[0]["Affine1.weight"].numpy().T)
    data = tk.load_dataset("mnist-mini")
    x = (data.x_test[:200] / np.float32(255)).astype(np.float32)
    from tatamikomi.export import to_torch

    module = to_torch(initial)
    module.load_state_dict(ranks[0])
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    assert np.max(np.abs(trained.predict(x) - expected)) <= 1e-5  # it evaluates as trained
    assert 0 <= trained.accuracy(x, data.t_test[:200]) <= 1
    assert trained.preprocess["dataset"] == "mnist-mini"
