"""The Neo4j cookbook: real questions answered in Cypher on the server, counts published safely.

Each question is one named, parameterised statement in :mod:`assetmap.graph.store.cypher` run by
one function here (``docs/neo4j.md`` and ``notebooks/03_neo4j.ipynb`` show them):

- :func:`isolated_per_lsoa` - people with no community tie, per LSOA of a ward;
- :func:`groups_near_person` - open groups within a distance of a person, and those their
  friends go to;
- :func:`ulo_closure_ranking` - which user-led organisation's closure, with the groups it runs,
  cuts the most people off.

Counts leave through :mod:`assetmap.governance.privacy` (suppressed and rounded); distances
leave as bands. The small reads (:func:`groups_near`, :func:`place_dependants`) are store methods
on both stores, so a page can answer one person's or one place's question without loading the
whole graph. The three cookbook questions need a Neo4j store (they are Cypher).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.errors import NotFoundError, StoreError
from assetmap.geo import haversine_m
from assetmap.governance import privacy
from assetmap.graph.store import cypher

#: Ties that make a community tie, a professional tie (received), membership of a place, and
#: the friendly ties whose groups a person may be pointed to.
MEMBERSHIP: tuple[str, ...] = ("ATTENDS", "VOLUNTEERS_AT")
FRIENDLY: tuple[str, ...] = ("FAMILY", "FRIEND", "NEIGHBOUR", "PEER")
_EARTH_KM_PER_DEGREE = 111.32


def community_kinds() -> list[str]:
    """Tie kinds that count as community ties (Shared Lives while the setting says so), as in
    :mod:`assetmap.graph.analysis.circles`."""
    kinds = {k for k, c in vocab.TIE_KINDS.items() if c == vocab.COMMUNITY}
    if _settings.load().shared_lives_counts_as_community:
        kinds |= {k for k, c in vocab.TIE_KINDS.items() if c == vocab.SHARED_LIFE}
    return sorted(kinds)


def professional_kinds() -> list[str]:
    """Tie kinds that count as professional ties a person receives."""
    kinds = {k for k, c in vocab.TIE_KINDS.items() if c == vocab.PROFESSIONAL}
    if not _settings.load().shared_lives_counts_as_community:
        kinds |= {k for k, c in vocab.TIE_KINDS.items() if c == vocab.SHARED_LIFE}
    return sorted(kinds)


def bounding_box(lat: float, lon: float, km: float) -> dict[str, float]:
    """The latitude/longitude box holding every point within ``km`` of (lat, lon)."""
    dlat = km / _EARTH_KM_PER_DEGREE
    dlon = km / (_EARTH_KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return {"south": lat - dlat, "north": lat + dlat, "west": lon - dlon, "east": lon + dlon}


def within_km(rows: Any, lat: float, lon: float, km: float) -> list[dict[str, Any]]:
    """Rows (id, name, lat, lon) within ``km`` of (lat, lon), with ``km``, nearest first."""
    out = []
    for r in rows:
        d = haversine_m(lat, lon, float(r["lat"]), float(r["lon"])) / 1000
        if d <= km:
            out.append({"id": r["id"], "name": r["name"], "lat": r["lat"], "lon": r["lon"],
                        "km": d})
    return sorted(out, key=lambda r: (r["km"], r["id"]))


def _cypher_store(store: Any) -> Any:
    if not hasattr(store, "_driver"):
        raise StoreError("The cookbook's questions are Cypher: open a Neo4j store "
                         "(bolt://, neo4j://) to run them.")
    return store


def isolated_per_lsoa(store: Any, ward: str, conf: _settings.Settings | None = None
                      ) -> pd.DataFrame:
    """People per LSOA of ``ward`` by whether they have community ties (``isolated``: none and
    no services either; ``service-only``: services only), published with row and column totals
    by :func:`assetmap.governance.privacy.protect_table` (small numbers never shown)."""
    rows = _cypher_store(store)._read(cypher.ISOLATED_PER_LSOA, ward=ward,
                                      community=community_kinds(),
                                      professional=professional_kinds())
    frame = pd.DataFrame(
        [{"lsoa": r["lsoa"], "isolated": int(r["isolated"]),
          "service-only": int(r["service_only"]),
          "with community ties": int(r["people"]) - int(r["isolated"]) - int(r["service_only"])}
         for r in rows],
        columns=["lsoa", "isolated", "service-only", "with community ties"]).set_index("lsoa")
    return privacy.protect_table(frame, totals=True, conf=conf)


def groups_near_person(store: Any, person_id: str, km: float = 3.0) -> pd.DataFrame:
    """Open groups within ``km`` of a person's home, and groups their friends (who consented to
    suggestions) go to: one row per group, distance as a band, never exact."""
    store = _cypher_store(store)
    home = store._read(cypher.PERSON_LOCATION, id=person_id)
    if not home:
        raise NotFoundError(f"No person with id {person_id!r}.")
    lat, lon = home[0]["lat"], home[0]["lon"]
    near = store.groups_near(lat, lon, km) if lat is not None and lon is not None else []
    friends = store._read(cypher.FRIENDS_GROUPS, id=person_id, friendly=list(FRIENDLY),
                          membership=list(MEMBERSHIP), asset_kinds=sorted(vocab.ASSET_KINDS))
    rows: dict[str, dict[str, Any]] = {}
    for g in near:
        rows[g["id"]] = {"group_id": g["id"], "name": g["name"], "_km": g["km"],
                         "nearby": True, "friends_go": False}
    for g in friends:
        row = rows.setdefault(g["id"], {"group_id": g["id"], "name": g["name"], "_km": None,
                                        "nearby": False, "friends_go": False})
        row["friends_go"] = True
        if row["_km"] is None and lat is not None and g["lat"] is not None:
            row["_km"] = haversine_m(lat, lon, g["lat"], g["lon"]) / 1000
    ordered = sorted(rows.values(), key=lambda r: (not r["friends_go"],
                                                   r["_km"] if r["_km"] is not None else 1e9,
                                                   r["group_id"]))
    for r in ordered:
        r["distance"] = privacy.distance_band(r.pop("_km"))
    return pd.DataFrame(ordered, columns=["group_id", "name", "distance", "nearby",
                                          "friends_go"])


def ulo_closure_ranking(store: Any, conf: _settings.Settings | None = None) -> pd.DataFrame:
    """User-led organisations ranked by how many people their closure, with the groups they
    run, would leave with no community tie at all; counts published (``<8``, rounded)."""
    rows = _cypher_store(store)._read(cypher.ULO_CLOSURE_RANKING, membership=list(MEMBERSHIP),
                                      community=community_kinds())
    frame = pd.DataFrame([dict(r) for r in rows],
                         columns=["id", "name", "groups_run", "reached", "cut_off"])
    for col in ("reached", "cut_off"):
        frame[col] = privacy.suppress_counts(frame[col], conf)
    return frame


def place_dependants(store: Any, place_id: str) -> pd.DataFrame:
    """The people who go to one group or organisation (or a group it runs): the few rows a
    closure of one place starts from, read with one small query on either store."""
    return pd.DataFrame(store.place_dependants(place_id),
                        columns=["person_id", "place_id", "tie_kind"])


def groups_near(store: Any, lat: float, lon: float, km: float) -> pd.DataFrame:
    """Open groups within ``km`` of a point (directory search), nearest first, on either store."""
    return pd.DataFrame(store.groups_near(lat, lon, km),
                        columns=["id", "name", "lat", "lon", "km"])
