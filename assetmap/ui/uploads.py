"""Pending uploads of the Data page: each in a private folder of its own that is deleted on
Commit, on Cancel, when the session holding it goes, when its time passes
(``ASSETMAP_SESSION_IDLE_MINUTES``) and, for leftovers of a stopped server, when a server starts.
No Streamlit import: the server's start-up sweep runs before Streamlit does."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import weakref
from pathlib import Path

from assetmap import settings as _settings


def uploads_root() -> Path:
    """Where pending uploads wait for Commit or Cancel: one private (0700) folder per OS user
    under the temp directory, each upload in a random-named folder of its own."""
    owner = os.getuid() if hasattr(os, "getuid") else "user"
    root = Path(tempfile.gettempdir()) / f"assetmap-uploads-{owner}"
    root.mkdir(mode=0o700, exist_ok=True)
    os.chmod(root, 0o700)
    return root


def upload_ttl_seconds() -> float:
    """How long a pending upload may wait: no longer than a session may sit idle."""
    return _settings.load().session_idle_minutes * 60.0


def save_upload(file_name: str, content: bytes) -> Path:
    """Write an uploaded file into a fresh private folder (random name, 0700; the file 0600)
    under :func:`uploads_root`, marked with this server's process id; return its path."""
    folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=uploads_root()))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(file_name).name).strip("._") or "upload"
    path = folder / stem[:120]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_uploads(now: float | None = None, everything: bool = False) -> int:
    """Delete pending uploads past :func:`upload_ttl_seconds`, and those of servers no longer
    running (``everything``: at server start, also this one's leftovers from a crash); return
    how many folders went. Runs at server start and on every Data page run."""
    now = time.time() if now is None else now
    gone = 0
    try:
        folders = list(uploads_root().iterdir())
    except OSError:
        return 0
    for folder in folders:
        pid_text = folder.name.split("-", 1)[0]
        try:
            age = now - folder.stat().st_mtime
            pid = int(pid_text)
        except (OSError, ValueError):
            continue
        dead = not _alive(pid) or (everything and pid != os.getpid())
        if age > upload_ttl_seconds() or dead:
            shutil.rmtree(folder, ignore_errors=True)
            gone += 1
    return gone


class _UploadOwner:
    """Held in one browser session's state: when Streamlit drops the session (the tab closed
    and the reconnect window passed), the session's pending upload is deleted with it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(folder), True)
