"""tatamikomi.train beyond the book: train_step() without arguments, fit(), the callback
protocol (every step's logs, stopping, pausing) and the one progress bar."""

import io
import threading
import time

import numpy as np
import pytest

from tatamikomi import _progress, from_spec
from tatamikomi.models import load_checkpoint
from tatamikomi.train import (
    Callback,
    ProgressBar,
    Trainer,
    TrainingDiverged,
    TrainingInterrupted,
    fit,
)

from .builders import SMALL_SPEC, small_data, small_trainer

STEP_KEYS = {"loss", "epoch", "step", "lr"}
EPOCH_KEYS = {"loss", "train_acc", "test_acc", "seconds", "lr"}


class Recorder(Callback):
    """Records every call; stops training after ``stop_at`` steps."""

    def __init__(self, stop_at=None):
        self.calls, self.stop_at = [], stop_at

    def on_train_begin(self, trainer):
        self.calls.append(("train_begin",))

    def on_epoch_begin(self, trainer, epoch):
        self.calls.append(("epoch_begin", epoch))

    def on_step_end(self, trainer, step, logs):
        self.calls.append(("step", step, dict(logs)))
        if step == self.stop_at:
            trainer.stop_training = True

    def on_epoch_end(self, trainer, epoch, logs):
        self.calls.append(("epoch_end", epoch, dict(logs)))

    def on_train_end(self, trainer, logs):
        self.calls.append(("train_end", dict(logs)))


def _same_run(first, second):
    assert first.train_loss_list == second.train_loss_list
    for key in first.network.params:
        np.testing.assert_array_equal(first.network.params[key], second.network.params[key])


def test_train_step_takes_no_arguments_and_is_what_train_does():
    reference = small_trainer(seed=2, epochs=2, schedule="cosine", augment_shift=1)
    reference.train()
    stepped = small_trainer(seed=2, epochs=2, schedule="cosine", augment_shift=1)
    losses = [stepped.train_step() for _ in range(2 * stepped.steps_per_epoch)]
    assert all(isinstance(loss, float) for loss in losses)
    assert losses == reference.train_loss_list
    assert stepped.current_epoch == 2 and stepped.history["epoch"] == [1, 2]
    assert stepped.history["test_acc"] == reference.history["test_acc"]
    _same_run(stepped, reference)


def test_fit_is_one_line_and_the_same_as_the_trainer():
    x, t = small_data()
    x_test, t_test = small_data(30, seed=1)
    model = from_spec(SMALL_SPEC, seed=0)
    history = fit(
        model, x, t, validation_data=(x_test, t_test), epochs=3, batch_size=16, lr=0.01, seed=4,
        verbose=False,
    )
    reference = small_trainer(seed=4)  # adam, lr 0.01, batch 16, 3 epochs
    reference.train()
    assert history["epoch"] == [1, 2, 3]
    for key in ("loss", "train_acc", "test_acc", "lr"):
        assert history[key] == reference.history[key]
    for key in model.params:
        np.testing.assert_array_equal(model.params[key], reference.network.params[key])
    assert model.history is history


def test_callbacks_see_every_step_with_the_documented_logs():
    recorder = Recorder()
    trainer = small_trainer(seed=0, epochs=2, schedule="cosine", callbacks=[recorder])
    trainer.train()
    steps = [call for call in recorder.calls if call[0] == "step"]
    assert [step for _, step, _ in steps] == list(range(1, 13))  # 2 epochs of 6 steps
    for _, step, logs in steps:
        assert set(logs) == STEP_KEYS and logs["step"] == step
        assert logs["loss"] == trainer.train_loss_list[step - 1]
        assert logs["epoch"] == (step - 1) // 6 + 1
        assert logs["lr"] == trainer.schedule(step - 1)
    kinds = [call[0] for call in recorder.calls]
    assert kinds == ["train_begin"] + (["epoch_begin"] + ["step"] * 6 + ["epoch_end"]) * 2 + [
        "train_end"
    ]
    ends = [call for call in recorder.calls if call[0] == "epoch_end"]
    for (_, epoch, logs), index in zip(ends, (0, 1)):
        assert set(logs) == EPOCH_KEYS and epoch == index + 1
        for key in EPOCH_KEYS:
            assert logs[key] == trainer.history[key][index]
    assert recorder.calls[-1][1] == {
        "epoch": 2,
        "step": 12,
        "test_acc": trainer.history["test_acc"][-1],
        "status": "finished",
    }


