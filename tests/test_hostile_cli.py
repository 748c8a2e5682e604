"""Issue 13, the command line, the trainer and the API: nothing lost (exclusive saves, a lock
per training, no temporaries left by `kill -9`, no special file replaced), one line for every
error (a traceback only with --debug), clear messages for bad options and empty batches, and no
option silently ignored. Each case checks its message and its exit status."""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tatamikomi import cli, gradcheck, layers
from tatamikomi._files import (
    FileLockedError,
    NotRegularFileError,
    RunLock,
    atomic_write,
    remove_stale_temporaries,
)
from tatamikomi.models import from_spec, load, save
from tatamikomi.train import Trainer

from .support import offline_env

TINY = {
    "input_shape": [1, 28, 28],
    "layers": [
        {"type": "Conv2d", "out_channels": 2, "kernel_size": 5, "stride": 3},
        {"type": "ReLU"},
        {"type": "Flatten"},
        {"type": "Linear", "out_features": 10},
    ],
}


def _command(*args):
    return [sys.executable, "-m", "tatamikomi", *map(str, args)]


def _run(tmp, *args, timeout=120):
    return subprocess.run(
        _command(*args), capture_output=True, text=True, timeout=timeout, env=offline_env(tmp),
        cwd=tmp,
    )


def _tiny_files(folder, n_train=200, n_test=50):
    """tiny.json (a 2-filter network) and my.npz (random 28x28 digits) in ``folder``."""
    (folder / "tiny.json").write_text(json.dumps(TINY))
    rng = np.random.default_rng(0)
    np.savez(
        folder / "my.npz",
        x_train=rng.integers(0, 256, (n_train, 1, 28, 28), dtype=np.uint8),
        t_train=np.arange(n_train) % 10,
        x_test=rng.integers(0, 256, (n_test, 1, 28, 28), dtype=np.uint8),
        t_test=np.arange(n_test) % 10,
    )


def _main(capsys, *argv):
    """``cli.main(argv)``: (status, standard error)."""
    status = cli.main([str(a) for a in argv])
    return status, capsys.readouterr().err


def _one_line(err, start, expected):
    assert err.startswith(start), err
    assert err.count("\n") == 1, err
    assert expected in err, err


# -- nothing lost ---------------------------------------------------------------------------------


def test_atomic_write_refuses_a_fifo_even_with_overwrite(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for overwrite in (False, True):
        with pytest.raises(NotRegularFileError, match="is not a regular file but a FIFO"):
            with atomic_write(fifo, overwrite=overwrite) as f:
                f.write(b"x")
        assert os.path.exists(fifo) and not os.path.isfile(fifo)
    assert sorted(os.listdir(tmp_path)) == ["pipe"]  # no temporary left


def test_atomic_write_refuses_a_symbolic_link(tmp_path):
    (tmp_path / "real.npz").write_bytes(b"precious")
    os.symlink(tmp_path / "real.npz", tmp_path / "link.npz")
    with pytest.raises(NotRegularFileError, match="is not a regular file but a symbolic link"):
        with atomic_write(tmp_path / "link.npz", overwrite=True) as f:
            f.write(b"x")
    assert os.path.islink(tmp_path / "link.npz")
    assert (tmp_path / "real.npz").read_bytes() == b"precious"


def test_train_force_onto_a_fifo_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "pipe")
    status, err = _main(capsys, "train", "-o", "pipe", "--force")
    assert status == 1
    _one_line(err, "tatamikomi train: ", "pipe is not a regular file but a FIFO")


