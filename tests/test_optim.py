"""Optimizers and schedules: PyTorch's torch.optim as the oracle, the book's API and errors."""

import numpy as np
import pytest

from tatamikomi import optim

torch = pytest.importorskip("torch")

# (ours, arguments, torch's class, torch's arguments)
CASES = [
    (optim.SGD, {"lr": 0.1}, "SGD", {"lr": 0.1}),
    (optim.SGD, {"lr": 0.1, "weight_decay": 0.01}, "SGD", {"lr": 0.1, "weight_decay": 0.01}),
    (optim.Momentum, {"lr": 0.05, "momentum": 0.9}, "SGD", {"lr": 0.05, "momentum": 0.9}),
    (
        optim.Nesterov,
        {"lr": 0.05, "momentum": 0.8},
        "SGD",
        {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    ),
    (optim.AdaGrad, {"lr": 0.1, "eps": 1e-10}, "Adagrad", {"lr": 0.1, "eps": 1e-10}),
    (
        optim.RMSprop,
        {"lr": 0.01, "decay_rate": 0.9, "eps": 1e-8},
        "RMSprop",
        {"lr": 0.01, "alpha": 0.9, "eps": 1e-8},
    ),
    (optim.Adam, {"lr": 0.01}, "Adam", {"lr": 0.01}),
    (
        optim.Adam,
        {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.1},
        "Adam",
        {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1},
    ),
    (optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}, "AdamW", {"lr": 0.01, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("ours, arguments, theirs, their_arguments", CASES)
def test_matches_torch_optim(ours, arguments, theirs, their_arguments):
    rng = np.random.default_rng(0)
    shapes = {"W1": (3, 1, 5, 5), "b1": (3,), "W2": (12, 4)}
    params = {k: rng.standard_normal(s) for k, s in shapes.items()}
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    ours = ours(**arguments)
    theirs = getattr(torch.optim, theirs)(list(tensors.values()), **their_arguments)
    schedule = optim.StepSchedule(arguments["lr"], step_size=3, gamma=0.5)
    for step in range(8):
        grads = {k: rng.standard_normal(s) for k, s in shapes.items()}
        ours.lr = schedule(step)
        for group in theirs.param_groups:
            group["lr"] = schedule(step)
        ours.update(params, grads)
        for key, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[key])
        theirs.step()
    for key in shapes:
        np.testing.assert_allclose(params[key], tensors[key].detach().numpy(), rtol=1e-10)


def test_update_is_in_place_and_keeps_float32():
    params = {"W": np.ones((2, 2), np.float32)}
    held = params["W"]
    opt = optim.Adam()
    opt.update(params, {"W": np.ones((2, 2))})
    assert params["W"] is held and held.dtype == np.float32 and np.all(held < 1)


def test_state_dict_round_trip_continues_identically():
    rng = np.random.default_rng(1)
    a = {"W": rng.standard_normal((4, 3))}
    b = {"W": a["W"].copy()}
    grads = [{"W": rng.standard_normal((4, 3))} for _ in range(6)]
    first = optim.Adam(lr=0.01)
    for g in grads:
        first.update(a, g)
    second = optim.Adam(lr=0.01)
    for g in grads[:3]:
        second.update(b, g)
    restored = optim.get_optimizer("adam", lr=0.01)
    restored.load_state_dict(second.state_dict())
    for g in grads[3:]:
        restored.update(b, g)
    np.testing.assert_array_equal(a["W"], b["W"])


def test_book_trainer_names_and_errors():
    assert isinstance(optim.get_optimizer("SGD", lr=0.1), optim.SGD)
    assert isinstance(optim.get_optimizer("rmsprop"), optim.RMSprop)
    with pytest.raises(ValueError, match="unknown optimizer 'adamax'; choose one of"):
        optim.get_optimizer("adamax")
    with pytest.raises(TypeError, match="Adam: .*momentum"):
        optim.get_optimizer("adam", momentum=0.9)
    with pytest.raises(ValueError, match=r"lr must be a finite number in \(0, inf\); got 0"):
        optim.SGD(lr=0)
    with pytest.raises(KeyError, match="no gradient for \\['b'\\]"):
        optim.SGD().update({"W": np.zeros(2), "b": np.zeros(2)}, {"W": np.zeros(2)})
    with pytest.raises(ValueError, match="has shape \\(3,\\)"):
        optim.SGD().update({"W": np.zeros(2)}, {"W": np.zeros(3)})


def test_schedules():
    cosine = optim.CosineSchedule(0.1, total_steps=100, warmup_steps=10)
    assert cosine(0) == pytest.approx(0.01) and cosine(9) == pytest.approx(0.1)
    assert cosine(55) == pytest.approx(0.05) and cosine(100) == pytest.approx(0.0)
    step = optim.get_schedule({"name": "step", "step_size": 2, "gamma": 0.5}, 1.0)
    assert [step(i) for i in range(5)] == [1, 1, 0.5, 0.5, 0.25]
    assert optim.get_schedule(cosine.config(), 0.1)(55) == pytest.approx(0.05)
    assert optim.get_schedule("cosine", 0.1, total_steps=100)(50) == pytest.approx(0.05)
    warm = optim.get_schedule({"name": "cosine", "warmup_steps": 10}, 0.1, total_steps=100)
    assert warm(55) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="unknown schedule 'linear'"):
        optim.get_schedule("linear", 0.1)
