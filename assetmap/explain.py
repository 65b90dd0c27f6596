"""Closure and keystone results that still explain after suppression, for analysts and
commissioners: which kinds of people depend on a place, ranks with counts in bands ("8–20"),
charts (Vega-Lite via Altair) and PNG images of them, offline.

Every number here leaves through :mod:`assetmap.governance.privacy`: bands for tables
(:func:`~assetmap.governance.privacy.count_band`), published counts for chart bars (a count
under the threshold is not drawn, its label says "<8").
"""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import networkx as nx
import pandas as pd

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.governance.privacy import count_band, masked_count, publish_count

#: Kinds of people, each a test on a person's attributes (age, caring, disability, loneliness).
KINDS_OF_PEOPLE: dict[str, str] = {
    "aged 65 or over": "older",
    "unpaid carers": "carer",
    "disabled (limited a lot)": "disabled",
    "often or always lonely": "lonely",
    "with a personal budget": "budget",
}
_OLDER = {"65-74", "75-84", "85+"}


def _is(kind: str, attrs: dict) -> bool:
    if kind == "older":
        return attrs.get("age_band") in _OLDER
    if kind == "carer":
        return "carer" in (attrs.get("roles") or [])
    if kind == "disabled":
        return attrs.get("disability") == "limited_a_lot"
    if kind == "lonely":
        return attrs.get("lonely") == "often_always"
    return attrs.get("personal_budget") is True


def people_tied(G: nx.MultiDiGraph, asset_ids: Iterable[str]) -> set[str]:
    """People with a community tie (attends, volunteers at) to any of these places."""
    out: set[str] = set()
    for a in asset_ids:
        if a not in G:
            continue
        for u, _, key in G.in_edges(a, keys=True):
            if G.nodes[u].get("kind") == vocab.PERSON and vocab.TIE_KINDS.get(key) == \
                    vocab.COMMUNITY:
                out.add(u)
    return out


def who_depends(G: nx.MultiDiGraph, asset_ids: Iterable[str], impact: pd.DataFrame | None = None,
                conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Which kinds of people depend on these places, as published counts and bands only:
    columns ``people`` (the kind), ``band`` ("8–20", "<8"), ``published`` (a number for a
    chart bar, or None when too small to show) and ``worse_off_band`` (of them, how many would
    be worse off if it closed, from ``impact``)."""
    conf = conf or _settings.load()
    tied = people_tied(G, list(asset_ids))
    worse = set(impact["person_id"]) if impact is not None and not impact.empty else set()
    rows = [("everyone who goes", tied)]
    rows += [(label, {p for p in tied if _is(kind, G.nodes[p])})
             for label, kind in KINDS_OF_PEOPLE.items()]
    return pd.DataFrame([{"people": label, "band": count_band(len(ids), conf),
                          "published": masked_count(len(ids), conf),
                          "label": publish_count(len(ids), conf),
                          "worse_off_band": count_band(len(ids & worse), conf)}
                         for label, ids in rows])


def who_depends_chart(table: pd.DataFrame, title: str) -> alt.Chart:
    """A bar chart of :func:`who_depends`: bars only for published counts; every bar labelled
    with the published figure ("<8" has no bar)."""
    data = table.assign(bar=table["published"].fillna(0).astype(int))
    base = alt.Chart(data, title=title).encode(
        y=alt.Y("people:N", sort=None, title=None),
        x=alt.X("bar:Q", title="People (published: rounded to 5, under 8 not shown)"))
    bars = base.mark_bar(color="#1a5fb4")
    text = base.mark_text(align="left", dx=4, color="#111").encode(text="label:N")
    return (bars + text).properties(width=420, height=28 * len(data))


def chart_png(chart: alt.Chart, scale: float = 2.0) -> bytes:
    """A chart as a PNG image, drawn offline (vl-convert bundles the renderer)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart.to_json(), scale=scale)


def keystones_explained(ranking: pd.DataFrame,
                        conf: _settings.Settings | None = None) -> pd.DataFrame:
    """The keystone ranking with its counts as bands, so the top places can be told apart
    and explained ("8–20 people would lose their only community tie") without small numbers."""
    conf = conf or _settings.load()
    cols = {"people_tied": "People who go", "lose_only_community_tie":
            "Would lose their only community tie", "level_drops": "Would become more isolated",
            "lose_hub_path": "Would lose every route to a GP or hub"}
    out = pd.DataFrame({"Rank": ranking["rank"].to_numpy(), "Name": ranking["name"].to_numpy(),
                        "Kind": ranking["kind"].map(lambda k: vocab.label(str(k))).to_numpy()})
    for col, label in cols.items():
        out[label] = [count_band(int(n), conf) for n in ranking[col]]
    out["Splits the network"] = ranking["splits_network"].astype(bool).map(
        {True: "yes", False: "no"}).to_numpy()
    return out


