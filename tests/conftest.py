"""Test configuration and the fixtures several test files share.

- hypothesis: reproducible randomised tests in CI, exploring ones elsewhere;
- ``http_folder``: a local HTTP server over a temporary folder (downloads, mirrors);
- ``cli``: ``python -m tatamikomi`` run as a user runs it, offline, in a temporary folder;
- ``child_peak_mb``: the peak memory of a hostile input, measured in a child process;
- the studio: ``model`` (the pretrained SimpleConvNet), ``mini`` (mnist-mini), ``studio`` (a
  Studio with that model, saving into ``tmp_path``) and ``url`` (the port it serves on while the
  test runs); ``studio_client.py`` sends it requests.

The paths (``ROOT``, ``SRC``, ``SHARED_DATA``), the command runner and the English-word checks
live in ``support.py`` under public names, for the module-level helpers that cannot take a
fixture; what tests build (specs, toy data, trainers) in ``builders.py``. A test file imports
from these modules, never from another test file."""

import functools
import http.server
import os
import subprocess
import sys
import threading

import pytest
from hypothesis import settings

from .memory_probe import PEAK_KB
from .support import SRC, offline_env, run_cli

# In CI the same examples run every time (a failure reproduces); locally hypothesis explores.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")



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


@pytest.fixture
def http_folder(tmp_path):
    """``(root, url)``: an HTTP server on 127.0.0.1 serving the new folder ``tmp_path/www``
    (``root``) at ``url`` (no trailing slash); a file written into ``root`` is downloadable."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def cli(tmp_path):
    """``cli(*args, timeout=120, **env) -> CompletedProcess``: ``python -m tatamikomi ARGS`` in
    ``tmp_path``, offline, with no data folder and its cache in ``tmp_path`` (``env`` adds to
    that environment)."""

    def run(*args, timeout=120, **env):
        return run_cli(*args, cwd=tmp_path, env=offline_env(tmp_path, **env), timeout=timeout)

    return run


# ---------------------------------------------------------------------------------------------
# The studio (test_serve_api, test_hostile_serve)


@pytest.fixture(scope="module")
def model():
    from tatamikomi.serve import api

    return api.default_model()


@pytest.fixture(scope="module")
def mini():
    from tatamikomi.data import load_dataset

    return load_dataset("mnist-mini")


@pytest.fixture
def studio(model, tmp_path):
    from tatamikomi.serve import api, server

    return server.Studio(
        [("SimpleConvNet (MNIST)", model, "pretrained", api.pretrained_path())],
        save_dir=str(tmp_path),
    )


@pytest.fixture
def url(studio):
    from tatamikomi.serve import server

    with server.running(studio) as running:
        yield running.server_address[1]
