"""The worker's heartbeat file: what a container's health check reads.

The worker writes its state (starting, waiting, ok) with a short message every few seconds;
`mogi health worker` says healthy only for a recent `ok`. The file lives inside the container
(not on a shared volume), so each worker replica has its own.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# A beat is written at most this often while the state stays the same.
WRITE_INTERVAL_S = 5.0
# Older than this, a beat means the worker is stuck or gone.
STALE_AFTER_S = 60.0


@dataclass(frozen=True)
class Beat:
    """One heartbeat: the worker's state, why, and when (Unix time)."""

    state: str
    message: str
    at: float


class Heartbeat:
    """Writes beats to one file, atomically and no more often than needed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last: tuple[str, str] | None = None
        self._last_at = 0.0

    def beat(self, state: str = "ok", message: str = "") -> None:
        """Record the state now (skipped when unchanged and written recently)."""
        now = time.time()
        if self._last == (state, message) and now - self._last_at < WRITE_INTERVAL_S:
            return
        try:
            self._write(Beat(state, message, now))
        except OSError:
            return  # a full or read-only disk must not stop the worker; health will say stale
        self._last, self._last_at = (state, message), now

    def _write(self, beat: Beat) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        with os.fdopen(fd, "w") as out:
            json.dump({"state": beat.state, "message": beat.message, "at": beat.at}, out)
        os.replace(tmp, self.path)


def read_beat(path: Path) -> Beat | None:
    """The last beat written to path, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(path.read_text())
        return Beat(str(data["state"]), str(data.get("message", "")), float(data["at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def judge(beat: Beat | None, now: float | None = None) -> tuple[bool, str]:
    """(healthy, why) for a beat: healthy only when recent and `ok`."""
    if beat is None:
        return False, "no heartbeat yet: the worker is starting or not running"
    age = (now if now is not None else time.time()) - beat.at
    if age > STALE_AFTER_S:
        return False, f"last heartbeat {age:.0f} s ago ({beat.state}): the worker is stuck or gone"
    if beat.state != "ok":
        return False, f"{beat.state}: {beat.message}" if beat.message else beat.state
    return True, f"ok (heartbeat {age:.0f} s ago)"


_heartbeat: Heartbeat | None = None


def beat(state: str = "ok", message: str = "") -> None:
    """Write this process's heartbeat to MOGI_WORKER_HEARTBEAT_FILE."""
    global _heartbeat
    if _heartbeat is None:
        from app.config import get_settings

        _heartbeat = Heartbeat(get_settings().worker_heartbeat_file)
    _heartbeat.beat(state, message)