def test_exclusive_creation_keeps_a_file_that_appeared_meanwhile(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(FileExistsError, match="already exists; it was left as it is"):
        with atomic_write(target) as f:
            f.write(b"ours")
            target.write_bytes(b"theirs")  # appears while we write
    assert target.read_bytes() == b"theirs"
    assert sorted(os.listdir(tmp_path)) == ["out.bin"]


def _tiny_trainer(tmp_path, **options):
    rng = np.random.default_rng(0)
    x = rng.random((40, 1, 28, 28), dtype=np.float32)
    t = np.arange(40) % 10
    model = from_spec(TINY, seed=0)
    return Trainer(
        model, x, t, x[:10], t[:10], epochs=2, mini_batch_size=20, verbose=False, **options
    )


def test_trainer_keeps_a_checkpoint_file_that_appeared_after_the_start(tmp_path):
    """The trainer's first save creates the file exclusively: another file at the path, made
    after the start check, is kept and the save fails (no silent replacement)."""
    path = tmp_path / "run.npz"

    class Appear:
        def on_step_end(self, trainer, step, logs):
            if step == 1:
                path.write_bytes(b"another run's model")

    trainer = _tiny_trainer(tmp_path, checkpoint=path, callbacks=[Appear()])
    with pytest.raises(FileExistsError, match="run.npz already exists; it was left as it is"):
        trainer.train()
    assert path.read_bytes() == b"another run's model"
    assert not os.path.exists(str(path) + ".lock")  # released however the run ended


def test_a_second_training_to_the_same_checkpoint_is_refused(tmp_path):
    path = tmp_path / "run.npz"
    with RunLock(path, what="training"):  # a training in this (live) process holds it
        trainer = _tiny_trainer(tmp_path, checkpoint=path)
        with pytest.raises(FileLockedError, match="is being written by another training"):
            trainer.train()
        assert not path.exists()
    assert not os.path.exists(str(path) + ".lock")
    trainer.train()  # the lock is free again
    assert load(path).history["epoch"] == [1, 2]


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    dead = int(child.stdout)  # reaped: no such process any more
    path = tmp_path / "run.npz"
    (tmp_path / "run.npz.lock").write_text(f"{dead}\n")
    trainer = _tiny_trainer(tmp_path, checkpoint=path)
    trainer.train()
    assert load(path).history["epoch"] == [1, 2]
    assert not os.path.exists(str(path) + ".lock")


def test_two_trainings_to_the_same_output(tmp_path):
    """Two `tatamikomi train` to one -o: the second is refused in one line while the first
    runs (even with --force), and the first's result is saved whole."""
    _tiny_files(tmp_path)
    first = subprocess.Popen(
        _command(
            "train",
            "--model",
            "tiny.json",
            "--dataset",
            "my.npz",
            "--epochs",
            "400",
            "--batch-size",
            "200",
            "-o",
            "run.npz",
            "-q",
        ),
        env=offline_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lock = tmp_path / "run.npz.lock"
        for _ in range(600):  # until the first run holds its lock (at most 60 s)
            if lock.exists() or first.poll() is not None:
                break
            subprocess.run(["sleep", "0.1"], timeout=10)
        assert lock.exists(), first.communicate(timeout=60)
        second = _run(
            tmp_path,
            "train",
            "--model",
            "tiny.json",
            "--dataset",
            "my.npz",
            "--epochs",
            "1",
            "-o",
            "run.npz",
            "--force",
            timeout=120,
        )
        assert second.returncode == 1
        _one_line(
            second.stderr,
            "tatamikomi train: ",
            f"run.npz is being written by another training (pid {first.pid}",
        )
    finally:
        first.send_signal(signal.SIGINT)  # Ctrl-C: the first saves and stops
        out, err = first.communicate(timeout=120)
    assert first.returncode == 130, err
    assert "continue with: tatamikomi train --resume run.npz" in err
    assert load(tmp_path / "run.npz").history is not None
    assert not lock.exists()


SAVER = textwrap.dedent(
    """
    import sys
    from tatamikomi._files import atomic_write
    target, version = sys.argv[1], 0
    while True:
        version += 1
        with atomic_write(target, overwrite=True) as f:
            f.write(b"%08d" % version)
            for _ in range(64):
                f.write(bytes([version % 256]) * 16384)
        if version == 1:
            print("saved", flush=True)
    """
)


def _intact(data: bytes) -> bool:
    version = int(data[:8])
    return len(data) == 8 + 64 * 16384 and data[8:] == bytes([version % 256]) * (64 * 16384)


def test_kill_during_saves_keeps_the_file_and_the_next_save_cleans(tmp_path):
    """kill -9 at random points of repeated saves, ten times: the file is a whole version every
    time, and after the next save no temporary is left."""
    target = tmp_path / "model.bin"
    env = offline_env(tmp_path)
    chance = random.Random(13)
    for _ in range(10):
        child = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(target)], env=env, stdout=subprocess.PIPE, text=True
        )
        assert child.stdout.readline() == "saved\n"
        subprocess.run(["sleep", f"{chance.uniform(0.0, 0.3):.3f}"], timeout=10)
        child.kill()
        child.wait(timeout=60)
        child.stdout.close()
        assert _intact(target.read_bytes())
    with atomic_write(target, overwrite=True) as f:  # the next save, by another process
        f.write(b"%08d" % 1 + bytes([1]) * (64 * 16384))
    assert sorted(os.listdir(tmp_path)) == ["model.bin"]
    assert _intact(target.read_bytes())


