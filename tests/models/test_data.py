"""The MNIST loader: checksums of the content, clear errors, downloads that never leave junk."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
import torch

from models.data import FILES, MnistError, download_mnist, load_mnist, read_idx
from tests.conftest import MNIST_DIR

pytestmark = pytest.mark.shared("mnist")


def test_loads_verified_tensors(mnist) -> None:  # noqa: ANN001
    assert mnist.train.images.shape == (60000, 1, 28, 28)
    assert mnist.train.images.dtype == torch.float32
    assert mnist.train.pixels.shape == (60000, 28, 28)
    assert mnist.train.pixels.dtype == torch.uint8
    assert mnist.test.labels[:5].tolist() == [7, 2, 1, 0, 4]
    assert torch.bincount(mnist.train.labels).tolist()[0] == 5923
    # standardised with the training set's own statistics
    assert mnist.train.images.mean().item() == pytest.approx(0.0, abs=1e-3)
    assert mnist.train.images.std().item() == pytest.approx(1.0, abs=1e-3)
    assert int(mnist.test.pixels.max()) == 255


def _mirror(tmp_path: Path, skip: str | None = None) -> Path:
    """A directory with links to the real files (cheap), except `skip`."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in FILES:
        if name != skip:
            (folder / name).symlink_to(MNIST_DIR / name)
    return folder


def _write_gz(path: Path, content: bytes) -> None:
    path.write_bytes(gzip.compress(content))


def test_missing_file_names_the_file_and_the_setting(tmp_path: Path) -> None:
    folder = _mirror(tmp_path, skip="t10k-labels-idx1-ubyte.gz")
    with pytest.raises(MnistError) as caught:
        load_mnist(folder)
    message = str(caught.value)
    assert "t10k-labels-idx1-ubyte.gz is missing" in message
    assert "MOGI_MNIST_DIR" in message and str(folder) in message


def test_corrupted_copy_is_rejected(tmp_path: Path) -> None:
    name = "t10k-labels-idx1-ubyte.gz"
    folder = _mirror(tmp_path, skip=name)
    content = bytearray(gzip.decompress((MNIST_DIR / name).read_bytes()))
    content[100] = (content[100] + 1) % 10  # one label changed: still a valid IDX file
    _write_gz(folder / name, bytes(content))
    with pytest.raises(MnistError, match=rf"{name} is corrupt: md5 of its content"):
        load_mnist(folder)


def test_recompressed_copy_is_accepted(tmp_path: Path) -> None:
    # Mirrors re-compress the files; only the uncompressed content is checked.
    name = "t10k-labels-idx1-ubyte.gz"
    _write_gz(tmp_path / name, gzip.decompress((MNIST_DIR / name).read_bytes()))
    assert read_idx(tmp_path / name, FILES[name]).shape == (10000,)


def test_not_gzip_is_rejected(tmp_path: Path) -> None:
    name = "t10k-labels-idx1-ubyte.gz"
    (tmp_path / name).write_bytes(b"<html>not found</html>")
    with pytest.raises(MnistError, match="not a readable gzip file"):
        read_idx(tmp_path / name, FILES[name])


def test_wrong_header_is_rejected(tmp_path: Path) -> None:
    content = b"\x00\x00\x08\x01\x00\x00\x00\x05abc"  # says 5 labels, holds 3
    _write_gz(tmp_path / "x.gz", content)
    with pytest.raises(MnistError, match="not an MNIST IDX file"):
        read_idx(tmp_path / "x.gz", hashlib.md5(content).hexdigest())


def test_download_fetches_missing_files_from_a_mirror(tmp_path: Path) -> None:
    # A file:// mirror exercises the download path without any network.
    target = _mirror(tmp_path, skip="train-labels-idx1-ubyte.gz")
    download_mnist(target, mirrors=(MNIST_DIR.as_uri() + "/",))
    fetched = target / "train-labels-idx1-ubyte.gz"
    assert fetched.is_file() and not fetched.is_symlink()
    assert fetched.read_bytes() == (MNIST_DIR / "train-labels-idx1-ubyte.gz").read_bytes()
    assert sorted(p.name for p in target.iterdir()) == sorted(FILES)


def test_a_corrupt_download_leaves_nothing_behind(tmp_path: Path) -> None:
    name = "t10k-labels-idx1-ubyte.gz"
    bad_mirror = tmp_path / "bad"
    bad_mirror.mkdir()
    _write_gz(bad_mirror / name, b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")
    target = _mirror(tmp_path, skip=name)
    with pytest.raises(MnistError, match=f"could not download {name}"):
        download_mnist(target, mirrors=(bad_mirror.as_uri() + "/",))
    assert sorted(p.name for p in target.iterdir()) == sorted(set(FILES) - {name})
