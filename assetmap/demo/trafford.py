"""The real demo area, Trafford (E08000009): boundaries, postcodes and community assets.

Everything is read from the small open-data copy shipped in ``assetmap/demo/data/`` (Open
Government Licence v3.0; see its README.md) and turned into graph records: Area nodes for the
borough, its 21 wards (2023) and 139 LSOAs (2021), and Organisation/Group nodes for real
community assets. Nothing here downloads anything; all loaders are cached.
"""

from __future__ import annotations

import copy
import functools
import re
import string
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from assetmap import vocab
from assetmap.geo import haversine_m, normalise_postcode  # the package's one normaliser
from assetmap.model import Node, Tie

DATA_DIR: Path = Path(__file__).resolve().parent / "data"
ASSETS_DIR: Path = DATA_DIR / "assets"
LA_CODE = "E08000009"
LA_NAME = "Trafford"
ATTRIBUTION: str = (
    "Contains National Statistics data © Crown copyright and database right 2025. "
    "Contains OS data © Crown copyright and database right 2025. "
    "Trafford Data Lab / Trafford Council, Open Government Licence v3.0."
)

#: Boundary level -> file in DATA_DIR.
BOUNDARY_FILES: dict[str, str] = {
    "ward": "trafford_ward_2023_generalised.geojson",
    "lsoa": "trafford_lsoa_2021_generalised.geojson",
    "la": "trafford_local_authority_2023_generalised.geojson",
    "locality": "trafford_localities_2023_generalised.geojson",
}
POSTCODE_FILE = "trafford_postcodes.csv"
_CRS = "EPSG:4326"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "unnamed"


@functools.lru_cache(maxsize=8)
def _boundaries(level: str) -> gpd.GeoDataFrame:
    if level not in BOUNDARY_FILES:
        raise ValueError(f"unknown boundary level {level!r}; expected one of "
                         f"{', '.join(BOUNDARY_FILES)}")
    gdf = gpd.read_file(DATA_DIR / BOUNDARY_FILES[level])
    if "area_code" not in gdf.columns:  # the localities file has names only
        gdf["area_code"] = "locality:" + gdf["area_name"].map(_slug)
    gdf["level"] = level
    gdf = gdf[["area_code", "area_name", "level", "geometry"]].to_crs(_CRS)
    return gdf.sort_values("area_code").reset_index(drop=True)


def boundaries(level: str = "ward") -> gpd.GeoDataFrame:
    """Trafford's areas at ``level`` ("ward" 2023, "lsoa" 2021, "la", "locality") in EPSG:4326.

    Columns ``area_code``, ``area_name``, ``level``, ``geometry``; a fresh copy each call.
    """
    return _boundaries(level).copy()


def trafford_outline() -> BaseGeometry:
    """The borough outline as one shapely geometry (for inside-Trafford checks)."""
    return _boundaries("la").geometry.union_all()


@functools.lru_cache(maxsize=1)
def _postcodes() -> pd.DataFrame:
    frame = pd.read_csv(DATA_DIR / POSTCODE_FILE, dtype={"postcode": str, "ward_code": str,
                                                         "lsoa_code": str, "msoa_code": str,
                                                         "locality": str})
    frame = frame.dropna(subset=["lat", "lon"])
    points = gpd.points_from_xy(frame["lon"], frame["lat"], crs=_CRS)
    inside = gpd.GeoSeries(points, index=frame.index).within(trafford_outline())
    frame = frame[inside.to_numpy()]
    cols = ["postcode", "lat", "lon", "lsoa_code", "ward_code", "msoa_code", "locality"]
    return frame[cols].sort_values("postcode").reset_index(drop=True)


def postcodes() -> pd.DataFrame:
    """Trafford's postcodes with their centroid, LSOA (2021) and ward (2023); a fresh copy.

    Columns ``postcode``, ``lat``, ``lon``, ``lsoa_code``, ``ward_code`` (plus ``msoa_code``,
    ``locality``); only rows whose centroid lies inside the borough outline. The ONS file
    includes terminated postcodes without marking them (see data README), so old addresses
    still geocode.
    """
    return _postcodes().copy()


