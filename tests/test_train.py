"""The Trainer: the book's API, epochs without replacement, seeds, divergence, Ctrl-C and resume."""

import os
import signal

import numpy as np
import pytest

from tatamikomi import SimpleConvNet, Trainer, from_spec, load
from tatamikomi.train import TrainingDiverged, TrainingInterrupted

from .builders import SMALL_SPEC, small_data, small_trainer


def test_trains_and_keeps_the_books_lists():
    trainer = small_trainer(seed=0, epochs=4)
    history = trainer.train()
    assert history["epoch"] == [1, 2, 3, 4]
    assert len(trainer.train_loss_list) == 4 * 6  # ceil(90 / 16) steps per epoch
    assert trainer.test_acc_list == history["test_acc"] and len(trainer.train_acc_list) == 4
    assert history["test_acc"][-1] > 0.9 and history["loss"][-1] < history["loss"][0]
    assert trainer.network.history is history


def test_each_epoch_visits_every_example_once():
    trainer = small_trainer(seed=3, epochs=2)
    seen = []
    original = trainer.network.gradient

    def spy(x, t):
        seen.append(x.shape[0])
        ids.extend(int(v) for v in np.round(x[:, 0, 0, 7] * 1e6))
        return original(x, t)

    ids = []
    x = trainer.x_train.copy()
    x[:, 0, 0, 7] = np.arange(len(x)) / 1e6  # tag each example
    trainer.x_train = x
    trainer.network.gradient = spy
    trainer.train()
    assert seen == [16, 16, 16, 16, 16, 10] * 2
    assert sorted(ids[:90]) == list(range(90)) and sorted(ids[90:]) == list(range(90))
    assert ids[:90] != ids[90:]  # a new order each epoch


def test_the_same_seed_gives_the_same_run():
    first, second = small_trainer(seed=5), small_trainer(seed=5)
    first.train()
    second.train()
    assert first.train_loss_list == second.train_loss_list
    for key in first.network.params:
        np.testing.assert_array_equal(first.network.params[key], second.network.params[key])
    third = small_trainer(seed=6)
    third.train()
    assert third.train_loss_list != first.train_loss_list


def test_divergence_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    path = tmp_path / "model.npz"
    trainer = small_trainer(seed=0, checkpoint=path, epochs=5)
    original = trainer.network.gradient
    steps = []

    def poisoned(x, t):
        grads = original(x, t)
        steps.append(1)
        if len(steps) > 8:  # in epoch 2
            trainer.network.last_layer.loss = np.float32("nan")
        return grads

    trainer.network.gradient = poisoned
    with pytest.raises(
        TrainingDiverged,
        match=r"loss became nan at epoch 2, step 3 .*"
        r"model.npz keeps epoch 1, the last good one.*smaller learning rate",
    ):
        trainer.train()
    saved = load(path)
    assert saved.history["epoch"] == [1]
    assert all(np.isfinite(v).all() for v in saved.params.values())


def test_divergence_before_any_checkpoint_says_so():
    trainer = small_trainer(seed=0, optimizer="sgd", optimizer_param={"lr": 1e30})
    with pytest.raises(TrainingDiverged, match="no checkpoint had been written yet"):
        trainer.train()


def test_ctrl_c_saves_and_resume_continues_exactly(tmp_path):
    options = dict(seed=7, epochs=3, augment_shift=1, schedule="cosine")
    reference = small_trainer(**options)
    reference.train()

    path = tmp_path / "run.npz"
    trainer = small_trainer(checkpoint=path, **options)
    original = trainer.network.gradient
    calls = []

    def interrupted(x, t):
        calls.append(1)
        if len(calls) == 9:  # epoch 2, step 3: a real SIGINT, as Ctrl-C sends
            os.kill(os.getpid(), signal.SIGINT)
        return original(x, t)

    trainer.network.gradient = interrupted
    with pytest.raises(
        TrainingInterrupted,
        match=r"interrupted after step 3/6 of epoch 2; .*continues at epoch 2, step 4",
    ) as stop:
        trainer.train()
    assert stop.value.checkpoint == path
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored

    x, t = small_data()
    x_test, t_test = small_data(30, seed=1)
    resumed = Trainer.resume(path, x, t, x_test, t_test, verbose=False)
    assert (resumed.current_epoch, resumed.step_in_epoch) == (1, 3)
    resumed.train()
    assert resumed.train_loss_list == reference.train_loss_list
    assert resumed.history["test_acc"] == reference.history["test_acc"]
    for key in reference.network.params:
        np.testing.assert_array_equal(resumed.network.params[key], reference.network.params[key])
    final = load(path)
    assert final.history["epoch"] == [1, 2, 3]


