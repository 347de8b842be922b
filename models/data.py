"""MNIST from the four standard IDX .gz files, verified and held in memory as tensors."""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import torch

from models.threads import single_threaded

log = logging.getLogger("mogi.models.data")

# Mean and std of the training pixels scaled to [0, 1]; every experiment standardises with these
# unless it is the one showing what happens without.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

# md5 of the UNCOMPRESSED bytes: mirrors re-compress the files, their content never changes.
FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
_IMAGES_MAGIC = 0x00000803
_LABELS_MAGIC = 0x00000801


class MnistError(Exception):
    """MNIST is missing or corrupt; the message names the file and the setting to fix."""


@dataclass(frozen=True)
class Split:
    """One half of MNIST: raw pixels, standardised inputs and labels, all on the CPU."""

    pixels: torch.Tensor  # (N, 28, 28) uint8, as stored
    images: torch.Tensor  # (N, 1, 28, 28) float32, (x/255 - mean) / std
    labels: torch.Tensor  # (N,) int64

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass(frozen=True)
class Mnist:
    """The training and test splits."""

    train: Split
    test: Split


def _setting_hint(directory: Path) -> str:
    return (
        f"MOGI_MNIST_DIR is {str(directory)!r}; put the four MNIST .gz files there "
        "(or set MOGI_MNIST_DOWNLOAD=true on a machine that is online)"
    )


def read_idx(path: Path, expected_md5: str) -> torch.Tensor:
    """The uint8 array of one IDX .gz file, after checking its uncompressed md5 and header."""
    directory = path.parent
    if not path.is_file():
        raise MnistError(
            f"MNIST file {path.name} is missing from {directory}; " + _setting_hint(directory)
        )
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:
        raise MnistError(
            f"MNIST file {path} is not a readable gzip file ({exc}); " + _setting_hint(directory)
        ) from exc
    digest = hashlib.md5(raw, usedforsecurity=False).hexdigest()
    if digest != expected_md5:
        raise MnistError(
            f"MNIST file {path} is corrupt: md5 of its content is {digest}, expected "
            f"{expected_md5}; " + _setting_hint(directory)
        )
    return _parse_idx(raw)


def _parse_idx(raw: bytes) -> torch.Tensor:
    magic = int.from_bytes(raw[0:4], "big")
    ndim = magic & 0xFF
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    if magic not in (_IMAGES_MAGIC, _LABELS_MAGIC) or len(raw) != offset + _product(shape):
        raise MnistError(f"not an MNIST IDX file (magic {magic:#010x}, shape {shape})")
    # A bytearray is writable, so the tensor can share it without torch's read-only warning.
    data = torch.frombuffer(bytearray(raw), dtype=torch.uint8, offset=offset)
    return data.view(*shape)


def _product(shape: list[int]) -> int:
    total = 1
    for size in shape:
        total *= size
    return total


def _standardise(pixels: torch.Tensor) -> torch.Tensor:
    # (N, 28, 28) uint8 -> (N, 1, 28, 28) float32
    images = pixels.unsqueeze(1).to(torch.float32)
    return images.div_(255.0).sub_(MNIST_MEAN).div_(MNIST_STD)


def load_mnist(directory: Path | str, *, download: bool = False) -> Mnist:
    """Read and verify MNIST from `directory`, downloading the missing files first if allowed.

    The tensors are built on one thread, so a worker may fork training jobs from this process.
    """
    directory = Path(directory)
    if download:
        download_mnist(directory)
    arrays = {name: read_idx(directory / name, md5) for name, md5 in FILES.items()}
    with single_threaded():  # a worker forks jobs from this process
        return _make_mnist(arrays)


def _make_mnist(arrays: dict[str, torch.Tensor]) -> Mnist:
    return Mnist(
        train=_make_split(
            arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"]
        ),
        test=_make_split(arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]),
    )


def _make_split(pixels: torch.Tensor, labels: torch.Tensor) -> Split:
    return Split(pixels=pixels, images=_standardise(pixels), labels=labels.to(torch.int64))


def download_mnist(
    directory: Path, *, mirrors: tuple[str, ...] = MIRRORS, timeout: float = 60
) -> None:
    """Fetch each missing MNIST file from the first mirror that serves a verified copy."""
    for name, md5 in FILES.items():
        target = directory / name
        if target.is_file():
            continue
        directory.mkdir(parents=True, exist_ok=True)
        errors = []
        for mirror in mirrors:
            try:
                _download_one(mirror + name, target, md5, timeout)
                break
            except (OSError, MnistError) as exc:
                errors.append(f"{mirror}: {exc}")
        else:
            raise MnistError(f"could not download {name}: " + "; ".join(errors))


def _download_one(url: str, target: Path, md5: str, timeout: float) -> None:
    log.info("downloading MNIST", extra={"url": url})
    # Write beside the target and rename only once verified, so a broken download never sits
    # where the loader would find it.
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        read_idx(tmp, md5)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
