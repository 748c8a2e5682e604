"""`tatamikomi train / evaluate / predict / summary / import-book`, run as a user runs them:
offline (TATAMIKOMI_OFFLINE=1), with a private cache, in a scratch folder."""

import os
import pickle
import signal
import subprocess
import sys

import numpy as np
import pytest

from tatamikomi import load
from tatamikomi.data import load_dataset

from .test_cli import SRC
from .test_io import _book_params


def _env(tmp):
    return dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
        TATAMIKOMI_OFFLINE="1",
        XDG_CACHE_HOME=str(tmp / "cache"),
        TATAMIKOMI_DATA="",
    )


def tatamikomi(tmp, *args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "tatamikomi", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(tmp),
        cwd=tmp,
    )


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
    result = tatamikomi(tmp, "summary", "DeepConvNet")
    assert "total parameters: 123,552" in result.stdout
    result = tatamikomi(tmp, "summary", "LeNet")
    assert result.returncode == 1 and "unknown model 'LeNet'" in result.stderr


def test_import_book(tmp_path):
    with open(tmp_path / "params.pkl", "wb") as f:
        pickle.dump(_book_params(True), f)
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
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    for line in process.stderr:
        if line.startswith("epoch 1/40"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "training interrupted after" in err
    assert "continue with: tatamikomi train --resume run.npz" in err
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
    assert "resuming run.npz at epoch" in result.stderr
    assert "data: mnist-mini" in result.stderr and "instead" not in result.stderr  # its own data
    assert load(tmp_path / "run.npz").history["epoch"] == list(range(1, len(stopped) + 2))


def test_help_everywhere(tmp_path):
    commands = [("train",), ("evaluate",), ("predict",), ("summary",), ("import-book",)]
    commands += [("demo",), ("explain",), ("plot",)]
    commands += [("explain", what) for what in ("conv", "pool", "im2col", "shape")]
    kinds = ("filters", "feature-maps", "curves", "confusion", "errors", "im2col", "slide")
    commands += [("plot", what) for what in kinds]
    for command in commands:
        result = tatamikomi(tmp_path, *command, "--help")
        assert result.returncode == 0 and "usage: tatamikomi" in result.stdout, command


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
    assert "could not download" in err and "127.0.0.1:9" in err
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
    trainer = built[0]
    assert trainer.optimizer.lr == expected["lr"] and trainer.epochs == expected["epochs"]
    assert trainer.augment_shift == expected["augment_shift"]
