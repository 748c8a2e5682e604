"""Test configuration: reproducible randomised tests in CI, exploring ones elsewhere."""

import os

from hypothesis import settings

# In CI the same examples run every time (a failure reproduces); locally hypothesis explores.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
