"""The known datasets and where their files are: the :class:`Source` table (file names, md5
checksums, mirrors, class names, credit), the names a dataset is asked for by, the user cache
(:func:`cache_dir`), ``$TATAMIKOMI_OFFLINE`` (:func:`offline`), and a folder's IDX files found
by name (``.gz`` or not)."""

from __future__ import annotations

import dataclasses
import os

from .errors import DataError
from .. import i18n

ROLES = ("train_images", "train_labels", "test_images", "test_labels")
#: the files of the test set alone (what showing or measuring a trained model needs)
TEST_ROLES = ("test_images", "test_labels")
SPLITS = {None: ROLES, "test": TEST_ROLES}
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
MNIST_CREDIT = (
    "MNIST: Yann LeCun, Corinna Cortes and Christopher J. C. Burges, "
    "The MNIST database of handwritten digits, licensed CC BY-SA 3.0"
)


@dataclasses.dataclass(frozen=True)
class Source:
    """A known dataset: its four files' md5s, where to download them, its classes."""

    name: str
    md5s: dict  # role -> set of md5 (as served, .gz, and of the decompressed file)
    mirrors: tuple[str, ...]
    classes: tuple[str, ...]
    credit: str
    system_dirs: tuple[str, ...] = ()


SOURCES = {
    "mnist": Source(
        "mnist",
        {
            "train_images": {
                "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "6bbc9ace898e44ae57da46a324031adb",
            },
            "train_labels": {
                "d53e105ee54ea40749a09fcbcd1e9432",
                "a25bea736e30d166cdddb491f175f624",
            },
            "test_images": {"9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"},
            "test_labels": {"ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"},
        },
        (
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        tuple(str(i) for i in range(10)),
        MNIST_CREDIT,
    ),
    "fashion-mnist": Source(
        "fashion-mnist",
        {
            "train_images": {
                "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "f4a8712d7a061bf5bd6d2ca38dc4d50a",
            },
            "train_labels": {
                "25c81989df183df01b3e8a0aad5dffbe",
                "9018921c3c673c538a1fc5bad174d6f9",
            },
            "test_images": {"bef4ecab320f06d8554ea6380940ec79", "8181f5470baa50b63fa0f6fddb340f0a"},
            "test_labels": {"bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965"},
        },
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        "Fashion-MNIST: Han Xiao, Kashif Rasul and Roland Vollgraf (Zalando Research), MIT licence",
        ("/usr/share/datasets/fashion-mnist",),
    ),
}
MINI = "mnist-mini"
NAMES = (*SOURCES, MINI)


def cache_dir() -> str:
    """The user cache folder for downloaded data: ``$XDG_CACHE_HOME/tatamikomi`` or
    ``~/.cache/tatamikomi`` (``%LOCALAPPDATA%\\\\tatamikomi`` on Windows)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        base = os.environ.get("LOCALAPPDATA") if os.name == "nt" else None
        base = base or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tatamikomi")


def offline() -> bool:
    """True if ``$TATAMIKOMI_OFFLINE`` turns downloads off: 1, true, yes or on; 0, false, no,
    off or unset leave them on; anything else is a :class:`DataError`."""
    text = os.environ.get("TATAMIKOMI_OFFLINE", "")
    value = text.strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise i18n.error(DataError, "errors.sources_tatamikomi_offline_true", text=text)


def _find_files(directory: str, roles=ROLES) -> dict[str, str] | None:
    found = {}
    for role in roles:
        stem = FILES[role]
        for candidate in (stem, stem + ".gz"):
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                found[role] = path
                break
    return found if len(found) == len(roles) else None