@functools.lru_cache(maxsize=1)
def _postcode_index() -> dict[str, tuple[float, float]]:
    frame = _postcodes()
    return {pc: (lat, lon) for pc, lat, lon in
            zip(frame["postcode"], frame["lat"], frame["lon"], strict=True)}


def geocode_postcode(text: str | None) -> tuple[float, float] | None:
    """(lat, lon) of a Trafford postcode's centroid, or None where it is not in Trafford."""
    pc = normalise_postcode(text)
    return None if pc is None else _postcode_index().get(pc)


# --- Area nodes ---------------------------------------------------------------------------------


def _point(geom) -> tuple[float, float]:
    p = geom.representative_point()
    return round(float(p.y), 6), round(float(p.x), 6)


@functools.lru_cache(maxsize=1)
def _lsoa_parent_ward() -> dict[str, str]:
    """LSOA code -> the 2023 ward holding most of its postcodes (ties broken by ward code)."""
    frame = _postcodes()
    counts = frame.groupby(["lsoa_code", "ward_code"]).size().reset_index(name="n")
    counts = counts.sort_values(["lsoa_code", "n", "ward_code"], ascending=[True, False, True])
    best = counts.drop_duplicates("lsoa_code")
    return dict(zip(best["lsoa_code"], best["ward_code"], strict=True))


def area_nodes() -> list[Node]:
    """Area nodes: the borough (level "la"), its 21 wards (2023) and 139 LSOAs (2021).

    A ward's parent is the borough; an LSOA's parent is the 2023 ward holding most of its
    postcodes. Each node carries a representative point (inside its polygon).
    """
    nodes: list[Node] = []
    for row in _boundaries("la").itertuples():
        lat, lon = _point(row.geometry)
        nodes.append(Node(row.area_code, vocab.AREA, row.area_name, None, lat, lon,
                          {"level": "la", "parent": None}))
    for row in _boundaries("ward").itertuples():
        lat, lon = _point(row.geometry)
        nodes.append(Node(row.area_code, vocab.AREA, row.area_name, None, lat, lon,
                          {"level": "ward", "parent": LA_CODE}))
    parents = _lsoa_parent_ward()
    for row in _boundaries("lsoa").itertuples():
        lat, lon = _point(row.geometry)
        nodes.append(Node(row.area_code, vocab.AREA, row.area_name, None, lat, lon,
                          {"level": "lsoa", "parent": parents.get(row.area_code)}))
    for node in nodes:
        node.validate()
    return nodes


# --- Community assets -----------------------------------------------------------------------------

#: Layer -> (folder under assets/, dataset name used as each node's ``source``).
LAYERS: dict[str, tuple[str, str]] = {
    "gp_practices": ("general_practice", "NHS Digital GP practices (2026-01-23)"),
    "libraries": ("libraries", "Trafford Council libraries (2023-11-21)"),
    "places_of_worship": ("places_of_worship", "OS OpenMap Local places of worship (2018)"),
    "sports_clubs": ("sports_clubs", "Trafford Council sports clubs (2018-07)"),
    "mental_health": ("mental_health", "Trafford Council mental health services (2018-07)"),
    "food_banks": ("food_banks", "GM Poverty Action food banks (2018-05)"),
    "charities": ("charities", "Charity Commission register extract (2023-04-04)"),
    "care_homes": ("care_homes", "Care Quality Commission care homes (2026-02-25)"),
    "pharmacies": ("pharmacies", "NHSBSA consolidated pharmaceutical list (2025-03-31)"),
    "childrens_centres": ("childrens_centres", "DfE children's centres (2019-08-29)"),
    "leisure_centres": ("sport_facilities", "Sport England Active Places (2025-09-30)"),
    "sport_facilities": ("sport_facilities", "Sport England Active Places (2025-09-30)"),
    "green_spaces": ("greenspaces", "OS Open Greenspace (2023-10)"),
}

