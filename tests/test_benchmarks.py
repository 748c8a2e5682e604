"""The benchmark scripts still run (tiny settings; their timings are not checked)."""

import pathlib
import subprocess
import sys

import pytest

from .support import SRC

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"


def run(script, *args):
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "TATAMIKOMI_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_profile_layers_reports_every_layer():
    result = run("profile_layers.py", "--steps", "3")
    assert result.returncode == 0, result.stderr
    for name in ("Conv1 forward", "Conv1 backward", "Pool1 forward", "Adam update"):
        assert name in result.stdout
    assert "inference of 1,000 images" in result.stdout


def test_engine_benchmark_runs_one_case():
    pytest.importorskip("torch")
    result = run("bench_engine.py", "--only", "(a)", "--rounds", "1", "--no-book")
    assert result.returncode == 0, result.stderr
    assert "machine limit" in result.stdout and "GFLOP/s ours" in result.stdout


def test_studio_benchmark_runs():
    result = run("bench_studio.py", "--rounds", "1")
    assert result.returncode == 0, result.stderr
    assert "DeepConvNet" in result.stdout and "while training" in result.stdout


CLASS = ("--students", "2", "--minutes", "0.1", "--think", "0.1", "--digits", "2")


def test_classroom_benchmark_runs():
    result = run(
        "bench_classroom.py", *CLASS, "--runs", "1", "--sse-readers", "1", "--slow-clients", "3"
    )
    assert result.returncode == 0, result.stderr
    for line in ("POST /api/layers", "POST /api/explain", "server RSS", "BLAS", "slow 'idle'"):
        assert line in result.stdout


def test_classroom_benchmark_runs_on_asgi():
    pytest.importorskip("uvicorn")
    pytest.importorskip("starlette")
    result = run("bench_classroom.py", *CLASS, "--server", "asgi", "--payload", "pixels")
    assert result.returncode == 0, result.stderr
    assert "POST /api/predict" in result.stdout and "server: asgi" in result.stdout


def test_batching_benchmark_runs():
    result = run("bench_batching.py", "--rounds", "1")
    assert result.returncode == 0, result.stderr
    assert "batch of 16" in result.stdout and "api.layers, pixels" in result.stdout


def test_classroom_benchmark_runs_a_class():
    args = (
        "--classroom",
        "--runs",
        "2",
        "--class-run",
        "--sse-readers",
        "1",
        "--prompt-every",
        "2",
    )
    result = run("bench_classroom.py", *CLASS, "--payload", "pixels", *args)
    assert result.returncode == 0, result.stderr
    for line in ("(classroom)", "GET /api/class", "POST /api/join", "runs:", "instructor's view"):
        assert line in result.stdout


def test_attribution_sanity_benchmark_runs():
    result = run("bench_attribution_sanity.py", "--images", "2", "--steps", "5")
    assert result.returncode == 0, result.stderr
    for name in ("gradient", "smoothgrad", "grad-cam", "occlusion", "edges", "-Conv1"):
        assert name in result.stdout
