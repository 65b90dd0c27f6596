"""Person page: one person's circle (pyvis), isolation level with reasons and self-reported scores,
ranked suggestions with a small map, and their referrals (record, then update the status).

Thin over the library: :mod:`assetmap.graph.analysis`, :mod:`assetmap.render.network` and
:mod:`assetmap.governance.referrals`. The person's own suggestions are computed per view, never
cached in a shared cache; the graph and isolation table are cached per store version (see
``common``).

Speed (issue 14: a write shows within a second): the suggestions, their filters and map, the
recording panel, the referrals and the outcomes are fragments, so typing, searching or filtering
in one reruns only it, and a save reruns the page once. What only depends on the graph (the
circle picture, the suggestions) is kept per session against the version the graph last changed
at (:func:`graph_epoch`), so a contact note or a score does not draw them again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import networkx as nx
import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from assetmap import vocab
from assetmap.governance import referrals
from assetmap.governance.access import User
from assetmap.graph.analysis import suggest_connections
from assetmap.graph.store import GraphStore
from assetmap.render import maps
from assetmap.render import network as network_view
from assetmap.ui import auth, common, recording_ui
from assetmap.ui.outcomes_ui import outcomes_forms, outcomes_summary

CIRCLE_HEIGHT = 520
MAP_HEIGHT = 340
SUGGESTIONS = 10
PEOPLE_SUGGESTIONS = 5
#: Places scored before the filters (all within reach: the scoring looks at every place anyway).
PLACE_CANDIDATES = 100_000
#: Longer lists of people are searched first (a select box of 20,000 names is slow to send).
LIST_LIMIT = 300
#: Status changes a coordinator records after a referral.
NEXT_STATUSES: tuple[str, ...] = ("attended", "declined", "referred")
SELF_REPORTED_LABELS: dict[str, str] = {
    "ucla3": "UCLA 3-item loneliness score (3–9, higher is lonelier)",
    "lsns6": "Lubben Social Network Scale, LSNS-6 (0–30, under 12 is isolated)",
    "ons4": "ONS4 personal wellbeing",
    "lonely": "How often they feel lonely (ONS question)",
}
_EPOCH = "_person_graph_epoch"
_MEMO = "_person_memo"
#: The suggestion filters' "kind" choices -> node kinds.
SHOW_KINDS: dict[str, str] = {"Groups": vocab.GROUP, "Organisations": vocab.ORGANISATION,
                              "People": vocab.PERSON}
#: Filter choices for "within" (km); the setting's ``max_travel_km`` is added and preselected.
WITHIN_KM: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0)
LOW_COSTS: frozenset[str] = frozenset({"free", "low"})
T = TypeVar("T")


def graph_epoch(store: GraphStore, version: int) -> int:
    """The store version at which the graph (its nodes and ties) last changed, as far as this
    session has seen. A contact note, a score or a goal moves the store's version but not the
    graph (``changes_since`` lists no node and no tie), so what is drawn from the graph alone
    is kept; a store that cannot say starts a new epoch."""
    url = common.store_url()
    held = st.session_state.get(_EPOCH)
    if held is not None and held[0] == url:
        _, seen, epoch = held
        if seen == version:
            return int(epoch)
        since = getattr(store, "changes_since", None)
        changes = since(seen) if since is not None and seen < version else None
        if changes is not None and not changes.get("nodes") and not changes.get("ties"):
            st.session_state[_EPOCH] = (url, version, epoch)
            return int(epoch)
    st.session_state[_EPOCH] = (url, version, version)
    return version


def _memo(name: str, key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, kept in this session for ``key`` (one value per ``name``: the last)."""
    held = st.session_state.setdefault(_MEMO, {})
    if name in held and held[name][0] == key:
        return held[name][1]
    value = compute()
    held[name] = (key, value)
    return value


def current_user_name() -> str:
    """Who is using the page, recorded with referrals: the signed-in account."""
    user = auth.current_user()
    return user.name if user is not None else ""


def _count(n: int, word: str) -> str:
    plural = word.replace("kind of", "kinds of") if word.startswith("kind") else word + "s"
    return f"{n} {word if n == 1 else plural}"


