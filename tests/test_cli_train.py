"""`tatamikomi train / evaluate / predict / summary / import-book`, run as a user runs them:
offline (TATAMIKOMI_OFFLINE=1), with a private cache, in a scratch folder."""

import os
import pickle
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from tatamikomi import load
from tatamikomi.data import load_dataset

from .builders import book_params
from .support import offline_env, run_cli


def tatamikomi(tmp, *args, timeout=300):
    return run_cli(*args, cwd=tmp, timeout=timeout)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`tatamikomi train` with its defaults but one epoch, on a machine without MNIST."""
    tmp = tmp_path_factory.mktemp("cli")
    result = tatamikomi(tmp, "train", "--epochs", "1")
    return tmp, result


def test_train_offline_falls_back_to_mnist_mini_and_says_so(trained):
    tmp, result = trained
    assert result.returncode == 0, result.stderr
    assert "Training on mnist-mini instead" in result.stderr
    assert "TATAMIKOMI_DATA" in result.stderr
    assert "epoch 1/1" in result.stderr
    assert result.stdout.startswith("test accuracy ") and "saved to model.npz" in result.stdout
    model = load(tmp / "model.npz")
    assert type(model).__name__ == "SimpleConvNet"
    assert model.preprocess["dataset"] == "mnist-mini" and model.history["epoch"] == [1]
    assert model.history["test_acc"][0] > 0.6


def test_train_refuses_to_overwrite(trained):
    tmp, _ = trained
    before = (tmp / "model.npz").read_bytes()
    result = tatamikomi(tmp, "train", "--epochs", "1")
    assert result.returncode == 1
    assert "model.npz already exists and was left as it is" in result.stderr
    assert "--force" in result.stderr and "--resume model.npz" in result.stderr
    assert (tmp / "model.npz").read_bytes() == before


def test_evaluate(trained):
    tmp, _ = trained
    result = tatamikomi(tmp, "evaluate", "model.npz")
    assert result.returncode == 0, result.stderr
    accuracy = load(tmp / "model.npz").history["test_acc"][-1]
    assert f"accuracy {accuracy:.2%}" in result.stdout
    assert "mnist-mini test set (1,000 images" in result.stdout
    assert result.stdout.count("(100 images)") == 10


def test_predict_png_pgm_npy(trained):
    tmp, _ = trained
    data = load_dataset("mnist-mini")
    pytest.importorskip("PIL")
    from PIL import Image

    paths = []
    for i in range(12):
        digit = data.x_test[i * 80, 0]
        if i % 3 == 0:  # a photo-like PNG: dark ink on white, larger
            big = Image.fromarray(255 - digit).resize((112, 112))
            path = tmp / f"digit{i}.png"
            big.save(path)
        elif i % 3 == 1:
            path = tmp / f"digit{i}.pgm"
            path.write_bytes(b"P5 28 28 255\n" + digit.tobytes())
        else:
            path = tmp / f"digit{i}.npy"
            np.save(path, digit)
        paths.append(path.name)
    result = tatamikomi(tmp, "predict", "model.npz", *paths)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 12
    predicted = [int(line.split(":")[1].split()[0]) for line in lines]
    truth = [int(data.t_test[i * 80]) for i in range(12)]
    assert sum(p == t for p, t in zip(predicted, truth)) >= 9
    assert "%" in lines[0]


def test_predict_bad_image_and_missing_model(trained):
    tmp, _ = trained
    (tmp / "notes.txt").write_text("not an image")
    result = tatamikomi(tmp, "predict", "model.npz", "notes.txt")
    assert result.returncode == 1
    assert "notes.txt: not a PNG, JPEG, PGM/PPM or .npy file" in result.stderr
    result = tatamikomi(tmp, "predict", "nothing.npz", "notes.txt")
    assert result.returncode == 1 and "model file nothing.npz does not exist" in result.stderr
    (tmp / "broken.npz").write_bytes((tmp / "model.npz").read_bytes()[:5000])
    result = tatamikomi(tmp, "evaluate", "broken.npz")
    assert result.returncode == 1 and "broken.npz is truncated or corrupt" in result.stderr


def test_summary_of_file_name_and_spec(trained):
    tmp, _ = trained
    result = tatamikomi(tmp, "summary", "model.npz")
    assert result.returncode == 0, result.stderr
    assert "Conv1" in result.stdout and "total parameters: 433,890" in result.stdout
    assert "epoch   loss" in result.stdout
    assert (
        "trained on mnist-mini: Adam (lr 0.003), cosine schedule, batch 100, 1 epoch, shifts of "
        "up to 2 px, seed 0" in result.stdout
    )
    assert "unfinished" not in result.stdout
    result = tatamikomi(tmp, "summary", "DeepConvNet")
    assert "total parameters: 123,552" in result.stdout
    result = tatamikomi(tmp, "summary", "LeNet")
    assert result.returncode == 1 and "unknown model 'LeNet'" in result.stderr


def test_import_book(tmp_path):
    with open(tmp_path / "params.pkl", "wb") as f:
        pickle.dump(book_params(True), f)
    result = tatamikomi(tmp_path, "import-book", "params.pkl")
    assert result.returncode == 0, result.stderr
    assert "imported the book's DeepConvNet from params.pkl into params.npz" in result.stdout
    assert type(load(tmp_path / "params.npz")).__name__ == "DeepConvNet"
    again = tatamikomi(tmp_path, "import-book", "params.pkl")
    assert again.returncode == 1 and "--force" in again.stderr
    with open(tmp_path / "evil.pkl", "wb") as f:
        f.write(b"cos\nsystem\n(S'echo hacked'\ntR.")
    result = tatamikomi(tmp_path, "import-book", "evil.pkl")
    assert result.returncode == 1 and "refused to load os.system" in result.stderr
    assert "hacked" not in result.stdout


def test_explicit_dataset_does_not_fall_back(tmp_path):
    result = tatamikomi(tmp_path, "train", "--dataset", "mnist", "--epochs", "1")
    assert result.returncode == 1
    assert "mnist was not found" in result.stderr and "mnist-mini" not in result.stderr


def test_ctrl_c_then_resume(tmp_path):
    spec = tmp_path / "tiny.json"
    spec.write_text(
        '{"input_shape": [1, 28, 28], "layers": [{"type": "Conv2d", "out_channels": 2, '
        '"kernel_size": 5, "stride": 3}, {"type": "ReLU"}, {"type": "Flatten"}, '
        '{"type": "Linear", "out_features": 10}]}'
    )
    command = [
        sys.executable,
        "-m",
        "tatamikomi",
        "train",
        "--model",
        "tiny.json",
        "--dataset",
        "mnist-mini",
        "--epochs",
        "40",
        "--batch-size",
        "20",
        "-o",
        "run.npz",
    ]
    process = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=offline_env(tmp_path),
        cwd=tmp_path,
    )
    for line in process.stderr:
        if line.startswith("epoch 1/40"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert err.count("training interrupted after") == 1  # said once, by the command
    assert "continue with: tatamikomi train --resume run.npz" in err
    continues_at = re.search(r"resuming continues at (epoch \d+, step \d+)", err).group(1)
    stopped = load(tmp_path / "run.npz").history["epoch"]
    assert 1 <= len(stopped) < 40
    result = tatamikomi(
        tmp_path,
        "train",
        "--resume",
        "run.npz",
        "--epochs",
        str(len(stopped) + 1),
    )
    assert result.returncode == 0, result.stderr
    assert f"resuming run.npz at {continues_at}\n" in result.stderr  # the same numbers
    assert "data: mnist-mini" in result.stderr and "instead" not in result.stderr  # its own data
    assert load(tmp_path / "run.npz").history["epoch"] == list(range(1, len(stopped) + 2))


def test_help_everywhere(tmp_path):
    commands = [("train",), ("evaluate",), ("predict",), ("summary",), ("import-book",)]
    commands += [("demo",), ("explain",), ("plot",)]
    commands += [("explain", what) for what in ("conv", "pool", "im2col", "shape")]
    kinds = ("filters", "feature-maps", "curves", "confusion", "errors", "im2col", "slide")
    commands += [("plot", what) for what in kinds]
    helps = {}
    for command in commands:
        result = tatamikomi(tmp_path, *command, "--help")
        assert result.returncode == 0 and "usage: tatamikomi" in result.stdout, command
        assert "(default: None)" not in result.stdout and "default: default" not in result.stdout
        helps[command] = " ".join(result.stdout.split())
    # defaults written one way, from the parser: "(default: X)"
    assert "images per forward pass (default: 500)" in helps[("evaluate",)]
    assert "model file (default: model.npz)" in helps[("train",)]
    assert "padding (default: 0)" in helps[("explain", "conv")]
    assert "learning rate (default: the model's recipe)" in helps[("train",)]


def test_resume_errors(trained):
    tmp, _ = trained
    result = tatamikomi(tmp, "train", "--resume", "missing.npz")
    assert result.returncode == 1 and "cannot resume: missing.npz does not exist" in result.stderr
    result = tatamikomi(tmp, "train", "--resume", "model.npz")  # its data: mnist-mini
    assert result.returncode == 1
    assert "model.npz has finished its 1 epoch; pass --epochs N (more than 1)" in result.stderr


def test_train_falls_back_when_every_download_fails(tmp_path, monkeypatch, capsys):
    """The path a fresh offline machine takes: a real download attempt that fails."""
    import dataclasses

    from tatamikomi import cli
    from tatamikomi.data import SOURCES

    closed = "http://127.0.0.1:9/"  # the discard port: nothing listens there
    monkeypatch.setitem(SOURCES, "mnist", dataclasses.replace(SOURCES["mnist"], mirrors=(closed,)))
    monkeypatch.delenv("TATAMIKOMI_OFFLINE", raising=False)
    monkeypatch.delenv("TATAMIKOMI_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    output = tmp_path / "m.npz"
    assert cli.main(["train", "--epochs", "1", "-o", str(output)]) == 0
    err = capsys.readouterr().err
    assert "could not be downloaded (127.0.0.1:9: Connection refused)" in err
    assert "Training on mnist-mini instead" in err
    assert load(output).preprocess["dataset"] == "mnist-mini"
    assert not any(name.endswith(".gz") for _, _, names in os.walk(tmp_path) for name in names)


@pytest.mark.parametrize(
    "arguments, expected",
    [
        ([], {"lr": 0.003, "epochs": 10, "augment_shift": 2}),
        (["--model", "DeepConvNet"], {"lr": 0.001, "epochs": 10, "augment_shift": 2}),
        (
            ["--model", "deepconvnet", "--lr", "0.01", "--epochs", "3", "--augment-shift", "0"],
            {"lr": 0.01, "epochs": 3, "augment_shift": 0},
        ),
        (["--augment-shift", "0", "--epochs", "2"], {"lr": 0.003, "epochs": 2, "augment_shift": 0}),
    ],
)
def test_each_model_has_its_recipe(tmp_path, monkeypatch, arguments, expected):
    trainer = _train_recorded(tmp_path, monkeypatch, *arguments)
    assert trainer.optimizer.lr == expected["lr"] and trainer.epochs == expected["epochs"]
    assert trainer.augment_shift == expected["augment_shift"]


def test_the_recipe_from_python_is_the_commands_run(trained):
    """`tatamikomi train --epochs 1` (offline: mnist-mini) and the same recipe from Python."""
    from tatamikomi.train import recipes

    tmp, _ = trained
    trainer = recipes.get("default").override(epochs=1).trainer(
        load_dataset("mnist-mini"), verbose=False
    )
    trainer.train()
    saved = load(tmp / "model.npz")
    assert type(trainer.network) is type(saved) and trainer.network.classes == saved.classes
    assert trainer.network.preprocess == saved.preprocess
    for key, value in saved.params.items():
        np.testing.assert_array_equal(trainer.network.params[key], value)
    assert trainer.history["test_acc"] == saved.history["test_acc"]


def _train_recorded(tmp_path, monkeypatch, *arguments):
    """`tatamikomi train ARGUMENTS` on mnist-mini with Trainer.train replaced: the Trainer."""
    from tatamikomi import cli
    from tatamikomi.train import Trainer

    built = []

    def record(self):
        built.append(self)
        self.history["test_acc"].append(0.5)
        return self.history

    monkeypatch.setattr(Trainer, "train", record)
    monkeypatch.setenv("TATAMIKOMI_OFFLINE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("TATAMIKOMI_DATA", raising=False)
    output = str(tmp_path / "m.npz")
    assert cli.main(["train", "-q", "-o", output, "--dataset", "mnist-mini", *arguments]) == 0
    return built[0]


def test_optimizer_names_in_any_case(tmp_path, monkeypatch):
    from tatamikomi.optim import Adam, RMSprop

    assert type(_train_recorded(tmp_path, monkeypatch, "--optimizer", "Adam").optimizer) is Adam
    trainer = _train_recorded(tmp_path, monkeypatch, "--optimizer", "RMSProp", "--force")
    assert type(trainer.optimizer) is RMSprop


@pytest.mark.parametrize(
    "arguments, expected",
    [
        (["--epochs", "0"], "--epochs must be at least 1; got 0"),
        (["--batch-size", "0"], "--batch-size must be at least 1; got 0"),
        (["--lr", "0"], "--lr must be a finite number in (0, inf); got 0.0"),
        (["--lr", "inf"], "--lr must be a finite number in (0, inf); got inf"),
        (["--weight-decay", "nan"], "--weight-decay must be a finite number in [0, inf); got nan"),
        (["--seed", "-1"], "--seed must be at least 0; got -1"),
        (["--augment-shift", "-1"], "--augment-shift must be at least 0; got -1"),
        (["--model", "Foo"], "unknown model 'Foo'; choose SimpleConvNet, DeepConvNet"),
        (["--model", "missing.json"], "model spec file missing.json does not exist"),
        (["-o", "no/such/folder/m.npz"], "no/such/folder does not exist; create it first"),
        (["-o", "."], "is a folder; give a file name"),
        (["-o", "existing.npz"], "existing.npz already exists and was left as it is"),
        (["-o", os.devnull], f"{os.devnull} is not a regular file"),
        (["--resume", "existing.npz", "--epochs", "0"], "--epochs must be at least 1; got 0"),
    ],
)
def test_train_checks_before_the_data(tmp_path, monkeypatch, capsys, arguments, expected):
    """Each mistake is one line, exit 1, before any data is loaded or downloaded."""
    from tatamikomi import cli

    def no_data(*args, **kwargs):
        raise AssertionError("the data were loaded before the arguments were checked")

    monkeypatch.setattr(cli.train, "load_dataset", no_data)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing.npz").write_bytes(b"precious")
    assert cli.main(["train", *arguments]) == 1
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1 and err.startswith("tatamikomi train: ")
    assert (tmp_path / "existing.npz").read_bytes() == b"precious"


@pytest.mark.skipif(os.name != "posix", reason="folder permissions are POSIX's")
def test_train_refuses_a_read_only_folder(tmp_path, monkeypatch, capsys):
    from tatamikomi import cli

    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    if os.geteuid() == 0:  # root may write anywhere: let the folder say no as it would to a user
        access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: access(p, mode) and p != str(folder))
    try:
        assert cli.main(["train", "-o", str(folder / "m.npz")]) == 1
    finally:
        folder.chmod(0o700)
    assert "permission denied" in capsys.readouterr().err


def test_an_unfinished_checkpoint_says_so(tmp_path, monkeypatch, capsys):
    from tatamikomi import cli
    from tatamikomi.train import Callback, recipes

    class StopAtFive(Callback):
        def on_step_end(self, trainer, step, logs):
            trainer.stop_training = step == 5

    spec = tmp_path / "tiny.json"
    spec.write_text(
        '{"input_shape": [1, 28, 28], "layers": [{"type": "Conv2d", "out_channels": 2, '
        '"kernel_size": 5, "stride": 3}, {"type": "Flatten"}, {"type": "Linear", '
        '"out_features": 10}]}'
    )
    path = str(tmp_path / "part.npz")
    recipe = recipes.get(str(spec)).override(epochs=2)
    recipe.trainer(
        load_dataset("mnist-mini"), checkpoint=path, verbose=False, callbacks=[StopAtFive()]
    ).train()
    assert cli.main(["summary", path]) == 0
    expected = (
        f"unfinished: 0 of 2 epochs done, 5 steps into the next; continue with: tatamikomi "
        f"train --resume {path}"
    )
    assert expected in capsys.readouterr().out
    monkeypatch.setenv("TATAMIKOMI_OFFLINE", "1")
    assert cli.main(["evaluate", path]) == 0
    assert f"note: {path} is {expected}" in capsys.readouterr().err


def test_evaluate_offline_suggests_the_bundled_subset(tmp_path, monkeypatch, capsys):
    from tatamikomi import SimpleConvNet, cli, save

    model = SimpleConvNet(seed=0)
    model.preprocess = {"divide_by": 255, "dataset": "mnist"}
    save(model, tmp_path / "full.npz")
    monkeypatch.setenv("TATAMIKOMI_OFFLINE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TATAMIKOMI_DATA", raising=False)
    status = cli.main(["evaluate", str(tmp_path / "full.npz")])
    err = capsys.readouterr().err
    if status == 0:
        pytest.skip("this machine has MNIST in a system folder")
    assert status == 1 and "mnist was not found" in err
    assert "Or use the 1,000 test images bundled with tatamikomi: --dataset mnist-mini" in err


def test_train_on_channels_last_images_says_how_to_fix_them(tmp_path, monkeypatch, capsys):
    from tatamikomi import cli

    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (60, 28, 28, 1), dtype=np.uint8)  # as image libraries give
    path = tmp_path / "nhwc.npz"
    labels = rng.integers(0, 10, 60)
    np.savez(path, x_train=images[:50], t_train=labels[:50], x_test=images[50:], t_test=labels[50:])
    output = tmp_path / "m.npz"
    assert cli.main(["train", "-q", "--dataset", str(path), "-o", str(output)]) == 1
    err = capsys.readouterr().err
    assert "x_train has shape (50, 28, 28, 1), which looks like (N, H, W, C)" in err
    assert ".transpose(0, 3, 1, 2)" in err and not output.exists()