def test_stale_temporaries_of_another_target_or_a_live_writer_are_kept(tmp_path):
    target = tmp_path / "m.npz"
    dead = tmp_path / ".m.npz.999999999.0badf00d.tmp"
    live = tmp_path / f".m.npz.{os.getpid()}.0badf00d.tmp"
    other = tmp_path / ".n.npz.999999999.0badf00d.tmp"
    for path in (dead, live, other):
        path.write_bytes(b"")
    assert remove_stale_temporaries(target) == [str(dead)]
    assert live.exists() and other.exists() and not dead.exists()


# -- one line, a traceback only with --debug -----------------------------------------------------


def test_an_unexpected_error_is_one_line_and_debug_shows_it(capsys, monkeypatch):
    def broken(args):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(cli.models, "_summary", broken)
    status, err = _main(capsys, "summary", "SimpleConvNet")
    assert status == 1
    _one_line(
        err,
        "tatamikomi summary: RuntimeError: something nobody foresaw",
        "rerun with tatamikomi --debug summary",
    )
    with pytest.raises(RuntimeError, match="something nobody foresaw"):
        cli.main(["--debug", "summary", "SimpleConvNet"])


@pytest.mark.parametrize(
    "contents, expected",
    [
        (b"just some text\n", "my.npz"),
        (None, "NaN"),
    ],
)
def test_train_data_errors_are_one_line(tmp_path, capsys, monkeypatch, contents, expected):
    monkeypatch.chdir(tmp_path)
    _tiny_files(tmp_path)
    if contents is not None:
        (tmp_path / "my.npz").write_bytes(contents)
    else:  # a NaN image: refused, never blamed on the learning rate
        with np.load(tmp_path / "my.npz") as data:
            arrays = dict(data)
        arrays["x_train"] = arrays["x_train"].astype(np.float32)
        arrays["x_train"][3, 0, 5, 5] = np.nan
        np.savez(tmp_path / "my.npz", **arrays)
    status, err = _main(
        capsys, "train", "--model", "tiny.json", "--dataset", "my.npz", "--epochs", "1", "-q"
    )
    assert status == 1
    _one_line(err, "tatamikomi train: ", expected)
    assert "learning rate" not in err and "Traceback" not in err


# -- options named, none silently ignored --------------------------------------------------------


@pytest.fixture()
def checkpoint_run(tmp_path, capsys, monkeypatch):
    """A finished 1-epoch run on my.npz in ``tmp_path/a``."""
    folder = tmp_path / "a"
    folder.mkdir()
    _tiny_files(folder)
    monkeypatch.chdir(folder)
    status, err = _main(
        capsys,
        "train",
        "--model",
        "tiny.json",
        "--dataset",
        "my.npz",
        "--epochs",
        "1",
        "-o",
        "run.npz",
        "-q",
    )
    assert status == 0, err
    return folder


