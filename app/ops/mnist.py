"""`mogi mnist fetch|check`, and the message a worker gives while MNIST is missing."""

from __future__ import annotations

import sys
from pathlib import Path

from app.config import get_settings


def missing_files(directory: Path) -> list[str]:
    """The MNIST files not (yet) in directory, by name."""
    from models.data import FILES

    return [name for name in FILES if not (directory / name).is_file()]


def missing_message(directory: Path, retry_s: float | None = None) -> str:
    """What a self-hoster must do, naming every missing file and where it goes."""
    missing = missing_files(directory)
    if not missing:
        return ""
    where = (
        f"MNIST files missing from {directory} (MOGI_MNIST_DIR): {', '.join(missing)}. "
        "Put them there (in containers: the mnist volume, e.g. "
        "`docker compose cp ./mnist/. worker:/data/mnist/`), "
        "or run `mogi mnist fetch` where the internet is reachable"
    )
    return where + (f"; looking again every {retry_s:g} s" if retry_s else "")


def fetch_command(directory: str | None) -> int:
    """Download and verify the missing MNIST files; 0 when all four are in place."""
    from models.data import MnistError, download_mnist, load_mnist

    target = Path(directory) if directory else get_settings().mnist_dir
    try:
        download_mnist(target)
        load_mnist(target)
    except MnistError as exc:
        print(f"mogi mnist fetch: {exc}", file=sys.stderr)
        return 1
    print(f"MNIST is ready in {target}", file=sys.stderr)
    return 0


def check_command(directory: str | None) -> int:
    """Verify MNIST where the worker will look for it; 0 when usable."""
    from models.data import MnistError, load_mnist

    target = Path(directory) if directory else get_settings().mnist_dir
    message = missing_message(target)
    if message:
        print(message, file=sys.stderr)
        return 1
    try:
        load_mnist(target)
    except MnistError as exc:
        print(f"mogi mnist check: {exc}", file=sys.stderr)
        return 1
    print(f"MNIST is complete and verified in {target}", file=sys.stderr)
    return 0
