"""Test configuration: reproducible randomised tests in CI, exploring ones elsewhere."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from .memory_probe import PEAK_KB

# In CI the same examples run every time (a failure reproduces); locally hypothesis explores.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


SRC = Path(__file__).resolve().parents[1] / "src"


def _child_peak_mb(code: str, *, timeout: float = 120) -> tuple[float, str]:
    """Run ``code`` after importing tatamikomi in a fresh Python; return the growth of its peak
    RSS in MB over the import alone, and what it printed (an exception is printed as
    ``Name message``, not raised)."""
    program = (
        "import sys\n"
        + PEAK_KB
        + f"sys.path.insert(0, {str(SRC)!r})\n"
        "import tatamikomi, tatamikomi.models\n"
        "base = peak_kb()\n"
        "try:\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "except Exception as error:\n"
        "    print(type(error).__name__, error)\n"
        "peak = peak_kb()\n"
        "print('GROWTH_KB', peak - base)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=timeout
    )
    assert "GROWTH_KB" in result.stdout, result.stderr
    growth = int(result.stdout.rsplit("GROWTH_KB", 1)[1])
    return growth / 1024, result.stdout


@pytest.fixture
def child_peak_mb():
    """``child_peak_mb(code) -> (growth_mb, printed)``: hostile inputs that would allocate
    gigabytes run in a child process whose peak memory is measured (no wall-clock assertion)."""
    return _child_peak_mb
