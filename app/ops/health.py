"""`mogi health web|worker`: exit 0 when healthy, else 1 with the reason (container checks)."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from app.config import get_settings
from app.ops.heartbeat import judge, read_beat

# What a wildcard listen address is reached at from inside the same host or container.
_LOOPBACK = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}


def web_health_url() -> str:
    """/healthz of this instance's web server, at the address and port it listens on."""
    settings = get_settings()
    host = _LOOPBACK.get(settings.host, settings.host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/healthz"


def check_web(timeout: float = 4.0) -> tuple[bool, str]:
    """(healthy, why) from the web server's /healthz."""
    url = web_health_url()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (our URL)
            return response.status == 200, f"{url}: HTTP {response.status}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"{url}: {exc}"


def check_worker() -> tuple[bool, str]:
    """(healthy, why) from the worker's heartbeat file."""
    path = get_settings().worker_heartbeat_file
    healthy, why = judge(read_beat(path))
    return healthy, f"{path}: {why}"


def health_command(role: str) -> int:
    """Print the verdict; 0 when healthy."""
    healthy, why = check_web() if role == "web" else check_worker()
    print(f"{role} {'healthy' if healthy else 'unhealthy'}: {why}", file=sys.stderr)
    return 0 if healthy else 1
