"""Names of the workers that hold leases (outbox dispatchers, inbox runners): `host:pid:n`,
and whether the process behind one is gone, so that its leases can be freed at once instead
of waiting for them to end."""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Iterable

HOST = socket.gethostname()
_numbers = itertools.count(1)


def new_name() -> str:
    """A name no other worker of this host has: `host:pid:n`."""
    return f"{HOST}:{os.getpid()}:{next(_numbers)}"


def is_gone(name: str, live_here: Iterable[str]) -> bool:
    """Whether the worker `name` is gone: of this host, and its process no longer runs (or it
    is this process's and not among `live_here`). Other hosts' and names of another shape:
    unknown, left to their lease."""
    parts = name.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != HOST or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return name not in set(live_here)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