def test_checkpoint_is_not_written_over_an_existing_file(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="already exists.*--force"):
        small_trainer(checkpoint=path)
    assert path.read_bytes() == b"precious"


def test_bad_arguments():
    x, t = small_data()
    model = from_spec(SMALL_SPEC)
    with pytest.raises(ValueError, match="x_train 90, t_train 89"):
        Trainer(model, x, t[:-1], x, t)
    with pytest.raises(ValueError, match="epochs and mini_batch_size must be at least 1"):
        Trainer(model, x, t, x, t, epochs=0)
    with pytest.raises(ValueError, match="unknown optimizer 'adamw2'"):
        Trainer(model, x, t, x, t, optimizer="adamw2")
    channels_last = x.transpose(0, 2, 3, 1)  # (N, 8, 8, 1)
    message = r"x_train has shape .* looks like \(N, H, W, C\).*transpose\(0, 3, 1, 2\)"
    with pytest.raises(ValueError, match=message):
        Trainer(model, channels_last, t, channels_last, t)


def test_book_lecture_code_runs_unchanged(tmp_path, monkeypatch):
    """ch07/train_convnet.py, with a tenth of an epoch of mnist-mini."""
    from tatamikomi import load_mnist

    (x_train, t_train), (x_test, t_test) = load_mnist(flatten=False, dataset="mnist-mini")
    x_train, t_train, x_test, t_test = x_train[:500], t_train[:500], x_test[:100], t_test[:100]
    max_epochs = 1
    network = SimpleConvNet(
        input_dim=(1, 28, 28),
        conv_param={"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1},
        hidden_size=100,
        output_size=10,
        weight_init_std=0.01,
    )
    trainer = Trainer(
        network,
        x_train,
        t_train,
        x_test,
        t_test,
        epochs=max_epochs,
        mini_batch_size=100,
        optimizer="Adam",
        optimizer_param={"lr": 0.001},
        evaluate_sample_num_per_epoch=100,
        verbose=False,
    )
    trainer.train()
    assert len(trainer.train_acc_list) == 1
    monkeypatch.chdir(tmp_path)
    network.save_params("params.pkl")  # our safe format, whatever the name says
    again = SimpleConvNet()
    again.load_params("params.pkl")
    np.testing.assert_array_equal(again.predict(x_test), network.predict(x_test))
    assert (tmp_path / "params.pkl").read_bytes()[:2] == b"PK"


def test_random_shift_moves_each_image_within_bounds():
    from tatamikomi.data.augment import random_shift

    rng = np.random.default_rng(0)
    x = rng.random((50, 2, 9, 9)).astype(np.float32) + 1  # no zeros inside the image
    out = random_shift(x, 2, np.random.default_rng(1))
    assert out.shape == x.shape and out.dtype == x.dtype
    shifts = set()
    for image, moved in zip(x, out):
        found = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if np.array_equal(
                moved[:, max(dy, 0) : 9 + min(dy, 0), max(dx, 0) : 9 + min(dx, 0)],
                image[:, max(-dy, 0) : 9 + min(-dy, 0), max(-dx, 0) : 9 + min(-dx, 0)],
            )
        ]
        assert found, "each output is its image, shifted by at most 2 pixels"
        shifts.add(found[0])
        assert np.count_nonzero(moved == 0) == 2 * (
            81 - (9 - abs(found[0][0])) * (9 - abs(found[0][1]))
        )
    assert len(shifts) > 10  # shifts are drawn per image
    np.testing.assert_array_equal(random_shift(x, 2, np.random.default_rng(1)), out)
    assert random_shift(x, 0, rng) is x


def test_training_further_stretches_the_cosine(tmp_path):
    path = tmp_path / "run.npz"
    first = small_trainer(seed=1, epochs=1, schedule="cosine", checkpoint=path)
    first.train()
    assert first.optimizer.lr < 0.01 * 0.1  # the cosine (from 0.01) ended near zero
    x, t = small_data()
    x_test, t_test = small_data(30, seed=1)
    further = Trainer.resume(path, x, t, x_test, t_test, epochs=3, verbose=False)
    before = further.network.params["W1"].copy()
    further.train()
    assert further.history["epoch"] == [1, 2, 3]
    assert further.history["lr"][1] > 0.002  # the second epoch trains with a real rate
    assert not np.array_equal(before, further.network.params["W1"])
