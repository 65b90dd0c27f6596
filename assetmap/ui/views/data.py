"""Data page: upload a spreadsheet, an Open Referral UK directory or a boundary file, read the
validation report of a dry run, then commit or cancel; and what the store holds, with the data
sources and their licences."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from assetmap import vocab
from assetmap.graph.store import GraphStore, store_summary
from assetmap.ingest.report import ImportReport
from assetmap.ui import auth, common
from assetmap.ui.uploads import _UploadOwner, save_upload, sweep_uploads

#: importer key -> (label, file types it reads)
IMPORTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "spreadsheet": ("Spreadsheet of people, groups, organisations, practitioners or ties "
                    "(CSV, XLSX)", ("csv", "xlsx")),
    "oruk": ("Service directory (Open Referral UK / HSDS JSON)", ("json",)),
    "boundaries": ("Area boundaries (GeoJSON, GeoPackage, zipped Shapefile)",
                   ("geojson", "gpkg", "zip")),
}
SPREADSHEET_KINDS: tuple[str, ...] = ("auto", vocab.PERSON, vocab.GROUP, vocab.ORGANISATION,
                                      vocab.PRACTITIONER, "Tie")
_PENDING = "data_pending"
_FLASH = "data_flash"
_UPLOADS = "data_upload_round"
_OWNER = "data_upload_owner"


def guess_importer(file_name: str) -> str:
    """Which importer reads a file, from its extension (a GeoJSON is boundaries, not ORUK)."""
    ext = Path(file_name).suffix.lower().lstrip(".")
    if ext == "json" and file_name.lower().endswith(".geo.json"):
        return "boundaries"
    for key, (_label, types) in IMPORTERS.items():
        if ext in types:
            return key
    return "spreadsheet"


def run_import(store: GraphStore, importer: str, path: Path, *, dry_run: bool,
               options: dict[str, Any] | None = None,
               progress: Callable[[int], None] | None = None) -> ImportReport:
    """Run one importer on a file (``dry_run`` first: nothing is written) and return its
    report; ``progress`` hears how many rows a long spreadsheet import has read so far."""
    options = dict(options or {})
    if importer == "spreadsheet":
        from assetmap.ingest.spreadsheet import import_spreadsheet

        kind = options.get("kind")
        return import_spreadsheet(store, path, None if kind in (None, "auto") else kind,
                                  dry_run=dry_run, progress=progress)
    if importer == "oruk":
        from assetmap.ingest.openreferral import import_oruk

        return import_oruk(store, path, dry_run=dry_run)
    if importer == "boundaries":
        from assetmap.ingest.boundaries import import_boundaries

        return import_boundaries(store, path, level=options.get("level") or None,
                                 dry_run=dry_run)
    raise ValueError(f"importer {importer!r} is not one of {', '.join(IMPORTERS)}")


def _progress_line() -> Callable[[int], None]:
    """A live "rows read" line for long imports (the importer calls it every 10,000 rows)."""
    line = st.empty()

    def show(rows: int) -> None:
        line.caption(f"{rows:,} rows read…")

    return show


def report_table(report: ImportReport) -> pd.DataFrame:
    """Every rejected record and note of a report: status, file, where, field, reason."""
    rows = [("rejected", r.file, r.where, r.field, r.reason) for r in report.rejections]
    rows += [("note", r.file, r.where, r.field, r.reason) for r in report.notes]
    rows += [("changed", report.source, where, ", ".join(fields), "these fields changed")
             for where, fields in getattr(report, "samples", [])]  # merge: names, no values
    frame = pd.DataFrame(rows, columns=["status", "file", "where", "field", "reason"])
    frame["file"] = frame["file"].map(lambda f: Path(str(f)).name)
    return frame


def _discard(pending: dict | None) -> None:
    if pending:
        shutil.rmtree(Path(pending["path"]).parent, ignore_errors=True)
    st.session_state.pop(_OWNER, None)


def _check(store: GraphStore, upload: Any, importer: str, options: dict[str, Any]) -> None:
    """Dry-run an upload and keep its report in the session until committed or cancelled."""
    _discard(st.session_state.get(_PENDING))
    st.session_state.pop(_PENDING, None)
    path = save_upload(upload.name, upload.getvalue())
    try:
        from assetmap.ingest.limits import check_archive

        check_archive(path)  # any zip (XLSX, zipped Shapefile): sizes before unpacking
        with st.spinner("Checking the file (nothing is written yet)…"):
            report = run_import(store, importer, path, dry_run=True, options=options,
                                progress=_progress_line())
    except Exception as exc:
        shutil.rmtree(path.parent, ignore_errors=True)
        common.show_error(exc)
        return
    st.session_state[_OWNER] = _UploadOwner(path.parent)
    st.session_state[_PENDING] = {
        "signature": (upload.file_id, importer, tuple(sorted(options.items()))),
        "path": str(path), "name": upload.name, "importer": importer, "options": options,
        "summary": report.summary(), "written": report.written,
        "table": report_table(report)}


def _uploader(store: GraphStore) -> None:
    st.subheader("Import a file")
    round_ = st.session_state.get(_UPLOADS, 0)
    types = sorted({t for _label, ts in IMPORTERS.values() for t in ts})
    upload = st.file_uploader("Choose a file", type=types, key=f"data_upload_{round_}",
                              help="Nothing is written until you press Commit.")
    if upload is None:
        _discard(st.session_state.pop(_PENDING, None))
        st.caption("Spreadsheet templates: `assetmap templates DIR` writes one per record kind.")
        return
    keys = list(IMPORTERS)
    importer = st.selectbox("What is in the file", keys, index=keys.index(
        guess_importer(upload.name)), format_func=lambda k: IMPORTERS[k][0],
        key=f"data_importer_{round_}")
    options: dict[str, Any] = {}
    if importer == "spreadsheet":
        options["kind"] = st.selectbox(
            "Records in the sheet", SPREADSHEET_KINDS, key=f"data_kind_{round_}",
            format_func=lambda k: "Tell from the file name and headers" if k == "auto" else k)
    elif importer == "boundaries":
        options["level"] = st.selectbox(
            "Area level", ["", *vocab.AREA_LEVELS], key=f"data_level_{round_}",
            format_func=lambda k: k or "Tell from the code column")
    pending = st.session_state.get(_PENDING)
    if pending is not None and not Path(pending["path"]).exists():
        # Expired (or swept at a restart): the file is gone, so check the upload again.
        st.session_state.pop(_PENDING, None)
        pending = None
    signature = (upload.file_id, importer, tuple(sorted(options.items())))
    if pending is None or pending["signature"] != signature:
        _check(store, upload, importer, options)
        pending = st.session_state.get(_PENDING)
    if pending is None:
        return
    st.markdown("**Validation report (dry run)**")
    st.info(common.md_escape(pending["summary"]))
    table = pending["table"]
    if table.empty:
        st.caption("Every record passed the checks.")
    else:
        st.dataframe(table, hide_index=True, width="stretch")
        common.download_table(table, "assetmap_import_report.csv", key="data_report_csv",
                              label="Download the report (CSV)")
    cols = st.columns([1, 1, 4])
    commit = cols[0].button("Commit", type="primary", key="data_commit",
                            disabled=pending["written"] == 0)
    cancel = cols[1].button("Cancel", key="data_cancel")
    if commit:
        try:
            with st.spinner("Importing…"):
                report = run_import(store, pending["importer"], Path(pending["path"]),
                                    dry_run=False, options=pending["options"],
                                    progress=_progress_line())
        except Exception as exc:
            common.show_error(exc)
            return
        st.session_state[_FLASH] = ("success", report.summary())
    elif cancel:
        st.session_state[_FLASH] = ("info", f"Import of {pending['name']} cancelled: nothing "
                                    "was written.")
    if commit or cancel:
        _discard(st.session_state.pop(_PENDING, None))
        st.session_state[_UPLOADS] = round_ + 1
        st.rerun()


def _holdings(store: GraphStore) -> None:
    st.subheader("What the store holds")
    summary = store_summary(store)
    st.caption(f"Store: {common.md_escape(summary['store'])} · version {summary['version']}")
    nodes = pd.DataFrame({"Records": list(summary["nodes"]),
                          "How many": list(summary["nodes"].values())})
    ties = pd.DataFrame({"Tie": list(summary["ties"]),
                         "Class": [vocab.tie_class(k) for k in summary["ties"]],
                         "How many": list(summary["ties"].values())})
    cols = st.columns(2)
    with cols[0]:
        st.dataframe(nodes, hide_index=True, width="stretch")
        common.download_table(nodes, "assetmap_records.csv", key="data_nodes_csv")
    with cols[1]:
        st.dataframe(ties[ties["How many"] > 0], hide_index=True, width="stretch")
        common.download_table(ties, "assetmap_ties.csv", key="data_ties_csv")


def data_sources() -> pd.DataFrame:
    """The data sources and licences recorded in the store by each import (the same table the
    About page lists; :mod:`assetmap.graph.store.sources`)."""
    return common.sources_table(common.store_url(), common.get_store().version())


def render() -> None:
    """Draw the page (signed-in users whose role may open it; see
    :mod:`assetmap.governance.access`)."""
    auth.require_page("data.py")
    st.title("Data")
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        kind, text = flash
        (st.success if kind == "success" else st.info)(common.md_escape(text))
    try:
        sweep_uploads()
        store = common.get_store()
        _uploader(store)
        _holdings(store)
    except Exception as exc:
        common.show_error(exc)
    st.subheader("Data sources and licences")
    try:
        st.dataframe(data_sources(), hide_index=True, width="stretch")
    except Exception as exc:
        common.show_error(exc)
    st.caption("Data you import stays in your store.")
    common.footer()


if __name__ == "__main__":
    render()
