"""Server secrets and private files: the one random key each store's governance uses.

One 32-byte secret lives beside the access database (``<access db>.key``, mode 0600), made on
first use. Everything keyed is derived from it with HMAC-SHA256 and a purpose label, so one file
backs session tokens, the audit hash chain and pseudonymous ids, and a leak of one derived key
does not give the others. Lose the file and old session tokens stop working, the audit chain can
no longer be checked and re-imported people get new ids: back it up with the access database.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

#: Owner read/write only: the mode of every file assetmap writes that may hold people's data.
PRIVATE_MODE = 0o600
#: The umask that makes new files private (and new folders 0700).
PRIVATE_UMASK = 0o077
KEY_BYTES = 32


def make_private(path: str | Path) -> None:
    """Set a file (and a SQLite file's ``-wal``, ``-shm`` and ``-journal`` companions, where
    present) to mode 0600, so other local users cannot read it."""
    path = Path(path)
    for candidate in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm",
                                                                       "-journal"))):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if stat.S_IMODE(candidate.stat().st_mode) != PRIVATE_MODE:
                os.chmod(candidate, PRIVATE_MODE)


def private_umask() -> int:
    """Make files this process creates from now on private (0600; folders 0700); return the
    previous umask. The CLI calls it first, so stores, exports and the app's files are private."""
    return os.umask(PRIVATE_UMASK)


def key_path(access_path: str | Path) -> Path:
    """Where the secret of the access database at ``access_path`` is kept."""
    access_path = Path(access_path)
    return access_path.with_name(access_path.name + ".key")


def server_secret(access_path: str | Path, *, create: bool = True) -> bytes:
    """The store's secret (32 random bytes, 0600 beside the access database), made if missing.

    A new secret is written whole to a private temporary file and then hard-linked into place,
    which fails if the key already exists: two processes or threads starting at once agree on
    one secret, and none ever reads a key file that is still being written."""
    path = key_path(access_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if not create:
            raise
        data = _publish_secret(path)
    make_private(path)
    if len(data) < KEY_BYTES:
        from assetmap.errors import AssetmapError

        raise AssetmapError(f"The key file {path} is damaged (too short); restore it from a "
                            "backup.")
    return data


def _publish_secret(path: Path) -> bytes:
    """Make a secret at ``path`` unless another writer got there first; return the one in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = secrets.token_bytes(KEY_BYTES)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temporary, path)  # atomic, and refuses to replace a key already there
        except FileExistsError:
            return path.read_bytes()
        except OSError as exc:  # a file system without hard links: create in place instead
            if exc.errno not in _NO_LINKS:
                raise
            return _create_in_place(path, data)
        return data
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


#: What os.link raises on a file system that has no hard links.
_NO_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV,
                       errno.EMLINK})


def _create_in_place(path: Path, data: bytes) -> bytes:
    """Write the secret straight to ``path`` (O_EXCL: the first writer wins), for file systems
    without hard links; return the one in place."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return data


def derived_key(access_path: str | Path, purpose: str) -> bytes:
    """A key for one purpose ("session", "audit", "pseudonym"), derived from the secret."""
    return hmac.new(server_secret(access_path), b"assetmap/" + purpose.encode("ascii"),
                    hashlib.sha256).digest()


def keyed_digest(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 of the parts (separated by a unit separator), as hex."""
    message = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()
