"""Where the store's data came from: one Source record per source and licence line.

Every import (boundaries, postcodes, Open Referral, spreadsheets, the demo) records what it read
and the attribution its licence asks for. They are ordinary records (kind ``Source``), so
``assetmap copy`` and backups carry them; the About and Data pages and the map's credit list them,
so a page credits only what was imported.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path
from typing import Any

from assetmap import vocab
from assetmap.errors import NotFoundError
from assetmap.graph.store import GraphStore
from assetmap.model import Node

#: Licence line recorded when an import names none.
NO_LICENCE = "licence not recorded (give --licence when importing)"
#: Default source line per importer, when the import names none: "{file}" is the file's name.
DEFAULT_SOURCES: dict[str, str] = {
    "boundaries": "Area boundaries from {file}",
    "postcodes": "Postcode locations from {file}",
    "oruk": "Open Referral UK directory {file}",
    "spreadsheet": "Spreadsheet {file}",
}
#: Credit for the optional street map background (not a store record: the tiles are not data).
MAP_TILES = "Map tiles © OpenStreetMap contributors (ODbL)"


def source_id(source: str, licence: str) -> str:
    """A stable id per (source, licence) line, so importing the same source twice adds nothing."""
    digest = hashlib.sha256(f"{source}\n{licence}".encode()).hexdigest()[:16]
    return f"source:{digest}"


def source_node(imported: str, source: str, licence: str | None = None,
                file: str | Path | None = None, data: str | None = None) -> Node:
    """A Source record: ``imported`` (boundaries, postcodes, oruk, spreadsheet, demo), the
    ``source`` line, its ``licence`` line, the file name (never its folder) and what it holds."""
    licence = (licence or "").strip() or NO_LICENCE
    props: dict[str, Any] = {"imported": [imported], "licence": licence,
                             "date": _dt.date.today().isoformat()}
    if file is not None:
        props["files"] = [Path(str(file)).name]
    if data:
        props["data"] = data
    return Node(source_id(source, licence), vocab.SOURCE, source.strip(), props=props)


def record_source(store: GraphStore, imported: str, source: str | None = None,
                  licence: str | None = None, file: str | Path | None = None,
                  data: str | None = None) -> Node:
    """Record (or extend) the Source of an import; call inside the import's transaction.

    ``source`` defaults to a line naming the file (:data:`DEFAULT_SOURCES`)."""
    name = Path(str(file)).name if file is not None else "an import"
    text = (source or "").strip() or DEFAULT_SOURCES.get(imported, "{file}").format(file=name)
    node = source_node(imported, text, licence, file, data)
    try:
        old = store.get(node.id)
    except NotFoundError:  # a new source
        old = None
    if old is not None and old.kind == vocab.SOURCE:
        for key in ("imported", "files"):
            merged = list(old.props.get(key) or [])
            merged += [v for v in node.props.get(key) or [] if v not in merged]
            if merged:
                node.props[key] = merged
        if old.props.get("data") and not data:
            node.props["data"] = old.props["data"]
    store.upsert_nodes([node])
    return node


def sources(store: GraphStore) -> list[dict[str, Any]]:
    """Every recorded source: ``source``, ``licence``, ``imported`` (words), ``data``, ``files``,
    ``date``; in the order they were named (by source text)."""
    rows = []
    for node in store.find(vocab.SOURCE):
        rows.append({"source": node.name, "licence": node.props.get("licence") or NO_LICENCE,
                     "imported": ", ".join(node.props.get("imported") or []),
                     "data": node.props.get("data") or "",
                     "files": ", ".join(node.props.get("files") or []),
                     "date": node.props.get("date") or ""})
    return sorted(rows, key=lambda r: r["source"].casefold())


def attribution_text(store: GraphStore, tiles: bool = True) -> str:
    """The credit line for pages and maps: each source and licence recorded in the store (and
    the map tiles' credit). Says so when nothing is recorded."""
    parts = [f"{r['source']} ({r['licence']})." if r["licence"] != NO_LICENCE
             else f"{r['source']}." for r in sources(store)]
    if not parts:
        parts = ["No data sources recorded in this store yet."]
    if tiles:
        parts.append(MAP_TILES + ".")
    return " ".join(parts)
