#!/usr/bin/env bash
# CI: the package builds as an sdist and a wheel from a clean clone, passes `twine check`, and the
# wheel installs into a fresh virtual environment (no system site-packages: numpy and
# threadpoolctl come from the index) where `tatamikomi train --epochs 1` trains offline on the
# bundled mnist-mini and `tatamikomi serve`'s shipped model is present. About a minute.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m pip install --quiet --disable-pip-version-check build twine
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    git clone --quiet "$root" "$work/src"          # what is committed, nothing else
else
    cp -r "$root" "$work/src"
fi
python3 -m build --outdir "$work/dist" "$work/src" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
python3 -m twine check --strict "$work"/dist/*

python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$work"/dist/*.whl
cd "$work"   # not the checkout: the installed package must be the one that runs
TATAMIKOMI_OFFLINE=1 TATAMIKOMI_DATA="" XDG_CACHE_HOME="$work/cache" \
    "$work/venv/bin/tatamikomi" train --epochs 1 -o "$work/model.npz" -q
test -s "$work/model.npz"
"$work/venv/bin/python" - <<'PY'
from importlib import resources
import tatamikomi
assert (resources.files("tatamikomi.serve") / "models" / "simple_convnet_mnist.npz").is_file()
assert (resources.files("tatamikomi.data") / "mnist_mini" / "README.md").is_file()
assert "site-packages" in tatamikomi.__file__, tatamikomi.__file__
print("check_wheel: the wheel installs, trains one epoch on mnist-mini and ships its data")
PY