@pytest.mark.parametrize(
    "options, named",
    [
        (["--lr", "0.1"], "--lr"),
        (["--batch-size", "7", "--optimizer", "sgd"], "--batch-size, --optimizer"),
        (["-o", "other.npz"], "--output"),
        (["--seed", "3"], "--seed"),
    ],
)
def test_resume_refuses_options_that_would_change_the_run(checkpoint_run, capsys, options, named):
    before = (checkpoint_run / "run.npz").read_bytes()
    status, err = _main(capsys, "train", "--resume", "run.npz", "--epochs", "2", *options)
    assert status == 1
    _one_line(
        err,
        f"tatamikomi train: {named} cannot change a resumed run: it keeps its own "
        "settings (Adam lr 0.001, batch 100",
        "only --epochs",
    )
    assert (checkpoint_run / "run.npz").read_bytes() == before


def test_a_dataset_given_by_path_is_found_from_elsewhere(
    checkpoint_run, tmp_path, capsys, monkeypatch
):
    assert load(checkpoint_run / "run.npz").preprocess["dataset_path"] == str(
        checkpoint_run / "my.npz"
    )
    monkeypatch.chdir(tmp_path)  # another folder: the stored absolute path is used
    status, err = _main(capsys, "train", "--resume", "a/run.npz", "--epochs", "2", "-q")
    assert status == 0, err
    status, err = _main(capsys, "evaluate", "a/run.npz")
    assert status == 0, err
    os.rename(checkpoint_run / "my.npz", tmp_path / "moved.npz")
    status, err = _main(capsys, "evaluate", "a/run.npz")
    assert status == 1
    _one_line(
        err,
        "tatamikomi evaluate: a/run.npz was trained on ",
        "my.npz, which no longer exists; pass --dataset with where my.npz is now",
    )
    status, err = _main(capsys, "evaluate", "a/run.npz", "--dataset", "moved.npz")
    assert status == 0, err


def test_data_dir_is_not_silently_ignored_for_mnist_mini(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = from_spec(TINY, seed=0)
    model.preprocess = {"divide_by": 255, "dataset": "mnist-mini"}
    save(model, tmp_path / "mini.npz")
    status, err = _main(capsys, "evaluate", "mini.npz", "--data-dir", "somewhere")
    assert status == 1
    _one_line(
        err,
        "tatamikomi evaluate: --data-dir somewhere is not used by mnist-mini",
        "pass --dataset somewhere",
    )
    status, err = _main(
        capsys, "train", "--dataset", "mnist-mini", "--data-dir", "somewhere", "-o", "x.npz"
    )
    assert status == 1
    _one_line(err, "tatamikomi train: --data-dir somewhere is not used by mnist-mini", "")


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["evaluate", "m.npz", "--batch-size", "0"], "--batch-size must be at least 1; got 0"),
        (["predict", "m.npz", "x.png", "--top", "0"], "--top must be at least 1; got 0"),
        (["train", "--seed", "-1"], "--seed must be at least 0; got -1"),
        (["train", "--lr", "inf"], "--lr must be a finite number in (0, inf); got inf"),
        (["train", "--lr", "nan"], "--lr must be a finite number in (0, inf); got nan"),
        (["train", "--weight-decay", "nan"], "--weight-decay must be a finite number"),
    ],
)
def test_numeric_options_are_named(tmp_path, capsys, monkeypatch, argv, expected):
    monkeypatch.chdir(tmp_path)
    save(from_spec(TINY, seed=0), tmp_path / "m.npz")
    status, err = _main(capsys, *argv)
    assert status == 1
    _one_line(err, f"tatamikomi {argv[0]}: ", expected)
    assert "e.g. inf" not in err and "e.g. nan" not in err