def _ward_of(G: nx.MultiDiGraph, area: str | None) -> str | None:
    node = G.nodes.get(area) if area else None
    if node is None:
        return None
    return area if node.get("level") == "ward" else node.get("parent")


def area_profile_html(G: nx.MultiDiGraph, ward: str, isolation: pd.DataFrame,
                      ranking: pd.DataFrame, conf: _settings.Settings | None = None) -> str:
    """A one-page profile of a ward for commissioners (self-contained HTML, print-ready): people
    by isolation level (published counts), the places there by kind, the keystone places there
    with their counts in bands, and a chart (PNG, with the same figures as a table)."""
    import base64
    import datetime as _dt
    import html

    from assetmap.graph.store.areas import UNKNOWN_VINTAGE

    conf = conf or _settings.load()
    e = html.escape
    name = str(G.nodes[ward].get("name") or ward)
    # Ward names and codes change between boundary years: the profile says which (issue 17).
    year = G.nodes[ward].get("vintage")
    boundary = f"{year} boundaries" if year not in (None, "") else UNKNOWN_VINTAGE
    people = {n for n, d in G.nodes(data=True)
              if d.get("kind") == vocab.PERSON and _ward_of(G, d.get("area")) == ward}
    levels = isolation[isolation["person_id"].isin(people)]["level"].astype(str).value_counts()
    order = [str(lv) for lv in isolation["level"].cat.categories] \
        if hasattr(isolation["level"], "cat") else sorted(levels.index)
    level_rows = pd.DataFrame({"people": ["everyone", *order],
                               "n": [len(people), *[int(levels.get(lv, 0)) for lv in order]]})
    level_rows["label"] = [publish_count(n, conf) for n in level_rows["n"]]
    level_rows["published"] = [masked_count(n, conf) for n in level_rows["n"]]
    assets = [(n, d) for n, d in G.nodes(data=True) if d.get("kind") in vocab.ASSET_KINDS
              and d.get("status") != "closed" and _ward_of(G, d.get("area")) == ward]
    kinds = pd.Series([vocab.label(str(d.get("org_kind") or d.get("group_type") or "group"))
                       for _, d in assets]).value_counts()
    here = {n for n, _ in assets}
    top = ranking[ranking["asset_id"].isin(here)].sort_values("rank").head(10)
    keystones = keystones_explained(top, conf) if not top.empty else pd.DataFrame()
    chart_title = f"People in {name} by isolation level (ward, {boundary})"
    chart = who_depends_chart(level_rows.rename(columns={"people": "people"}), chart_title)
    png = base64.b64encode(chart_png(chart)).decode("ascii")

    def table(frame: pd.DataFrame) -> str:
        if frame.empty:
            return "<p>None.</p>"
        head = "".join(f"<th scope=\"col\">{e(str(c))}</th>" for c in frame.columns)
        body = "".join("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>"
                       for row in frame.itertuples(index=False))
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    levels_table = level_rows[["people", "label"]].rename(
        columns={"people": "People", "label": "How many (published)"})
    kinds_table = pd.DataFrame({"Kind of place": kinds.index, "How many": kinds.to_numpy()})
    day = _dt.date.today().strftime("%-d %B %Y")
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{e(name)}: area profile</title><style>"
        "body{font-family:system-ui,Arial,sans-serif;color:#111;margin:1.5rem;max-width:60rem}"
        "table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #999;"
        "padding:.2rem .5rem;text-align:left}img{max-width:100%}"
        "@media print{body{margin:0;font-size:10pt}@page{margin:12mm}}</style></head><body>"
        f"<main><h1>{e(name)}: area profile</h1>"
        f"<p class=\"boundaries\">Ward ({e(boundary)})"
        + (": names and codes are those of that year.</p>" if year not in (None, "") else
           ".</p>")
        + f"<p>{e(day)}. Counts are published: rounded "
        f"to 5, and any count under {conf.suppress_below} shown as &lt;{conf.suppress_below}; "
        "ranked places show counts in bands.</p>"
        f"<h2>People by isolation level</h2><img src=\"data:image/png;base64,{png}\" "
        f"title=\"{e(chart_title)}\" "
        f"alt=\"Bar chart of people in {e(name)} by isolation level (ward, {e(boundary)}); "
        f"the same figures are in the table below.\">{table(levels_table)}"
        f"<h2>Places to go here</h2><p>{len(assets)} open groups and organisations.</p>"
        f"{table(kinds_table.head(15))}"
        f"<h2>Keystone places here</h2>{table(keystones)}"
        "</main></body></html>")