def _value(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "not recorded"
    if isinstance(v, dict):
        return "; ".join(f"{k}: {x}" for k, x in v.items())
    return str(v).replace("_", " ")


def _search(people: pd.DataFrame) -> list[str]:
    """For long lists (an administrator's): a search box first, then the matches to choose
    from, so the page never sends tens of thousands of names to the browser."""
    words = _search_box().strip().casefold()
    if words:
        matches = people.loc[people["label"].str.casefold().str.contains(words, regex=False),
                             "person_id"].tolist()
        if len(matches) > LIST_LIMIT:
            st.caption(f"Showing the first {LIST_LIMIT} of {len(matches):,} matches; type more "
                       "to narrow them down.")
        elif not matches:
            st.caption("No one matches; try part of the name or the ward.")
    else:
        matches = []
        _search_hint(len(people))
    ids = matches[:LIST_LIMIT]
    current = st.session_state.get("person_pick")
    if current is not None and current not in ids and current in set(people["person_id"]):
        ids.insert(0, current)  # keep the person on screen while searching for another
    return ids


def _search_box() -> str:
    """The administrator's search box (what they typed)."""
    return str(st.text_input("Find a person", key="person_find",
                             placeholder="Part of a name or a place, e.g. Leon or Bowdon"))


def _search_hint(people: int) -> None:
    """What to do before searching, with how many people there are to find."""
    st.caption(f"{people:,} people: type part of a name or a place to find someone.")


def _person_picker(ids: list[str], format_func: Callable[[str], str]) -> str | None:
    """The select box of the people found (the same widget on every path)."""
    return st.selectbox(
        "Person", ids, index=None, format_func=format_func, key="person_pick",
        placeholder="Type a name or a place to find someone…",
        help="Everyone you may see: name · ward · age band · short id · isolation level.")


def _search_first(store: GraphStore, user: User | None) -> bool:
    """An administrator's first view of the page, before any search or choice: the search box
    and an empty picker, drawn without anyone's label (labels carry levels: from the whole
    network, or, while that is still being built right after sign-in, from the columnar
    snapshot, :func:`assetmap.ui.common.selectable_people`). True when that is all the page
    shows."""
    from assetmap.governance import access

    if user is None or user.role != access.ADMIN or st.query_params.get("person"):
        return False
    if st.session_state.get("person_pick") or str(st.session_state.get("person_find")
                                                  or "").strip():
        return False
    people = store.count(vocab.PERSON)
    if people <= LIST_LIMIT:
        return False
    _search_box()
    _search_hint(people)
    st.session_state["_person_options"] = hash(())
    _person_picker([], str)
    return True


def _choose_person(store: GraphStore, user: User | None) -> str | None:
    if _search_first(store, user):
        return None
    people = common.selectable_people(store, user=user)
    labels = dict(zip(people["person_id"], people["label"], strict=True))
    wanted = st.query_params.get("person")
    if wanted and wanted not in labels:
        # A link to someone this user may not see, or who does not exist: the same answer
        # for both, and the attempt is audited (as denied or failed) — an empty caseload too.
        from assetmap.errors import NotFoundError
        from assetmap.governance import access

        try:
            access.open_person(auth.access_db(), user, store, wanted)
        except NotFoundError:
            pass
        st.query_params.pop("person", None)
        st.warning("That person was not found (or is not on your caseload).")
    if people.empty:
        st.info("No one on your caseload yet — ask an administrator to add the people you "
                "support.")
        return None
    if "person_pick" not in st.session_state and wanted in labels:
        st.session_state["person_pick"] = wanted
    ids = people["person_id"].tolist()
    if len(ids) > LIST_LIMIT:
        ids = _search(people)
    # The labels carry each person's level, so a write that moves a level changes the options,
    # and Streamlit then starts the select box afresh (empty): keep the person who was open.
    shown = hash(tuple(labels[i] for i in ids))
    if st.session_state.get("_person_options") not in (None, shown) and wanted in ids:
        st.session_state["person_pick"] = wanted
    st.session_state["_person_options"] = shown
    person_id = _person_picker(ids, labels.__getitem__)
    if person_id is None:
        st.query_params.pop("person", None)
    else:
        st.query_params["person"] = person_id
    return person_id


def _audit_view(store: GraphStore, user: User | None, person_id: str) -> None:
    """Log that this user opened this person's record (once per choice, not on every click);
    raises NotFoundError if they may not see them."""
    from assetmap.governance import access

    if st.session_state.get("_person_audited") != (getattr(user, "name", None), person_id):
        access.open_person(auth.access_db(), user, store, person_id)
        st.session_state["_person_audited"] = (getattr(user, "name", None), person_id)


def _isolation(url: str, version: int, person_id: str,
               small: nx.MultiDiGraph | None = None) -> None:
    if small is not None:  # a server store: measured on their neighbourhood (the same answer)
        from assetmap.graph.analysis.isolation import isolated_people

        table = isolated_people(small)
    else:
        table = common.isolation_table(url, version)
    row = table.loc[table["person_id"] == person_id]
    if row.empty:
        st.info("No isolation level for this person yet.")
        return
    r = row.iloc[0]
    st.metric("Isolation level (from their ties)", str(r["level"]).capitalize())
    st.markdown(f"**Why:** {common.md_escape(r['reasons'])}")
    st.caption(" · ".join(_count(int(r[col]), word) for col, word in (
        ("community_ties", "community tie"), ("professional_ties", "professional tie"),
        ("groups_attended", "group"), ("tie_diversity", "kind of relationship"))))
    scores = pd.DataFrame({"Self-reported": list(SELF_REPORTED_LABELS.values()),
                           "Answer": [_value(r.get(k)) for k in SELF_REPORTED_LABELS]})
    st.markdown("**What they told us** (shown beside the level, never changes it)")
    st.table(scores.set_index("Self-reported"))


def _circle(G: nx.MultiDiGraph, named: bool, person_id: str, epoch: int) -> None:
    """The circle picture. People one step out are named only for a user who may see this
    person's record (``named``); two steps out, never. Its text alternative is
    :func:`_ties`. Drawn again only when the graph changed (the same page, byte for byte,
    is not reloaded by the browser)."""
    # vis-network from the app's static folder when it is served (a few kB a draw, the script
    # cached by the browser), else inlined
    assets = (network_view.vis_assets_url(st.get_option("server.baseUrlPath") or "")
              if st.get_option("server.enableStaticServing") else None)
    page = _memo("circle", (person_id, named, epoch, assets), lambda: network_view.circle_html(
        G, person_id, height=CIRCLE_HEIGHT, name_people=named, assets_base=assets))
    if hasattr(st, "iframe"):  # Streamlit >= 1.5x; components.html is deprecated
        st.iframe(page, height=CIRCLE_HEIGHT + 90)
    else:
        components.html(page, height=CIRCLE_HEIGHT + 90, scrolling=False)
    st.caption("The same ties are listed under Their ties, below.")


def _ties(G: nx.MultiDiGraph, named: bool, person_id: str) -> None:
    """The table of their own ties with the picture: the picture's text alternative, a real
    table a screen reader and keyboard can walk (kind, class, how often, since, via)."""
    ties = network_view.circle_ties(G, person_id, name_people=named)
    st.markdown(f"**Their ties** ({len(ties)}, one step out)")
    if ties.empty:
        st.caption("No ties recorded yet: add one under Record.")
        return
    st.table(ties.set_index("With"))
    common.download_table(ties, "ties.csv", key="person_ties_csv", label="Download ties (CSV)")


def _candidates(G: nx.MultiDiGraph, person_id: str, kinds: frozenset[str], k: int,
                max_km: float | None, epoch: int) -> pd.DataFrame:
    """:func:`suggest_connections` of these kinds, best first, with each venue's sessions
    still apart (so the filters can look at each session), kept for this graph ``epoch``."""
    def compute() -> pd.DataFrame:
        # (no spinner: it would add an element on the runs that compute, moving the map)
        return suggest_connections(G, person_id, k=k, max_km=max_km, kinds=kinds,
                                   merge_venues=False)

    name = "people" if kinds == {vocab.PERSON} else "places"
    return _memo(f"suggest_{name}", (person_id, tuple(sorted(kinds)), k, max_km, epoch),
                 compute)


def place_matches(attrs: dict, day: int | None = None, free_or_low_cost: bool = False,
                  step_free: bool = False) -> bool:
    """Whether one group's or organisation's record passes the Person page's filters, as the
    Directory reads them (:func:`assetmap.directory.find_assets`): a session on ``day``
    (0 = Monday) in its "when" text, a free or low cost, step-free access."""
    from assetmap.directory import parse_when
    from assetmap.graph.analysis.suggestions import when_text

    if free_or_low_cost and attrs.get("cost") not in LOW_COSTS:
        return False
    if step_free and "step_free" not in (attrs.get("access") or []):
        return False
    return day is None or any(day in s.days for s in parse_when(when_text(attrs)))


def filtered_places(G: nx.MultiDiGraph, candidates: pd.DataFrame, *, day: int | None = None,
                    free_or_low_cost: bool = False, step_free: bool = False,
                    within_km: float | None = None,
                    origin: tuple[float, float] | None = None, k: int = SUGGESTIONS
                    ) -> pd.DataFrame:
    """The ``k`` best places of ``candidates`` (unmerged suggestions, best first) that pass
    the filters, with each venue's passing sessions then shown as one place
    (:func:`assetmap.graph.analysis.suggestions.merge_places`). ``within_km`` is measured from
    ``origin``, the person's masked point, as the distance bands shown are (never from their
    home); a place with no point is left out when a distance is asked for."""
    from assetmap.geo import haversine_m
    from assetmap.graph.analysis.suggestions import merge_places

    nodes = G._node
    keep = []
    for cid in candidates["candidate_id"]:
        attrs = nodes.get(cid, {})
        ok = place_matches(attrs, day, free_or_low_cost, step_free)
        if ok and within_km is not None:
            lat, lon = attrs.get("lat"), attrs.get("lon")
            ok = (origin is not None and lat is not None and lon is not None
                  and haversine_m(origin[0], origin[1], float(lat), float(lon)) / 1000.0
                  <= within_km)
        keep.append(ok)
    passed = candidates[pd.Series(keep, index=candidates.index, dtype=bool)]
    return merge_places(G, passed.reset_index(drop=True)).head(k).reset_index(drop=True)


def _mask_key() -> bytes:
    """The store's key for stable masked points (see ``privacy.stable_masked_point``)."""
    return auth.access_db().key("mask")


def _origin(G: nx.MultiDiGraph, person_id: str) -> tuple[float, float] | None:
    """The person's masked point, where the page measures distances from (never their home);
    None when they have no point."""
    from assetmap.governance import privacy

    attrs = G.nodes[person_id]
    if attrs.get("lat") is None or attrs.get("lon") is None:
        return None
    return privacy.distance_origin(float(attrs["lat"]), float(attrs["lon"]), person_id,
                                   _mask_key())


def _published(G: nx.MultiDiGraph, person_id: str, suggestions: pd.DataFrame) -> pd.DataFrame:
    """Suggestions as they may be shown or downloaded: distances only as bands, measured from
    the person's masked point (never their home), none at all to another person, and no
    score that carries the exact distance (:func:`assetmap.governance.privacy.
    published_suggestions`). The ranking itself comes from the library."""
    from assetmap.governance import privacy

    points = {cid: (G.nodes[cid].get("lat"), G.nodes[cid].get("lon"))
              for cid in suggestions["candidate_id"] if cid in G}
    return privacy.published_suggestions(suggestions, _origin(G, person_id), points)


TABLE_COLUMNS: dict[str, str] = {"rank": "Rank", "name": "Name", "kind": "Kind",
                                 "distance": "How far", "when": "When", "cost": "Cost",
                                 "access": "Access", "reasons": "Why"}


def _table(suggestions: pd.DataFrame) -> pd.DataFrame:
    """A published suggestions frame (:func:`_published`) as the page's table: rank (the
    number on the map), name, kind, how far, when, cost, access and why."""
    table = suggestions.assign(rank=range(1, len(suggestions) + 1))
    if "cost" in table.columns:
        table["cost"] = table["cost"].fillna("").astype(str).replace("", "ask")
    table = table[[c for c in TABLE_COLUMNS if c in table.columns]]
    return table.rename(columns=TABLE_COLUMNS)


def _suggestion_map(G: nx.MultiDiGraph, suggestions: pd.DataFrame, area: str | None) -> None:
    from assetmap.graph.store.areas import area_shape

    # their neighbourhood's outline, from the store's own boundaries (None if not imported)
    base = common.leaflet_base()
    nodes = G._node
    # everything the map shows: the same suggestions give the same page, made once and kept,
    # and a browser keeps a frame whose page is unchanged (a save that leaves them as they
    # were redraws nothing); no map interaction is read back, so a plain frame, not a
    # component
    shown = tuple((cid, name, reasons, nodes.get(cid, {}).get("lat"),
                   nodes.get(cid, {}).get("lon"))
                  for cid, name, reasons in zip(suggestions["candidate_id"], suggestions["name"],
                                                suggestions["reasons"], strict=True))
    shape = area_shape(common.get_store(), area)
    outline = None if shape is None else shape.wkb
    page = _memo("suggestions_map", (outline, base, shown), lambda: network_view.suggestions_map(
        suggestions, G, shape, assets_base=base, local_js=maps.LOCAL_JS,
        local_css=maps.LOCAL_CSS, height=MAP_HEIGHT).get_root().render())
    st.iframe(page, height=MAP_HEIGHT + 12)
    words = "; ".join(f"{rank}. {name} ({band})" for rank, (name, band) in enumerate(
        zip(suggestions["name"], suggestions["distance"], strict=True), start=1))
    st.caption("Numbered by rank. Their neighbourhood is outlined, never their home; "
               "distances are bands from a point near it. "
               + common.md_escape(f"Suggestions by rank: {words}."))


def _record_form(store: GraphStore, person_id: str, suggestions: pd.DataFrame) -> None:
    places = suggestions[suggestions["kind"].isin(sorted(vocab.ASSET_KINDS))]
    if places.empty:
        st.caption("No group or organisation to refer to.")
        return
    names = dict(zip(places["candidate_id"], places["name"], strict=True))
    # Numbered by rank with the distance: two places may share a name (e.g. allotments).
    labels = {cid: f"{rank}. {name}" + (f" ({band})" if band else "")
              for rank, (cid, name, band) in enumerate(
                  zip(suggestions["candidate_id"], suggestions["name"],
                      suggestions["distance"], strict=True), start=1) if cid in names}
    with st.form("record_referral"):
        st.selectbox("Refer to", list(labels), format_func=labels.__getitem__,
                     key="person_refer_to")
        st.caption(f"Recorded as made by you ({common.md_escape(current_user_name())}), "
                   "today.")
        st.form_submit_button("Record referral", type="primary", on_click=_save_referral,
                              args=(store, person_id, names))


def _save_referral(store: GraphStore, person_id: str, names: dict[str, str]) -> None:
    target = str(st.session_state.get("person_refer_to"))
    try:
        referrals.record_referral(store, person_id, target, by=current_user_name())
    except Exception as exc:
        recording_ui.problem(exc, recording_ui.REFERRAL_PARTS)
        return
    recording_ui.saved(f"Referral to {common.md_escape(names.get(target, ''))} recorded.",
                       recording_ui.REFERRAL_PARTS)


@st.fragment(key=recording_ui.PART_REFERRALS)
def _referrals(person_id: str) -> None:
    """Their referrals (table, download) and the form to update one's status: a fragment."""
    store = common.get_store()
    st.subheader("Referrals")
    table = referrals.referrals_for(store, person_id)
    if table.empty:
        st.info("No referrals recorded for this person yet.")
        return
    shown = table.rename(columns={"name": "Referred to", "kind": "Kind", "status": "Status",
                                  "date": "Date", "by": "By", "updated": "Updated",
                                  "updated_by": "Updated by", "reason": "Reason",
                                  "follow_up": "Follow up", "outcome": "Outcome"}
                         ).drop(columns="target_id")
    st.dataframe(shown, hide_index=True, width="stretch", key="person_referrals")
    common.download_table(shown, "referrals.csv", key="person_referrals_csv")
    names = dict(zip(table["target_id"], table["name"], strict=True))
    labels = {t: f"{n} — {s}, {d}" for t, n, s, d in zip(
        table["target_id"], table["name"], table["status"], table["date"], strict=True)}
    with st.form("update_referral"):
        cols = st.columns([3, 2])
        cols[0].selectbox("Referral", list(labels), format_func=labels.__getitem__,
                          key="person_update_target")
        cols[1].radio("New status", NEXT_STATUSES, horizontal=True, key="person_update_status")
        st.form_submit_button("Update status", on_click=_save_status,
                              args=(store, person_id, names))


def _save_status(store: GraphStore, person_id: str, names: dict[str, str]) -> None:
    state = st.session_state
    target = str(state.get("person_update_target"))
    status = str(state.get("person_update_status") or NEXT_STATUSES[0])
    try:
        referrals.update_referral(store, person_id, target, status, by=current_user_name())
    except Exception as exc:
        recording_ui.problem(exc, recording_ui.OUTCOME_PARTS)
        return
    recording_ui.saved(f"Referral to {common.md_escape(names.get(target, ''))} marked "
                       f"{status}.", recording_ui.OUTCOME_PARTS)


def _filters() -> dict:
    """The suggestion filters, in one row: which kinds to show, within how far (from a point
    near their home, as the bands are), a day they meet, free or low cost, step-free."""
    from assetmap import settings
    from assetmap.directory import DAYS

    usual = float(settings.load().max_travel_km)
    reach = sorted({*WITHIN_KM, usual})
    cols = st.columns([3, 2, 2, 2])
    show = cols[0].multiselect("Show", list(SHOW_KINDS), default=list(SHOW_KINDS),
                               key="person_show")
    within = cols[1].selectbox("Within", reach, index=reach.index(usual), key="person_within",
                               format_func=lambda km: f"{km:g} km"
                               + (" (their usual reach)" if km == usual else ""))
    day = cols[2].selectbox("Meets on", ["any", *DAYS], key="person_day",
                            format_func=lambda d: "Any day" if d == "any" else d.capitalize())
    with cols[3]:
        low = st.checkbox("Free or low cost", key="person_low_cost")
        step = st.checkbox("Step-free access", key="person_step_free")
    return {"kinds": {SHOW_KINDS[k] for k in show}, "within": float(within), "usual": usual,
            "day": None if day == "any" else DAYS.index(day), "low": low, "step": step}


@st.fragment(key=recording_ui.PART_SUGGESTIONS)
def _suggestions_section(person_id: str) -> None:
    """Suggested places (table, numbered map, refer) and people, under the filters. A
    fragment: changing a filter reruns only this part."""
    store, _version, G, epoch = _now(person_id)
    st.subheader("Suggested connections")
    st.caption("The score is a heuristic ranking, not a prediction: it weighs how well a "
               "place or person matches, how near it is, and who they know there (each "
               "factor is shown under Why).")
    f = _filters()
    place_kinds = frozenset(f["kinds"] & vocab.ASSET_KINDS)
    if place_kinds:
        st.markdown("**Groups and organisations**")
        changed = f["within"] != f["usual"]
        candidates = _candidates(G, person_id, place_kinds, PLACE_CANDIDATES,
                                 max(f["within"], f["usual"]), epoch)
        chosen = filtered_places(G, candidates, day=f["day"], free_or_low_cost=f["low"],
                                 step_free=f["step"],
                                 within_km=f["within"] if changed else None,
                                 origin=_origin(G, person_id) if changed else None)
        places = _published(G, person_id, chosen)
        if places.empty:
            narrowed = changed or f["day"] is not None or f["low"] or f["step"]
            st.info("No group or organisation matches these filters: try a wider distance or "
                    "another day." if narrowed else "No group or organisation within reach "
                    "matches their interests or needs.")
        else:
            table = _table(places)
            st.dataframe(table, hide_index=True, width="stretch", key="person_suggestions")
            common.download_table(table, "suggestions.csv", key="person_suggestions_csv")
            _suggestion_map(G, places, G.nodes[person_id].get("area"))
            _record_form(store, person_id, places)
    if vocab.PERSON in f["kinds"]:
        st.markdown("**People they might get on with** (who agreed to be suggested)")
        st.caption("People are suggested within their usual reach; the distance, day, cost "
                   "and access filters are for places (no distance between people is shown).")
        people = _published(G, person_id, _candidates(
            G, person_id, frozenset({vocab.PERSON}), PEOPLE_SUGGESTIONS, None, epoch))
        if people.empty:
            st.caption("No one nearby shares their interests and knows people they know.")
        else:
            table = _table(people).drop(columns=["Kind", "How far", "When", "Cost", "Access"],
                                        errors="ignore")  # never person to person
            st.dataframe(table, hide_index=True, width="stretch", key="person_people")
            common.download_table(table, "people_suggestions.csv", key="person_people_csv")
    if not f["kinds"]:
        st.caption("Choose what to show: groups, organisations or people.")


@st.fragment(key=recording_ui.PART_RECORD)
def _recording(user: User, person_id: str) -> None:
    """The Record panel (:func:`assetmap.ui.recording_ui.person_panel`). A fragment: searching
    and picking rerun only it; a save reruns only the parts of the page it changed."""
    recording_ui.person_panel(common.get_store(), user, person_id)


@st.fragment(key=recording_ui.PART_OUTCOMES)
def _outcomes(person_id: str) -> None:
    """Their timeline, measures and goals (issue 18), as a fragment: a new tie redraws it."""
    store, _version, G, _epoch = _now(person_id)
    outcomes_summary(store, person_id, G)


@st.fragment(key=recording_ui.PART_OUTCOME_FORMS)
def _outcome_forms(person_id: str, user: User | None) -> None:
    """The forms to record a scale, a goal or a rating: a fragment of its own, so a save
    elsewhere on the page does not draw them again (their own saves rerun the page)."""
    outcomes_forms(common.get_store(), person_id, user)


def _now(person_id: str) -> tuple[GraphStore, int, nx.MultiDiGraph, int]:
    """What a part of the page reads, at the store's version now: a part rerun alone after a
    save (:mod:`assetmap.ui.recording_ui`) must not show the graph of the page's last run."""
    store = common.get_store()
    version = store.version()
    common.forget_stale(common.store_url(), version)
    G = _graph(store, common.store_url(), version, person_id)
    return store, version, G, graph_epoch(store, version)


@st.fragment(key=recording_ui.PART_SUMMARY)
def _summary(user: User, person_id: str) -> None:
    """Their circle, isolation level and ties table: a fragment, so a save that changes their
    ties redraws these without the rest of the page."""
    store, version, G, epoch = _now(person_id)
    if person_id not in G:
        st.warning("This person is no longer in the store.")
        return
    attrs = G.nodes[person_id]
    from assetmap.governance import access

    named = access.can_view_person(user, person_id)  # names one step out (issue 14)
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Their circle")
        _circle(G, named, person_id, epoch)
    with right:
        st.subheader("Isolation")
        _isolation(common.store_url(), version, person_id,
                   G if common.is_server_store(store) else None)
        wants = [*(attrs.get("interests") or []), *(attrs.get("needs") or [])]
        if wants:
            st.caption("Interests and needs: "
                       + common.md_escape(", ".join(vocab.label(str(w)) for w in wants)))
    _ties(G, named, person_id)  # right under the picture, the width of the page


@st.cache_resource(show_spinner="Reading their part of the network…", max_entries=16)
def _neighbourhood(url: str, version: int, person_id: str, km: float,
                   place_km: float) -> nx.MultiDiGraph:
    """One person's neighbourhood from a server store, cached per (store, version, person)."""
    return common.get_store().person_neighbourhood(person_id, km, place_km)  # type: ignore[attr-defined]


def _graph(store: GraphStore, url: str, version: int, person_id: str) -> nx.MultiDiGraph:
    """What the page reads: on a server store (Neo4j) only this person's neighbourhood, in
    ``to_networkx``'s shape (:mod:`assetmap.graph.store.neighbourhood`; issue 16, small
    queries); else the whole graph shared by every page."""
    if not common.is_server_store(store):
        return common.graph(url, version)
    from assetmap import settings

    usual = settings.load().max_travel_km
    return _neighbourhood(url, version, person_id, usual, max(*WITHIN_KM, usual))


def render() -> None:
    """Draw the page (signed-in users whose role may open it; see
    :mod:`assetmap.governance.access`)."""
    user = auth.require_page("person.py")
    st.title("Person")
    opened = common.store_with_people()
    if opened is None:
        return
    store, version = opened
    url = common.store_url()
    try:
        person_id = _choose_person(store, user)
        if person_id is None:
            st.info("Choose a person to see their circle, suggestions and referrals.")
            common.footer()
            return
        _audit_view(store, user, person_id)
        if person_id not in _graph(store, url, version, person_id):
            st.warning("This person is no longer in the store.")
            common.footer()
            return
        assert user is not None  # require_page stops the page for no one signed in
        _summary(user, person_id)
        _suggestions_section(person_id)
        _recording(user, person_id)
        _referrals(person_id)
        _outcomes(person_id)
        _outcome_forms(person_id, user)
    except Exception as exc:
        common.show_error(exc)
    common.footer()


if __name__ == "__main__":
    render()