def test_nan_scores_are_refused_with_the_reason(tmp_path):
    from tatamikomi.cli._common import CommandError, finite_scores

    model = from_spec(TINY, seed=0)
    model.params["W2"] = np.full_like(model.params["W2"], np.nan)
    scores = model.predict(np.zeros((1, 1, 28, 28), np.float32))
    with pytest.raises(
        CommandError,
        match="m.npz gives NaN or infinite scores for x.png: its weights W2 hold NaN or infinity",
    ):
        finite_scores(scores, model, "x.png", "m.npz")


def test_an_image_error_names_the_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save(from_spec(TINY, seed=0), tmp_path / "m.npz")
    np.save(tmp_path / "blank.npy", np.zeros((28, 28), np.uint8))
    status, err = _main(capsys, "predict", "m.npz", "blank.npy")
    assert status == 1
    _one_line(err, "tatamikomi predict: blank.npy: ", "blank")


# -- the API: clear messages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: layers.Conv2d(4, 4, 3, groups=0), "groups must be at least 1; got 0"),
        (
            lambda: layers.Conv2d(4, 6, 3, groups=4),
            "groups=4 must divide both the input channels, in_channels (4), and the number of "
            "filters, out_channels (6)",
        ),
        (lambda: layers.Conv2d(1, 4, 0), "kernel_size must be at least 1 in each direction"),
        (lambda: layers.Conv2d(0, 4, 3), "in_channels must be at least 1; got 0"),
        (lambda: layers.Conv2d(1, 0, 3), "out_channels must be at least 1; got 0"),
        (lambda: layers.Linear(4, 0), "out_features must be at least 1; got 0"),
        (lambda: layers.Linear(0, 4), "in_features must be at least 1; got 0"),
        (lambda: layers.Convolution(np.zeros((0, 1, 3, 3))), "at least one filter"),
        (lambda: layers.Convolution(np.zeros((2, 1, 3, 3)), groups=0), "groups must be at least 1"),
        (lambda: layers.Affine(np.zeros((4, 0))), "at least one input and one output"),
    ],
)
def test_layer_arguments_are_checked(make, expected):
    with pytest.raises(ValueError) as error:
        make()
    assert expected in str(error.value)


def test_empty_batches():
    """predict: an empty result (0, classes); loss, gradient, accuracy: a clear error."""
    model = from_spec(TINY, seed=0)
    empty, labels = np.zeros((0, 1, 28, 28), np.float32), np.zeros(0, int)
    scores = model.predict(empty)
    assert scores.shape == (0, 10) and scores.dtype == np.float32
    for method, args in (
        (model.loss, (empty, labels)),
        (model.gradient, (empty, labels)),
        (model.accuracy, (empty, labels)),
    ):
        with pytest.raises(
            ValueError, match="x holds 0 examples .* of an empty batch is undefined"
        ):
            method(*args)


def test_batch_norm_refuses_an_empty_training_batch_and_keeps_its_statistics():
    bn = layers.BatchNorm2d(3)
    bn.train(True)
    with pytest.raises(ValueError, match="the input holds 0 examples"):
        bn.forward(np.zeros((0, 3, 4, 4), np.float32))
    assert np.isfinite(bn.running_mean).all() and np.isfinite(bn.running_var).all()


def test_gradient_check_is_not_ok_for_nan_gradients():
    conv = layers.Conv2d(1, 1, 3, seed=0)
    conv.W[...] = np.nan
    result = gradcheck.gradient_check(conv, np.random.default_rng(0).random((1, 1, 4, 4)))
    assert not result.ok
    assert "MISMATCH" in str(result)


def test_import_book_of_an_empty_dict_says_so(tmp_path, capsys, monkeypatch):
    import pickle

    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.pkl").write_bytes(pickle.dumps({}))
    status, err = _main(capsys, "import-book", "params.pkl")
    assert status == 1
    _one_line(
        err,
        "tatamikomi import-book: params.pkl holds an empty dict: no weights to import",
        "save the trained network's params again",
    )
    assert "got dict" not in err and not (tmp_path / "params.npz").exists()
