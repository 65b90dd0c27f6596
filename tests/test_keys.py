"""The store's secret is made once, whole, however many writers start at the same moment."""

from __future__ import annotations

import os
import secrets
import stat
import threading

from assetmap.governance import keys


def test_a_writer_racing_the_first_one_never_reads_a_half_written_key(tmp_path, monkeypatch):
    """A second writer arriving while the first is making the secret (here: from inside the
    first one's random draw) gets the same whole key, never an empty or short file."""
    access = tmp_path / "access.db"
    real = secrets.token_bytes
    seen: list[bytes] = []

    def racing_draw(n: int) -> bytes:
        if not seen:
            seen.append(b"")  # race only once
            seen.append(keys.server_secret(access))  # the other writer, mid-way through ours
        return real(n)

    monkeypatch.setattr(keys.secrets, "token_bytes", racing_draw)
    first = keys.server_secret(access)
    assert len(first) == keys.KEY_BYTES
    assert seen[1] == first, "both writers must end with the one key in place"
    assert keys.key_path(access).read_bytes() == first
    assert stat.S_IMODE(keys.key_path(access).stat().st_mode) == keys.PRIVATE_MODE
    assert sorted(os.listdir(tmp_path)) == ["access.db.key"], "no temporary file is left"


def _start_together(access, n: int) -> tuple[list[bytes], list[BaseException]]:
    got: list[bytes] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def start() -> None:
        barrier.wait()
        try:
            got.append(keys.server_secret(access))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got, errors


def test_threads_starting_together_agree_on_one_secret(tmp_path):
    for round_ in range(10):
        got, errors = _start_together(tmp_path / f"access{round_}.db", 6)
        assert not errors, errors
        assert len(got) == 6 and len(set(got)) == 1 and len(got[0]) == keys.KEY_BYTES


def test_a_file_system_without_hard_links_still_gets_one_private_key(tmp_path, monkeypatch):
    """Fake (named as such): os.link refusing, as on file systems with no hard links, which
    cannot be mounted here. The key is then created in place, still private and whole."""
    import errno

    def no_links(src, dst):  # type: ignore[no-untyped-def]
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(keys.os, "link", no_links)
    access = tmp_path / "access.db"
    key = keys.server_secret(access)
    assert len(key) == keys.KEY_BYTES and keys.server_secret(access) == key
    assert stat.S_IMODE(keys.key_path(access).stat().st_mode) == keys.PRIVATE_MODE
    assert sorted(os.listdir(tmp_path)) == ["access.db.key"]