_USER_LED = re.compile(r"\b(user[- ]led|peer[- ]led|run by (?:its |our )?members|member[- ]led|"
                       r"self[- ]help group|run by and for)\b", re.IGNORECASE)
#: Phrases where "work" means the organisation's own work, not employment.
_NOT_EMPLOYMENT = re.compile(r"\b(?:works?|working) (?:with|in|for|alongside|together|across)\b|"
                             r"\b(?:the|its|our|their) work\b", re.IGNORECASE)
#: Words in an e-mail's local part that mark it as an organisation's inbox, not a person's.
_ORG_MAILBOX = ("info", "enquir", "admin", "office", "contact", "hello", "team", "mail",
                "reception", "booking", "help", "support", "library", "libraries", "foodbank",
                "church", "parish", "centre", "center", "club", "secretary", "general",
                "service", "charity", "trust", "clerk")
_GENERIC_INBOX = ("info", "enquir", "admin", "office", "contact", "hello", "helpline",
                  "reception", "booking")
_ULO = re.compile(r"\b(user[- ]led organi[sz]ation|run by and for)\b", re.IGNORECASE)
_CARERS_CENTRE = re.compile(r"\bcarers'? centre\b", re.IGNORECASE)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _text(value) -> str | None:
    """Tidy text, or None for blanks and NaN."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text or None


def _display_name(value) -> str:
    """A readable name: SHOUTED register names become "Title Case"."""
    text = _text(value) or ""
    return string.capwords(text.lower()) if text.isupper() else text


def _telephone(value, allow_mobile: bool = True) -> str | None:
    """A UK phone number written the usual way ("1617486414.0" -> "0161 748 6414")."""
    text = _text(value)
    if text is None:
        return None
    if re.fullmatch(r"\d+\.0", text):
        text = text[:-2]
    digits = re.sub(r"\D", "", text)
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    if len(digits) == 10 and not digits.startswith("0"):
        digits = "0" + digits
    if len(digits) != 11 or not digits.startswith("0"):
        return None
    if digits.startswith("07") and not allow_mobile:
        return None  # a mobile on a small charity's record is likely a volunteer's own phone
    if digits.startswith(("011", "0161", "0121", "0131", "0141", "0151", "0191")) or \
            digits[:3] in ("080", "030", "033", "034", "084", "087"):
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if digits.startswith("02"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return f"{digits[:5]} {digits[5:]}"


def _org_email(value, strict: bool = False) -> str | None:
    """An e-mail address only when it is an organisation's inbox (info@, admin@, ...).

    ``strict`` (for register contacts, often a trustee's own address) keeps only addresses
    whose local part starts with a generic inbox word.
    """
    text = _text(value)
    if text is None or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        return None
    local = text.split("@", 1)[0].lower()
    if strict:
        return text.lower() if local.startswith(_GENERIC_INBOX) else None
    return text.lower() if any(word in local for word in _ORG_MAILBOX) else None


def _website(value) -> str | None:
    text = _text(value)
    if text is None or " " in text or "." not in text:
        return None
    return text if re.match(r"https?://", text, re.IGNORECASE) else "http://" + text


#: Needs whose vocabulary words are common in other senses ("pastoral work", "the current
#: activity") are kept only where the text also says so in plainer words.
_CONFIRM_NEED = {
    "employment": re.compile(r"\b(jobs?|employment|employability|unemployed|jobcentre|cvs?|"
                             r"(into|back to|find|finding|return to|get into) work)\b", re.I),
    "physical_activity": re.compile(r"\b(exercise|fitness|sports?|physical activity|"
                                    r"physically active|keep active|move more|walking|dance|"
                                    r"swimming|football|gym)\b", re.I),
}


def _tags(text: str, activities: tuple[str, ...] = (), needs: tuple[str, ...] = ()
          ) -> tuple[list[str], list[str]]:
    """Canonical activities and needs from descriptive text plus per-layer defaults."""
    found_needs = {need for need in vocab.needs_in(_NOT_EMPLOYMENT.sub(" ", text))
                   if need not in _CONFIRM_NEED or _CONFIRM_NEED[need].search(text)}
    return (sorted(vocab.interests_in(text) | set(activities)),
            sorted(found_needs | set(needs)))


def _record(layer: str, key: str, kind: str, name: str | None, lat: float | None,
            lon: float | None, *, org_kind: str | None = None, text: str = "",
            activities: tuple[str, ...] = (), needs: tuple[str, ...] = (),
            **props: Any) -> dict | None:
    """One asset as a plain dict (``None`` where it has no location)."""
    if lat is None or lon is None or lat != lat or lon != lon:
        return None
    acts, wants = _tags(text, activities, needs)
    record_props: dict = {}
    if org_kind is not None:
        record_props["org_kind"] = org_kind
    record_props.update({
        "activities": acts, "needs": wants, "status": "active",
        "user_led": bool(_USER_LED.search(text)), "layer": layer, "source": LAYERS[layer][1],
    })
    if kind == vocab.ORGANISATION:
        record_props["funding"] = "stable"
    for prop, value in props.items():
        if value is not None and value != [] and value != "":
            record_props[prop] = value
    return {"key": key, "kind": kind, "name": name, "lat": round(float(lat), 6),
            "lon": round(float(lon), 6), "props": record_props}


def _asset_path(layer: str, filename: str) -> Path:
    return ASSETS_DIR / LAYERS[layer][0] / filename


def _gp_practices() -> list[dict | None]:
    gps = pd.read_csv(_asset_path("gp_practices", "trafford_general_practices.csv"), dtype=str)
    regs = pd.read_csv(ASSETS_DIR / "general_practice_patient_registrations"
                       / "trafford_gp_patient_registrations.csv", dtype=str)
    regs = regs.rename(columns={"practice_name": "name", "practice_postcode": "postcode"})
    gps = gps.merge(regs[["name", "postcode", "practice_code", "registered_patients"]],
                    on=["name", "postcode"], how="left")
    out = []
    for r in gps.itertuples():
        code = _text(r.practice_code)
        patients = _text(r.registered_patients)
        out.append(_record(
            "gp_practices", f"org:gp:{code}" if code else f"org:gp:{_slug(r.name)}",
            vocab.ORGANISATION, _text(r.name), float(r.lat), float(r.lon),
            org_kind="gp_practice", needs=("health_advice",), cost="free",
            practice_code=code, registered_patients=int(patients) if patients else None,
            address=_text(r.address), postcode=normalise_postcode(r.postcode),
            telephone=_telephone(r.telephone)))
    return out


def _libraries() -> list[dict | None]:
    frame = pd.read_csv(_asset_path("libraries", "trafford_libraries.csv"), dtype=str)
    return [_record(
        "libraries", f"org:library:{_slug(r.name)}", vocab.ORGANISATION, _text(r.name),
        float(r.lat), float(r.lon), org_kind="library", text=_text(r.type) or "",
        activities=("reading", "digital", "learning"), cost="free", library_type=_text(r.type),
        address=_text(r.address), postcode=normalise_postcode(r.postcode),
        email=_org_email(r.email), website=_website(r.website))
        for r in frame.itertuples()]


def _places_of_worship() -> list[dict | None]:
    frame = gpd.read_file(_asset_path("places_of_worship",
                                      "trafford_places_of_worship.geojson")).to_crs(_CRS)
    out = []
    for r in frame.itertuples():
        lat, lon = _point(r.geometry)
        name = _text(r.DISTNAME) or "Place of worship"
        out.append(_record(
            "places_of_worship", f"org:worship:{_slug(name)}-{str(r.ID)[:8].lower()}",
            vocab.ORGANISATION, name, lat, lon, org_kind="place_of_worship", text=name,
            activities=("faith",), cost="free", os_id=_text(r.ID)))
    return out


#: Sports club category words the vocabulary does not know -> canonical interests.
_SPORT_INTERESTS = {"badminton": "tennis", "multi sports": "exercise", "athletic": "exercise",
                    "gymnastics": "exercise", "trampoline": "exercise", "weights": "exercise",
                    "rugby": "exercise", "netball": "exercise", "basketball": "exercise",
                    "hockey": "exercise", "riding": "exercise", "rowing": "exercise",
                    "fencing": "exercise", "croquet": "exercise", "water sports": "swimming",
                    "gaelic football": "football"}


def _sport_interests(category: str) -> tuple[str, ...]:
    found = set(vocab.interests_in(category))
    for part in (p.strip().lower() for p in re.split(r"[,/&]", category)):
        if part in _SPORT_INTERESTS:
            found.add(_SPORT_INTERESTS[part])
    return tuple(sorted(found or {"exercise"}))


def _sports_clubs() -> list[dict | None]:
    frame = pd.read_csv(_asset_path("sports_clubs", "sports_clubs.csv"), dtype=str)
    out = []
    for r in frame.itertuples():
        where = geocode_postcode(r.postcode)
        category = _text(r.category) or ""
        out.append(_record(
            "sports_clubs", f"group:sport:{_slug(r.name)}", vocab.GROUP, _text(r.name),
            *(where or (None, None)), text=category, activities=_sport_interests(category),
            needs=("physical_activity",), group_type="sports_club", category=category,
            address=_text(r.address), postcode=normalise_postcode(r.postcode)))
    return out


def _mental_health() -> list[dict | None]:
    frame = gpd.read_file(_asset_path("mental_health",
                                      "trafford_mental_health_services.geojson")).to_crs(_CRS)
    return [_record(
        "mental_health", f"org:mental_health:{_slug(r.name)}", vocab.ORGANISATION,
        _text(r.name), r.geometry.y, r.geometry.x,
        org_kind="carers_centre" if _CARERS_CENTRE.search(r.name) else "mental_health_service",
        text=_text(r.description) or "", needs=("mental_health",),
        description=_text(r.description), address=_text(r.address),
        postcode=normalise_postcode(r.postcode), telephone=_telephone(r.telephone),
        website=_website(r.website))
        for r in frame.itertuples()]


def _food_banks() -> list[dict | None]:
    frame = gpd.read_file(_asset_path("food_banks", "trafford_food_banks.geojson")).to_crs(_CRS)
    frame = frame.rename(columns={"Referral method": "referral", "Opening times": "opening"})
    out = []
    for r in frame.itertuples():
        name = _text(r.Name) or "Food bank"
        venue = (_text(r.Address) or "").split(",")[0].strip()
        if name == "Trussell Trust" and venue:
            name = f"Trussell Trust food bank at {venue}"
        referral = _text(r.referral)
        out.append(_record(
            "food_banks", f"org:foodbank:{_slug(name)}", vocab.ORGANISATION, name,
            r.geometry.y, r.geometry.x, org_kind="food_bank", needs=("food",), cost="free",
            referral=None if referral in (None, "Not known") else referral,
            opening_times=_text(r.opening), address=_text(r.Address),
            postcode=normalise_postcode(r.Postcode), email=_org_email(r.Contact),
            website=_website(r.Website)))
    return out


def _charity_kind(name: str, activities: str) -> str:
    """"carers_centre" or "ulo" where the register says so plainly; otherwise "charity"."""
    if _CARERS_CENTRE.search(name):
        return "carers_centre"
    if _ULO.search(activities):
        return "ulo"
    return "charity"


def _charities() -> list[dict | None]:
    frame = pd.read_csv(_asset_path("charities", "charities_operating_in_trafford.csv"),
                        dtype=str)
    out = []
    for r in frame.itertuples():
        where = geocode_postcode(r.charity_contact_postcode)
        if where is None:
            continue
        activities = _text(r.charity_activities) or ""
        name = _display_name(r.charity_name)
        out.append(_record(
            "charities", f"org:charity:{_text(r.registered_charity_number)}", vocab.ORGANISATION,
            name, *where, org_kind=_charity_kind(name, activities), text=f"{name}. {activities}",
            charity_number=_text(r.registered_charity_number),
            charity_type=_text(r.charity_type), description=activities or None,
            address=_text(r.charity_contact_address),
            postcode=normalise_postcode(r.charity_contact_postcode),
            telephone=_telephone(r.charity_contact_phone, allow_mobile=False),
            email=_org_email(r.charity_contact_email, strict=True),
            website=_website(r.charity_contact_web)))
    return out


def _care_homes() -> list[dict | None]:
    frame = pd.read_csv(_asset_path("care_homes", "trafford_care_homes.csv"), dtype=str)
    return [_record(
        "care_homes", f"org:care_home:{_text(r.cqc_id)}", vocab.ORGANISATION, _text(r.name),
        float(r.lat), float(r.lon), org_kind="care_home", needs=("older_people",),
        text=_text(r.type) or "", care_home_type=_text(r.type), provider=_text(r.provider),
        cqc_id=_text(r.cqc_id), address=_text(r.address), postcode=normalise_postcode(r.postcode),
        telephone=_telephone(r.telephone), website=_website(r.website),
        cqc_webpage=_website(r.cqc_webpage))
        for r in frame.itertuples()]


def _opening_hours(row) -> str | None:
    parts = []
    for day in _WEEKDAYS:
        hours = _text(getattr(row, f"opening_hours_{day}", None))
        if hours:
            parts.append(f"{day[:3].title()} {hours.lower() if hours == 'CLOSED' else hours}")
    return "; ".join(parts) or None


def _pharmacies() -> list[dict | None]:
    frame = gpd.read_file(_asset_path("pharmacies", "trafford_pharmacies.geojson")).to_crs(_CRS)
    return [_record(
        "pharmacies", f"org:pharmacy:{_text(r.organisation_data_service_code)}",
        vocab.ORGANISATION, _text(r.pharmacy_name), r.geometry.y, r.geometry.x,
        org_kind="pharmacy", needs=("health_advice",),
        ods_code=_text(r.organisation_data_service_code), opening_times=_opening_hours(r),
        address=_text(r.address), postcode=normalise_postcode(r.postcode))
        for r in frame.itertuples()]


def _childrens_centres() -> list[dict | None]:
    frame = pd.read_csv(_asset_path("childrens_centres", "trafford_childrens_centres.csv"),
                        dtype=str)
    return [_record(
        "childrens_centres", f"org:childrens_centre:{_text(r.unique_reference_number)}",
        vocab.ORGANISATION, _text(r.name), float(r.lat), float(r.lon),
        org_kind="childrens_centre", needs=("young_people",), cost="free",
        address=_text(r.address), postcode=normalise_postcode(r.postcode),
        telephone=_telephone(r.telephone))
        for r in frame.itertuples()]


#: Sport England facility types -> canonical interests.
_FACILITY_INTERESTS = {
    "Grass pitches": ("football", "cricket"), "Artificial grass pitches": ("football",),
    "Sports halls": ("exercise",), "Health and fitness gym stations": ("exercise",),
    "Studios": ("exercise",), "Swimming pools": ("swimming",), "Golf": ("golf",),
    "Squash courts": ("tennis",), "Outdoor tennis courts": ("tennis",),
    "Indoor tennis courts": ("tennis",), "Athletics": ("exercise",), "Ski slopes": ("exercise",),
    "Ice rinks": ("exercise",),
}
_INDOOR_LEISURE = {"Sports halls", "Health and fitness gym stations", "Studios", "Swimming pools"}
_PUBLIC_ACCESS = {"Free Public Access": "free", "Pay and Play": "paid"}


def _sport_sites() -> list[dict | None]:
    """Sport England sites the public can use without joining: leisure centres and facilities."""
    frame = pd.read_csv(_asset_path("leisure_centres", "sports_facilities.csv"), dtype=str)
    frame = frame[frame["access_type"].isin(_PUBLIC_ACCESS)]
    out = []
    for site_id, site in frame.groupby("site_id", sort=True):
        first = site.iloc[0]
        types = sorted(set(site["facility_type"].dropna()))
        leisure = bool(_INDOOR_LEISURE & set(types))
        cost = "free" if "Free Public Access" in set(site["access_type"]) else "paid"
        interests = tuple(sorted({i for t in types for i in _FACILITY_INTERESTS.get(t, ())}))
        access = []
        if (first["disability_finding_reaching_entrance"] == "Yes"
                and first["disability_doorways"] == "Yes"):
            access.append("step_free")
        if first["disability_toilets"] == "Yes":
            access.append("accessible_toilet")
        layer = "leisure_centres" if leisure else "sport_facilities"
        common: dict[str, Any] = dict(
            text=" ".join(types), activities=interests or ("exercise",),
            needs=("physical_activity",), cost=cost, access=access,
            facilities=types, site_id=str(site_id),
            address=", ".join(p for p in (_text(first["street"]), _text(first["town"])) if p),
            postcode=normalise_postcode(first["postcode"]),
            telephone=_telephone(first["telephone"], allow_mobile=False),
            email=_org_email(first["email"]),
            website=_website(first["website"]))
        if leisure:
            out.append(_record(layer, f"org:leisure:{site_id}", vocab.ORGANISATION,
                               _text(first["site_name"]), float(first["lat"]),
                               float(first["lon"]), org_kind="leisure_centre", **common))
        else:
            out.append(_record(layer, f"group:facility:{site_id}", vocab.GROUP,
                               _text(first["site_name"]), float(first["lat"]),
                               float(first["lon"]), group_type="sport_facility", **common))
    return out


_GREEN_TYPES = {"Public Park Or Garden": ("park", ("nature", "walking"), "free"),
                "Allotments Or Community Growing Spaces": ("allotment", ("gardening", "nature"),
                                                           "low")}


def _green_spaces() -> list[dict | None]:
    frame = gpd.read_file(_asset_path("green_spaces", "trafford_greenspace_sites.geojson"))
    frame = frame[frame["site_type"].isin(_GREEN_TYPES)].to_crs(_CRS)
    out = []
    for r in frame.itertuples():
        group_type, interests, cost = _GREEN_TYPES[r.site_type]
        lat, lon = _point(r.geometry)
        name = _text(r.site_name)
        label = name or ("Public park" if group_type == "park" else "Allotments")
        key = f"group:{group_type}:{_slug(label)}-{lat:.4f}-{lon:.4f}".replace(".", "_")
        out.append(_record(
            "green_spaces", key, vocab.GROUP, label, lat, lon, activities=interests,
            needs=("physical_activity",) if group_type == "park" else (), cost=cost,
            group_type=group_type, site_type=_text(r.site_type), named=name is not None))
    return out


_LOADERS = (_gp_practices, _libraries, _places_of_worship, _sports_clubs, _mental_health,
            _food_banks, _charities, _care_homes, _pharmacies, _childrens_centres, _sport_sites,
            _green_spaces)


def _lsoa_of(records: list[dict]) -> list[str | None]:
    """The LSOA each record lies in (nearest LSOA for points on a generalised border)."""
    points = gpd.GeoDataFrame(
        {"i": range(len(records))},
        geometry=gpd.points_from_xy([r["lon"] for r in records], [r["lat"] for r in records]),
        crs=_CRS)
    inside = points.within(trafford_outline()).to_numpy()
    lsoas = _boundaries("lsoa")[["area_code", "geometry"]]
    joined = gpd.sjoin(points, lsoas, how="left", predicate="within")
    joined = joined.sort_values(["i", "area_code"]).drop_duplicates("i").set_index("i")
    codes = joined["area_code"].reindex(range(len(records)))
    missing = codes.isna().to_numpy() & inside
    if missing.any():
        metric = "EPSG:27700"
        near = gpd.sjoin_nearest(points[missing].to_crs(metric), lsoas.to_crs(metric), how="left")
        near = near.sort_values(["i", "area_code"]).drop_duplicates("i").set_index("i")
        codes.loc[near.index] = near["area_code"]
    return [code if ok and isinstance(code, str) else None
            for code, ok in zip(codes.tolist(), inside, strict=True)]


def _unique(records: list[dict]) -> None:
    """Make every key unique, deterministically: add the postcode, then a counter."""
    seen: dict[str, int] = {}
    for rec in sorted(records, key=lambda r: (r["key"], r["name"], r["lat"], r["lon"])):
        key = rec["key"]
        if key in seen and rec["props"].get("postcode"):
            key = f"{key}-{_slug(rec['props']['postcode'])}"
        base, n = key, 1
        while key in seen:
            n += 1
            key = f"{base}-{n}"
        seen[key] = 1
        rec["key"] = key


def _drop_duplicates(records: list[dict], within_m: float = 100.0) -> list[dict]:
    """Drop repeats of one asset in a layer: the same name within ``within_m`` metres
    (a church drawn as several building polygons, a care home registered twice)."""
    kept: dict[tuple[str, str], list[dict]] = {}
    out = []
    for rec in sorted(records, key=lambda r: (r["key"], r["lat"], r["lon"])):
        if rec["props"].get("named") is False:  # generic names ("Allotments") are not repeats
            out.append(rec)
            continue
        group = kept.setdefault((rec["props"]["layer"], _slug(rec["name"])), [])
        if any(haversine_m(rec["lat"], rec["lon"], k["lat"], k["lon"]) < within_m
               for k in group):
            continue
        group.append(rec)
        out.append(rec)
    return out


@functools.lru_cache(maxsize=1)
def _asset_nodes() -> tuple[Node, ...]:
    records = [rec for loader in _LOADERS for rec in loader() if rec is not None]
    for rec, lsoa in zip(records, _lsoa_of(records), strict=True):
        rec["area"] = lsoa
    records = [rec for rec in records if rec["area"] is not None]  # outside Trafford
    records = _drop_duplicates(records)
    ward_names = dict(zip(_boundaries("ward")["area_code"], _boundaries("ward")["area_name"],
                          strict=True))
    parents = _lsoa_parent_ward()
    for rec in records:
        if rec["props"].get("named") is False:
            rec["name"] = f"{rec['name']} in {ward_names[parents[rec['area']]]}"
    _unique(records)
    nodes = [Node(rec["key"], rec["kind"], rec["name"] or rec["key"], rec["area"], rec["lat"],
                  rec["lon"], rec["props"]).validate() for rec in records]
    return tuple(sorted(nodes, key=lambda n: n.id))


def asset_nodes() -> tuple[list[Node], list[Tie]]:
    """Trafford's real community assets as Organisation and Group nodes, each in its LSOA.

    Returns fresh copies (nodes, ties); ``ties`` is empty: an asset's place is its ``area``,
    and IN_AREA hub ties would distort network measures on the community graph.
    """
    return [copy.deepcopy(node) for node in _asset_nodes()], []


def layer_counts() -> dict[str, int]:
    """How many asset nodes each layer contributes (for summaries and tests)."""
    counts: dict[str, int] = {}
    for node in _asset_nodes():
        layer = node.props["layer"]
        counts[layer] = counts.get(layer, 0) + 1
    return dict(sorted(counts.items()))


def clear_caches() -> None:
    """Forget every cached file read (after the data files change, and in tests)."""
    for cached in (_boundaries, _postcodes, _postcode_index, _lsoa_parent_ward, _asset_nodes):
        cached.cache_clear()
