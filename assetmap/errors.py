"""Errors a user may see: each one carries a single readable sentence, never a traceback."""

from __future__ import annotations


class AssetmapError(Exception):
    """Base class: ``str(err)`` is one sentence a coordinator can act on."""


class ValidationError(AssetmapError, ValueError):
    """A record does not fit the model; ``field`` names what is wrong, ``record`` where."""

    def __init__(self, message: str, *, field: str | None = None, record: str | None = None):
        super().__init__(message)
        self.field = field
        self.record = record


class StoreError(AssetmapError):
    """The graph store could not do what was asked (it is left as it was)."""


class DanglingTieError(StoreError, ValueError):
    """A tie names a node that is not in the store."""


class NotFoundError(AssetmapError, KeyError):
    """No node with that id (or the user may not see it)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "Not found."


class SettingsError(AssetmapError, ValueError):
    """A setting (an ``ASSETMAP_*`` environment variable) is out of its allowed range."""