def test_a_callback_stops_training_and_the_checkpoint_resumes_exactly(tmp_path):
    options = dict(seed=7, epochs=3, augment_shift=1, schedule="cosine")
    reference = small_trainer(**options)
    reference.train()

    path = tmp_path / "run.npz"
    recorder = Recorder(stop_at=8)  # epoch 2, step 2
    trainer = small_trainer(checkpoint=path, callbacks=[recorder], **options)
    history = trainer.train()  # returns normally
    assert history["epoch"] == [1] and trainer.global_step == 8
    assert recorder.calls[-1][1]["status"] == "stopped"
    assert [c[1] for c in recorder.calls if c[0] == "step"] == list(range(1, 9))

    model, training = load_checkpoint(path)
    assert training["meta"]["state"]["global_step"] == 8
    x, t = small_data()
    x_test, t_test = small_data(30, seed=1)
    resumed = Trainer.resume(path, x, t, x_test, t_test, verbose=False)
    assert (resumed.current_epoch, resumed.step_in_epoch) == (1, 2)
    resumed.train()
    _same_run(resumed, reference)
    assert resumed.history["test_acc"] == reference.history["test_acc"]


def test_a_blocking_callback_pauses_training():
    pause_at = 3
    paused, go_on = threading.Event(), threading.Event()
    steps = []

    class Pause(Callback):
        def on_step_end(self, trainer, step, logs):
            steps.append(step)
            if step == pause_at:
                paused.set()
                go_on.wait(timeout=60)

    trainer = small_trainer(seed=0, epochs=1, callbacks=[Pause()])
    worker = threading.Thread(target=trainer.train)  # not the main thread: no Ctrl-C handler
    worker.start()
    assert paused.wait(timeout=60)
    time.sleep(0.2)  # a trainer that did not wait would have gone on meanwhile
    assert steps == [1, 2, 3] and trainer.global_step == pause_at
    go_on.set()
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert steps == list(range(1, 7)) and trainer.history["epoch"] == [1]


def test_progress_line():
    assert _progress.progress_line("epoch 1/2", 0, 6, "x") == "epoch 1/2 [" + "." * 24 + "] x"
    assert _progress.progress_line("a", 3, 6, "x") == "a [" + "#" * 12 + "." * 12 + "] x"
    assert _progress.progress_line("a", 6, 6) == "a [" + "#" * 24 + "] "
    assert _progress.progress_line("a", 9, 6) == "a [" + "#" * 24 + "] "  # never past the end
    assert _progress.progress_line("  x.gz", 5, None, "5.0 MB") == "  x.gz 5.0 MB"  # no size


def test_training_and_downloads_draw_the_same_bar(monkeypatch):
    from tatamikomi.data import download

    drawn = []
    original = _progress.progress_line

    def spy(label, done, total, detail=""):
        drawn.append((label, done, total))
        return original(label, done, total, detail)

    monkeypatch.setattr(_progress, "progress_line", spy)
    stream = io.StringIO()
    download._progress("t10k.gz", 5_000_000, 10_000_000, time.perf_counter(), stream)
    assert drawn == [("  t10k.gz", 5_000_000, 10_000_000)]
    assert stream.getvalue().startswith("\r  t10k.gz [" + "#" * 12 + "." * 12 + "]   5.0/10.0 MB")

    stream = io.StringIO()
    trainer = small_trainer(seed=0, epochs=1, callbacks=[ProgressBar(stream, bar=True)])
    trainer.train()
    assert drawn[1] == ("epoch 1/1", 1, 6)  # the first step is always drawn
    assert all(label == "epoch 1/1" and total == 6 for label, _, total in drawn[1:])
    assert "\repoch 1/1 [" + "#" * 4 + "." * 20 + "] 1/6  loss " in stream.getvalue()


def test_epoch_seconds_include_the_evaluation(monkeypatch):
    """With a fake clock: a step takes 1 s, each accuracy measurement 5 s."""
    clock = [0.0]
    monkeypatch.setattr(time, "perf_counter", lambda: clock[0])
    stream = io.StringIO()
    trainer = small_trainer(seed=0, epochs=1, callbacks=[ProgressBar(stream, bar=False)])
    gradient, accuracy = trainer.network.gradient, trainer.network.accuracy

    def step(x, t):
        clock[0] += 1.0
        return gradient(x, t)

    def measure(*args):
        clock[0] += 5.0
        return accuracy(*args)

    trainer.network.gradient, trainer.network.accuracy = step, measure
    trainer.train()
    assert trainer.history["seconds"] == [16.0]  # 6 steps + 2 measurements
    assert "16.0 s (6.0 s training at 15 images/s, 10.0 s evaluation)" in stream.getvalue()


def test_the_divergence_guard_runs_before_the_users_callbacks():
    seen = []

    class Spy(Callback):
        def on_step_end(self, trainer, step, logs):
            seen.append(logs["loss"])

    trainer = small_trainer(
        seed=0, optimizer="sgd", optimizer_param={"lr": 1e30}, callbacks=[Spy()]
    )
    with pytest.raises(TrainingDiverged):
        trainer.train()
    assert all(np.isfinite(seen))  # the guard runs first: no callback sees a NaN loss


@pytest.mark.parametrize("stop_at, where", [(6, "after epoch 1"), (9, "after step 3/6 of epoch 2")])
def test_ctrl_c_in_any_step_resumes_exactly(tmp_path, stop_at, where):
    """request_stop() is what the first Ctrl-C does; in an epoch's last step too."""
    options = dict(seed=3, epochs=2, schedule="cosine")
    reference = small_trainer(**options)
    reference.train()

    class CtrlCAt(Callback):
        def on_step_end(self, trainer, step, logs):
            if step == stop_at:
                trainer.request_stop()

    path = tmp_path / "run.npz"
    trainer = small_trainer(checkpoint=path, callbacks=[CtrlCAt()], **options)
    with pytest.raises(TrainingInterrupted, match=where):
        trainer.train()
    x, t = small_data()
    x_test, t_test = small_data(30, seed=1)
    stream, recorder = io.StringIO(), Recorder()
    callbacks = [ProgressBar(stream, bar=True), recorder]
    resumed = Trainer.resume(path, x, t, x_test, t_test, verbose=False, callbacks=callbacks)
    assert resumed.global_step == stop_at
    resumed.train()
    assert recorder.calls[1] == ("epoch_begin", 2)  # mid-epoch too, for the progress bar
    assert "epoch 2/2  loss" in stream.getvalue()
    _same_run(resumed, reference)
    assert resumed.history["test_acc"] == reference.history["test_acc"]


def test_the_progress_lines_and_the_ctrl_c_message_speak_the_language_asked(tmp_path):
    class CtrlCAt(Callback):
        def on_step_end(self, trainer, step, logs):
            if step == 9:
                trainer.request_stop()

    stream = io.StringIO()
    options = dict(seed=3, epochs=2, checkpoint=tmp_path / "run.npz", lang="ja")
    bar = ProgressBar(stream, bar=True, lang="ja")
    trainer = small_trainer(callbacks=[CtrlCAt(), bar], **options)
    with pytest.raises(TrainingInterrupted) as stop:
        trainer.train()
    assert str(stop.value).startswith("学習を中断しました(エポック 2 のステップ 3/6 の後)。")
    assert "再開するとエポック 2 のステップ 4 から続きます" in str(stop.value)
    assert "エポック 1/2  損失 " in stream.getvalue() and "loss" not in stream.getvalue()
    with pytest.raises(ValueError, match="there is no catalog for the language"):
        ProgressBar(lang="fr")
