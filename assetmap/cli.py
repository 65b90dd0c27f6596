"""The ``assetmap`` command line: a thin layer where every verb is one library call."""

from __future__ import annotations

import errno
import json
import sqlite3
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from assetmap import environment as _environment
from assetmap.errors import AssetmapError


class _LazySettings:
    """:mod:`assetmap.settings`, imported on first use: validating settings loads pydantic
    (about half a second), which `assetmap info` never needs to find its store (issue 16)."""

    default_store_url = staticmethod(_environment.default_store_url)

    def __getattr__(self, name: str) -> Any:
        from assetmap import settings

        return getattr(settings, name)


_settings = _LazySettings()

F = TypeVar("F", bound=Callable[..., Any])

store_option = click.option(
    "--store", "store_url", default=None, metavar="URL", envvar="ASSETMAP_STORE",
    help="Store URL: sqlite:///path.db (default: a file in your data directory) or neo4j://…")


def friendly_errors(func: F) -> F:
    """Show an AssetmapError as one readable sentence and exit 1, never as a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AssetmapError as exc:
            raise click.ClickException(str(exc)) from None
        except (OSError, UnicodeDecodeError, sqlite3.OperationalError) as exc:
            raise click.ClickException(io_error_sentence(exc)) from None

    return wrapper  # type: ignore[return-value]


def io_error_sentence(exc: BaseException) -> str:
    """A file-system or database failure (full disk, no permission, a file of the wrong type)
    as one sentence naming the file, never a traceback."""
    if isinstance(exc, UnicodeDecodeError):
        return "The file is not text in UTF-8 (is it the right type of file?)."
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc)
        if "full" in text:
            return "The disk is full: free some space and try again (nothing was changed)."
        return f"The store could not be read or written ({text})."
    assert isinstance(exc, OSError)
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if exc.errno == errno.ENOSPC:
        return f"The disk is full{where}: free some space and try again."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"Permission denied{where}: check who owns the file or folder."
    if exc.errno == errno.ENOENT:
        return f"No such file or folder{where}."
    return f"{exc.strerror or type(exc).__name__}{where}."


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="assetmap")
def main() -> None:
    """assetmap: map an area's people, carers, groups, ULOs and clinicians as one graph."""
    from assetmap.governance.keys import private_umask

    private_umask()  # stores, access files, keys and exports: readable by this account only


@main.command()
@store_option
@click.option("--people", type=click.IntRange(500, 1_000_000), default=None,
              help="Size of the synthetic population (default 20,000).")
@click.option("--seed", type=int, default=None, help="Seed: the same seed gives the same people.")
@click.option("--rebuild", is_flag=True, help="Delete the embedded store and build it again.")
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--host", default="localhost", show_default=True)
@click.option("--no-serve", is_flag=True, help="Build the demo store, then exit.")
@friendly_errors
def demo(store_url: str | None, people: int | None, seed: int | None, rebuild: bool, port: int,
         host: str, no_serve: bool) -> None:
    """Build the Trafford demo area (real assets, synthetic people) and open the app on it."""
    from assetmap.demo.build import open_demo
    from assetmap.ui.launch import serve

    url = store_url or _settings.default_store_url()
    click.echo(f"assetmap: preparing the Trafford demo in {url} …")
    store, result = open_demo(url, people=people, seed=seed, rebuild=rebuild)
    try:
        accounts = _demo_accounts(store, url)
    finally:
        store.close()
    if result["built"]:
        click.echo(f"assetmap: built in {result['seconds']} s: {_counts_line(result)}")
    else:
        click.echo(f"assetmap: demo already built: {_counts_line(result)}")
    _echo_demo_accounts(accounts)
    if not no_serve:
        sys.exit(serve(url, port=port, host=host))


@main.command()
@store_option
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--host", default="localhost", show_default=True)
@friendly_errors
def serve(store_url: str | None, port: int, host: str) -> None:
    """Open the app on a store."""
    from assetmap.ui.launch import serve as serve_app

    sys.exit(serve_app(store_url or _settings.default_store_url(), port=port, host=host))


@main.command()
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@friendly_errors
def info(store_url: str | None, as_json: bool) -> None:
    """What the store holds: records by kind, ties by kind."""
    from assetmap.graph.store import open_store, store_summary

    url = store_url or _settings.default_store_url()
    if not url.lower().startswith("sqlite:"):
        _import_neo4j_lean()
    store = open_store(url)
    try:
        summary = store_summary(store)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"store: {summary['store']}")
    click.echo(f"version: {summary['version']}")
    click.echo("records:")
    for kind, n in summary["nodes"].items():
        click.echo(f"  {kind:<14}{n:>10,}")
    click.echo("ties:")
    for kind, n in summary["ties"].items():
        click.echo(f"  {kind:<14}{n:>10,}")


def _import_neo4j_lean() -> None:
    """Import the Neo4j driver without its optional numpy/pandas/pyarrow support, which it loads
    eagerly when installed (half to two seconds of `info`'s start-up; issue 16). Only in a
    process that has loaded none of them: `info` counts by label and never sends data frames."""
    if "neo4j" in sys.modules:
        return
    hidden = [m for m in ("numpy", "pandas", "pyarrow") if m not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail
    try:
        import neo4j  # noqa: F401
    except ImportError:
        pass  # no driver: open_store says so in one sentence
    finally:
        for name in hidden:
            sys.modules.pop(name, None)


@main.command("find")
@store_option
@click.option("--need", default=None, help="A need it serves (loneliness, carer support, …).")
@click.option("--interest", default=None, help="An interest or activity word (walking, choir, …).")
@click.option("--text", "activity_text", default=None, help="Words to look for in names and "
              "descriptions.")
@click.option("--near", default=None, help="A postcode, a place name or lat,lon.")
@click.option("--within", "within_km", type=float, default=None, help="Radius in km from --near.")
@click.option("--day", default=None, help="A day it meets (monday … sunday).")
@click.option("--time", "time_of_day", type=click.Choice(["morning", "afternoon", "evening"]),
              default=None, help="When in the day it meets.")
@click.option("--free", "free_or_low_cost", is_flag=True, help="Free or low cost only.")
@click.option("--step-free", is_flag=True, help="Step-free access only.")
@click.option("--this-week", "open_this_week", is_flag=True, help="Meets in the next 7 days.")
@click.option("--all", "include_unattendable", is_flag=True,
              help="Include register entries with no activity, place or time.")
@click.option("--min-rating", type=click.FloatRange(1, 5), default=None,
              help="Rated at least this (1-5) by 5 or more experts by experience.")
@click.option("--sort", type=click.Choice(["distance", "rating"]), default="distance",
              show_default=True, help="Nearest first, or best rated first.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=None, help="At most this many.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "html"]),
              default="table", show_default=True)
@friendly_errors
def find_cmd(store_url: str | None, fmt: str, limit: int | None, **filters: Any) -> None:
    """Find groups and places to go (the Directory page): nearest first, distances in bands."""
    from assetmap import directory
    from assetmap.governance.privacy import neutralise_csv
    from assetmap.graph.store import open_store

    store = open_store(store_url or _settings.default_store_url())
    try:
        found = directory.find_assets(store, limit=limit, **filters)
    finally:
        store.close()
    shown = directory.printable(found)
    if fmt == "csv":
        click.echo(neutralise_csv(shown).to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(found.drop(columns=["session_ids"]).to_dict(orient="records"),
                              indent=2, ensure_ascii=False))
    elif fmt == "html":
        click.echo(directory.directory_html(found, directory.describe_search(**filters)))
    elif found.empty:
        click.echo("Nothing matched; try a wider radius or fewer filters.")
    else:
        click.echo(shown.to_string(index=False, max_colwidth=48))


def _counts_line(summary: dict) -> str:
    nodes = summary["nodes"]
    parts = [f"{nodes.get(k, 0):,} {label}" for k, label in
             (("Person", "people"), ("Group", "groups"), ("Organisation", "organisations"),
              ("Practitioner", "practitioners"), ("Area", "areas"))]
    return ", ".join([*parts, f"{sum(summary['ties'].values()):,} ties"])


# --- imports and exports (assetmap.ingest) -------------------------------------------------------

dry_run_option = click.option("--dry-run", is_flag=True,
                              help="Check every record and report, but write nothing.")
report_option = click.option("--report", "report_path", default=None, metavar="CSV",
                             type=click.Path(dir_okay=False),
                             help="Write every rejected record (file, line, field, reason) here.")


def _open_for_import(store_url: str | None):
    from assetmap.graph.store import open_store

    return open_store(store_url or _settings.default_store_url())


def source_options(func: F) -> F:
    """``--source`` and ``--licence`` on an import: what the data is and the attribution its
    licence asks for, recorded in the store by :func:`_finish_import` (shown on About/Data)."""

    @click.option("--source", "source_text", default=None, metavar="TEXT",
                  help="Where the file came from, shown as attribution (default: its name).")
    @click.option("--licence", "licence_text", default=None, metavar="TEXT",
                  help="Its licence and attribution line, e.g. 'OGL v3; © Crown copyright'.")
    @wraps(func)
    def wrapper(*args: Any, source_text: str | None = None, licence_text: str | None = None,
                **kwargs: Any) -> Any:
        click.get_current_context().meta["assetmap.source"] = (source_text, licence_text)
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _record_import_source(report: Any) -> None:
    """Record the import's source and licence in the store (not for a dry run or an import
    that wrote nothing; boundaries record their own inside their transaction)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or "assetmap.source" not in ctx.meta:
        return
    if getattr(report, "dry_run", ctx.params.get("dry_run")):
        return
    importer = getattr(report, "importer", None) or str(ctx.info_name)
    if importer == "boundaries":
        return
    from assetmap.graph.store.sources import record_source

    source, licence = ctx.meta["assetmap.source"]
    file = ctx.params.get("file") or getattr(report, "source", None)
    store = _open_for_import(ctx.params.get("store_url"))
    try:
        with store.transaction():
            record_source(store, importer, source, licence, file)
    finally:
        store.close()


def _finish_import(report: Any, report_path: str | None) -> None:
    """Print the one-line summary, record the import's source, write the report CSV if asked."""
    if report_path:
        report.to_csv(report_path)
    _record_import_source(report)
    click.echo(report.summary())
    for line in getattr(report, "sample_diff", list)():  # merge imports: field names only
        click.echo(f"  changed {line}")


def _progress_echo() -> Callable[[int], None] | None:
    if not sys.stderr.isatty():
        return None
    return lambda n: click.echo(f"\r  {n:,} rows read …", nl=False, err=True)


@main.group("import")
def import_group() -> None:
    """Import spreadsheets, Open Referral UK directories, boundaries and postcode lookups."""


@import_group.command("spreadsheet")
@store_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", default=None,
              help="people, groups, organisations, practitioners, ties or measures "
                   "(default: guessed).")
@click.option("--mapping", default=None, type=click.Path(exists=True, dir_okay=False),
              help="YAML file mapping your column names to assetmap fields.")
@click.option("--sheet", default=None, help="Worksheet of an XLSX file (default: the first).")
@click.option("--postcodes", default=None, type=click.Path(exists=True, dir_okay=False),
              help="ONS-style postcode lookup CSV to place rows that give only a postcode.")
@click.option("--namespace", default=None, metavar="NAME",
              help="Prefix the file's ids (person:NAME:17) so two files' ids cannot collide.")
@source_options
@dry_run_option
@report_option
@friendly_errors
def import_spreadsheet_cmd(store_url: str | None, file: str, kind: str | None,
                           mapping: str | None, sheet: str | None, postcodes: str | None,
                           namespace: str | None, dry_run: bool,
                           report_path: str | None) -> None:
    """Import people, groups, organisations, practitioners or ties from a CSV or XLSX file."""
    from assetmap.ingest.spreadsheet import import_spreadsheet

    store = _open_for_import(store_url)
    try:
        if (kind or "").strip().lower() == "measures":  # scale scores (assetmap.ingest.measures)
            from assetmap.ingest.measures import import_measures

            report = import_measures(store, file, sheet=sheet, dry_run=dry_run,
                                     recorded_by=_cli_actor(), progress=_progress_echo())
        else:
            from assetmap.ingest.postcodes import PostcodeLookup, stored_lookup

            lookup: PostcodeLookup | None = (PostcodeLookup.from_csv(postcodes) if postcodes
                                             else stored_lookup(store))
            report = import_spreadsheet(store, file, kind, mapping=mapping, sheet=sheet,
                                        postcodes=lookup, dry_run=dry_run,
                                        progress=_progress_echo(), namespace=namespace)
            _echo_lookup_use(lookup, stored=not postcodes)
    finally:
        store.close()
    _finish_import(report, report_path)


_PLURALS = {"Person": "people", "Group": "groups", "Organisation": "organisations",
            "Practitioner": "practitioners"}


def _echo_lookup_use(lookup: Any, stored: bool) -> None:
    """Say how many records a postcode lookup placed ("placed 180 of 199 people using ...")."""
    if lookup is None:
        return
    which = "the store's postcode lookup" if stored else "the postcode file"
    for kind, (asked, found) in sorted(lookup.usage.items()):
        click.echo(f"assetmap: placed {found:,} of {asked:,} {_PLURALS.get(kind, 'records')} "
                   f"using {which} ({len(lookup):,} postcodes).")


@import_group.command("oruk")
@store_option
@click.argument("file", metavar="FILE_OR_URL")
@click.option("--modified-after", default=None, metavar="DATETIME",
              help="From a live feed, only services changed after this (default: the newest "
                   "change already imported from it).")
@click.option("--full", is_flag=True, help="From a live feed, read every service again.")
@click.option("--timeout", type=click.FloatRange(1, 600), default=30.0, show_default=True,
              help="Seconds to wait for each page of a live feed.")
@source_options
@dry_run_option
@report_option
@friendly_errors
def import_oruk_cmd(store_url: str | None, file: str, modified_after: str | None, full: bool,
                    timeout: float, dry_run: bool, report_path: str | None) -> None:
    """Merge an Open Referral UK directory (JSON, a CSV data package folder, an HSDS 1.x/ORUK
    2.x export) or a live ORUK API (http(s)://…) into the store."""
    import os

    from assetmap.ingest.openreferral import import_oruk

    if not file.startswith(("http://", "https://")) and not os.path.exists(file):
        raise click.BadParameter(f"{file} does not exist.", param_hint="FILE_OR_URL")
    store = _open_for_import(store_url)
    try:
        report = import_oruk(store, file, dry_run=dry_run, modified_after=modified_after,
                             timeout=timeout, full=full)
    finally:
        store.close()
    _finish_import(report, report_path)


@import_group.command("boundaries")
@store_option
@click.argument("file", type=click.Path(exists=True))
@click.option("--level", default=None, help="lsoa, msoa, ward, locality or la (default: guessed).")
@click.option("--code-column", default=None, help="Column holding the area code.")
@click.option("--name-column", default=None, help="Column holding the area name.")
@click.option("--parent-column", default=None, help="Column holding the enclosing area's code.")
@click.option("--parent", default=None, help="Code of the area enclosing every area in the file.")
@click.option("--layer", default=None, help="Layer of a GeoPackage.")
@click.option("--vintage", default=None, metavar="YEAR",
              help="The boundaries' year (default: from the code column, WD13CD -> 2013).")
@click.option("--crs", default=None, metavar="CRS",
              help="Coordinate system when the file declares none, e.g. EPSG:27700.")
@click.option("--postcodes", "postcodes_file", default=None,
              type=click.Path(exists=True, dir_okay=False),
              help="Postcode lookup CSV with LSOA and ward columns: nest LSOAs in wards by it "
                   "(default: by geometry).")
@click.option("--source", default=None, help="Where the file came from (shown as attribution).")
@click.option("--licence", default=None, help="Its licence and attribution line.")
@click.option("--no-fix", is_flag=True, help="Reject invalid geometries instead of repairing them.")
@dry_run_option
@report_option
@friendly_errors
def import_boundaries_cmd(store_url: str | None, file: str, level: str | None,
                          code_column: str | None, name_column: str | None,
                          parent_column: str | None, parent: str | None, layer: str | None,
                          vintage: str | None, crs: str | None, postcodes_file: str | None,
                          source: str | None, licence: str | None,
                          no_fix: bool, dry_run: bool, report_path: str | None) -> None:
    """Import area boundaries (GeoJSON, Shapefile or zipped Shapefile, GeoPackage) into the
    store; areas with no parent column nest in the coarser areas already there by geometry."""
    from assetmap.ingest.boundaries import import_boundaries

    store = _open_for_import(store_url)
    try:
        report = import_boundaries(store, file, level=level, code_column=code_column,
                                   name_column=name_column, parent_column=parent_column,
                                   parent=parent, layer=layer, fix_invalid=not no_fix,
                                   vintage=vintage, crs=crs, postcodes=postcodes_file,
                                   source=source, licence=licence, dry_run=dry_run)
    finally:
        store.close()
    _finish_import(report, report_path)


@import_group.command("postcodes")
@store_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--columns", default=None, metavar="NAMES",
              help="The columns of a file with no header row, in order, e.g. "
                   "postcode,quality,easting,northing (OS Code-Point Open is recognised "
                   "without it); - skips a column.")
@click.option("--crs", default=None, metavar="CRS",
              help="The CRS of the file's coordinates, e.g. EPSG:27700 (British National "
                   "Grid, the default for easting/northing) or EPSG:4326.")
@click.option("--overwrite", is_flag=True,
              help="Re-place records that already have a location and area.")
@source_options
@dry_run_option
@report_option
@friendly_errors
def import_postcodes_cmd(store_url: str | None, file: str, columns: str | None, crs: str | None,
                         overwrite: bool, dry_run: bool, report_path: str | None) -> None:
    """Keep a postcode lookup in the store (ONS CSV, OS Code-Point Open, .csv.gz) and place the
    store's records by their postcode (offline); later imports use the kept lookup."""
    from assetmap.ingest.postcodes import import_postcodes

    store = _open_for_import(store_url)
    try:
        report = import_postcodes(store, file, columns=columns, crs=crs, dry_run=dry_run,
                                  overwrite=overwrite)
    finally:
        store.close()
    _finish_import(report, report_path)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@friendly_errors
def templates(directory: str) -> None:
    """Write spreadsheet templates (CSV and XLSX, synthetic example rows) into DIRECTORY."""
    from assetmap.ingest.spreadsheet import write_templates

    paths = write_templates(directory)
    click.echo(f"assetmap: wrote {len(paths)} templates to {directory}.")


@main.command("export-oruk")
@store_option
@click.argument("file", type=click.Path(dir_okay=False))
@friendly_errors
def export_oruk_cmd(store_url: str | None, file: str) -> None:
    """Export the store's groups and organisations as Open Referral UK 3.0 JSON."""
    from assetmap.ingest.openreferral import write_oruk

    store = _open_for_import(store_url)
    try:
        n = write_oruk(store, file)
    finally:
        store.close()
    click.echo(f"assetmap: exported {n:,} directory records to {file}.")


@main.command("copy")
@click.option("--from", "from_url", required=True, metavar="URL",
              help="The store to copy from: sqlite:///a.db, neo4j://host:7687/db, bolt://…")
@click.option("--to", "to_url", required=True, metavar="URL",
              help="The store to copy into (written in one transaction: all or nothing).")
@click.option("--batch-size", type=click.IntRange(1, 1_000_000), default=None,
              help="Records per write batch (default: the ASSETMAP_BATCH_SIZE setting).")
@click.option("--with-accounts", is_flag=True, default=False,
              help="Also copy the accounts, caseloads and audit log to the target's access "
                   "database (refused if it already has accounts).")
@friendly_errors
def copy_cmd(from_url: str, to_url: str, batch_size: int | None, with_accounts: bool) -> None:
    """Copy every node and tie from one store into another (e.g. SQLite into Neo4j)."""
    from assetmap.graph.store.copy import copy_accounts, copy_url

    if with_accounts:  # refuse before the graph moves, not after
        copy_accounts(from_url, to_url, check_only=True)
    result = copy_url(from_url, to_url, batch_size=batch_size or _settings.load().batch_size)
    if with_accounts:
        moved = copy_accounts(from_url, to_url)
        click.echo("assetmap: both stores already share one access database (ASSETMAP_ACCESS_DB)."
                   if moved["same"] else
                   f"assetmap: {moved['accounts']:,} accounts, their caseloads and the audit log "
                   "went too.")
    click.echo(f"assetmap: copied {result['nodes']:,} records and {result['ties']:,} ties from "
               f"{result['from']} to {result['to']} in {result['seconds']} s.")
    if result.get("postcodes"):
        click.echo(f"assetmap: the postcode lookup ({result['postcodes']:,} postcodes) went too.")
    from assetmap.graph.store import open_store
    from assetmap.graph.store.areas import areas

    target = open_store(to_url)
    try:  # boundaries are records like any other: say they arrived
        copied = areas(target)
    finally:
        target.close()
    if not copied.empty:
        levels = ", ".join(f"{n:,} {lv}" for lv, n in copied["level"].value_counts()
                           .sort_index().items())
        click.echo(f"assetmap: area boundaries went too ({levels}).")


@main.command()
@store_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write the reports into (created if missing).")
@click.option("--level", type=click.Choice(["ward", "lsoa"]), default="ward", show_default=True,
              help="Areas to count people in.")
@click.option("--area", default=None, metavar="CODE", help="Analyse only this area (and inside).")
@friendly_errors
def analyse(store_url: str | None, out_dir: str, level: str, area: str | None) -> None:
    """Analyse the area and write shareable reports (CSV and GeoJSON, small numbers suppressed)."""
    from assetmap.graph.store import open_store
    from assetmap.reports import analyse_store

    store = open_store(store_url or _settings.default_store_url())
    try:
        result = analyse_store(store, out_dir, level=level, area=area)
    finally:
        store.close()
    from assetmap.governance.privacy import publish_count

    vintage = f" ({result['vintage']})" if result.get("vintage") else ""
    click.echo(f"assetmap: analysed {result['people']:,} people in {result['areas']:,} "
               f"{level} areas{vintage}; wrote {len(result['files'])} files to {out_dir}")
    for name in result["files"]:
        click.echo(f"  {name}")
    unplaced = result.get("unplaced") or {}
    if unplaced.get("no_area"):
        click.echo(f"Warning: {publish_count(unplaced['no_area'])} people are in no known "
                   "area (no postcode found, or outside the imported boundaries) and are left "
                   "out of the area counts.", err=True)
    if unplaced.get("not_in_level"):
        click.echo(f"Warning: {publish_count(unplaced['not_in_level'])} people are in an "
                   f"area that does not nest in any {level}; import {level} boundaries so it "
                   "nests, or analyse with --level lsoa.", err=True)
    if result.get("boundary_level") is None:
        click.echo("Warning: the store holds no area boundaries, so provision_gaps.geojson has "
                   "no areas; import them with `assetmap import boundaries FILE`.", err=True)



@main.command()
@store_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write outcomes.csv and its chart into (created if missing).")
@click.option("--from", "date_from", default=None, metavar="DATE",
              help="Only measures on or after this day (2025-01-01).")
@click.option("--to", "date_to", default=None, metavar="DATE",
              help="Only measures on or before this day.")
@click.option("--area", default=None, metavar="CODE", help="Only people in this area (and inside).")
@friendly_errors
def outcomes(store_url: str | None, out_dir: str, date_from: str | None, date_to: str | None,
             area: str | None) -> None:
    """Cohort outcomes: change in community ties beside change in wellbeing scales (CSV, chart)."""
    from assetmap.graph.analysis.outcomes import ASSOCIATION_NOTE, write_outcomes
    from assetmap.graph.store import open_store

    store = open_store(store_url or _settings.default_store_url())
    try:
        result = write_outcomes(store, out_dir, date_from=date_from, date_to=date_to, area=area)
    finally:
        store.close()
    click.echo(f"assetmap: {result['people']} people with a baseline and a follow-up; wrote "
               f"{len(result['files'])} files to {out_dir}")
    for name in result["files"]:
        click.echo(f"  {name}")
    click.echo(ASSOCIATION_NOTE)


# --- accounts, caseloads, audit and people's rights (assetmap.governance.access, .audit, .rights)

def _access(store_url: str | None):
    """The store's access database; never made where there is no store (a typo in --store
    must not leave an empty access file behind)."""
    from urllib.parse import unquote

    from assetmap.governance.access import AccessDB

    url = store_url or _settings.default_store_url()
    path = _settings.access_db_path(url)
    prefix = "sqlite:///"
    if not path.exists() and url.startswith(prefix):
        store_path = unquote(url[len(prefix):])
        from pathlib import Path

        if not Path(store_path).is_file():
            raise AssetmapError(f"There is no store at {store_path}; build one with `assetmap "
                                "demo` or import data first.")
    return AccessDB.for_store(url)  # a Neo4j store keeps its access data in its database


def _cli_actor() -> str:
    """Who the audit log names for a command-line action: the operating-system account."""
    import getpass

    return f"cli:{getpass.getuser()}"


def _new_password() -> str:
    """A new password from ``ASSETMAP_NEW_PASSWORD`` or a hidden prompt (never an argument)."""
    import os

    from_env = os.environ.get("ASSETMAP_NEW_PASSWORD")
    if from_env:
        return from_env
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _demo_accounts(store: Any, url: str) -> dict[str, str] | None:
    """Demo sign-in: accounts with random passwords, made once for a synthetic demo store."""
    from assetmap.governance.access import ensure_demo_accounts

    with _access(url) as access:
        made = ensure_demo_accounts(access, store)
        return made or None


def _echo_demo_accounts(accounts: dict[str, str] | None) -> None:
    if not accounts:
        click.echo("assetmap: sign in with a demo account (passwords were shown when the demo was "
                   "first built; `assetmap users password NAME` sets a new one).")
        return
    click.echo("assetmap: demo sign-in (synthetic people only; shown once, keep them):")
    for name, password in accounts.items():
        click.echo(f"  {name:<18} password: {password}")

@main.group("users")
def users_group() -> None:
    """Accounts that may sign in to the app (coordinator, hub_analyst, admin)."""


@users_group.command("add")
@store_option
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["coordinator", "hub_analyst", "admin"]))
@click.option("--oidc-only", is_flag=True, help="No password: sign in through single sign-on.")
@friendly_errors
def users_add_cmd(store_url: str | None, name: str, role: str, oidc_only: bool) -> None:
    """Add an account; the password comes from a prompt or ASSETMAP_NEW_PASSWORD."""
    from assetmap.governance import audit

    with _access(store_url) as access:
        user = access.add_user(name, role, None if oidc_only else _new_password())
        audit.record(access, _cli_actor(), "user_add", reason=f"{user.name} as {role}")
    click.echo(f"assetmap: added {user.name} ({role}).")


@users_group.command("remove")
@store_option
@click.argument("name")
@friendly_errors
def users_remove_cmd(store_url: str | None, name: str) -> None:
    """Remove an account (its audit rows stay)."""
    from assetmap.governance import audit

    with _access(store_url) as access:
        access.remove_user(name)
        audit.record(access, _cli_actor(), "user_remove", reason=name)
    click.echo(f"assetmap: removed {name}.")


@users_group.command("password")
@store_option
@click.argument("name")
@friendly_errors
def users_password_cmd(store_url: str | None, name: str) -> None:
    """Set a new password for an account (from a prompt or ASSETMAP_NEW_PASSWORD)."""
    with _access(store_url) as access:
        access.set_password(name, _new_password())
    click.echo(f"assetmap: new password set for {name}.")


@users_group.command("list")
@store_option
@friendly_errors
def users_list_cmd(store_url: str | None) -> None:
    """List accounts: name, role, caseload size."""
    with _access(store_url) as access:
        rows = access.users()
    if not rows:
        click.echo("assetmap: no accounts yet; add one with `assetmap users add NAME --role …`.")
    for name, role, caseload, demo in rows:
        click.echo(f"{name:<24}{role:<13}{caseload:>6} people{'  (demo)' if demo else ''}")


@main.group("caseload")
def caseload_group() -> None:
    """The people (by id) each coordinator supports: the only people they see."""


@caseload_group.command("add")
@store_option
@click.argument("user")
@click.argument("person_ids", nargs=-1, required=True)
@friendly_errors
def caseload_add_cmd(store_url: str | None, user: str, person_ids: tuple[str, ...]) -> None:
    """Add people to a coordinator's caseload."""
    from assetmap.graph.store import open_store

    store = open_store(store_url or _settings.default_store_url())
    try:
        from assetmap import vocab
        from assetmap.errors import NotFoundError

        missing = []
        for pid in person_ids:
            try:
                if store.get(pid).kind != vocab.PERSON:
                    missing.append(pid)
            except NotFoundError:
                missing.append(pid)
    finally:
        store.close()
    if missing:
        raise click.ClickException(f"No person with id {missing[0]!r} in the store.")
    from assetmap.governance import audit

    with _access(store_url) as access:
        added = access.add_to_caseload(user, person_ids)
        audit.record(access, _cli_actor(), "caseload_change", reason=f"{user}: {added} added")
    click.echo(f"assetmap: added {added} people to {user}'s caseload.")


@caseload_group.command("remove")
@store_option
@click.argument("user")
@click.argument("person_ids", nargs=-1, required=True)
@friendly_errors
def caseload_remove_cmd(store_url: str | None, user: str, person_ids: tuple[str, ...]) -> None:
    """Take people off a coordinator's caseload."""
    from assetmap.governance import audit

    with _access(store_url) as access:
        removed = access.remove_from_caseload(user, person_ids)
        audit.record(access, _cli_actor(), "caseload_change",
                     reason=f"{user}: {removed} removed")
    click.echo(f"assetmap: removed {removed} people from {user}'s caseload.")


@caseload_group.command("list")
@store_option
@click.argument("user")
@friendly_errors
def caseload_list_cmd(store_url: str | None, user: str) -> None:
    """The person ids on a coordinator's caseload."""
    with _access(store_url) as access:
        ids = sorted(access.user(user).caseload)
    for pid in ids:
        click.echo(pid)


@main.command("audit")
@store_option
@click.option("--person", default=None, help="Only rows about this person id.")
@click.option("--user", default=None, help="Only rows by this account.")
@click.option("--since", default=None, help="Only rows from this UTC date/time on (2026-11-25).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--verify", is_flag=True,
              help="Check the hash chain: exit 1 if any row was changed or deleted.")
@friendly_errors
def audit_cmd(store_url: str | None, person: str | None, user: str | None, since: str | None,
              as_json: bool, verify: bool) -> None:
    """List the audit log: who viewed, exported, edited or erased which person, and when."""
    from assetmap.governance import audit

    if verify:
        with _access(store_url) as access:
            report = audit.verify(access)
        for problem in report.problems:
            click.echo(f"assetmap: {problem}", err=True)
        if not report.intact:
            raise click.ClickException(f"the audit log has been tampered with "
                                       f"({len(report.problems)} problems in {report.rows} rows).")
        click.echo(f"assetmap: the audit log is intact ({report.rows} rows).")
        return
    with _access(store_url) as access:
        rows = list(audit.events(access, person=person, user=user, since=since))
    for e in rows:
        if as_json:
            click.echo(json.dumps(e.as_dict()))
        else:
            click.echo(f"{e.at}  {e.user:<22} {e.role:<12} {e.action:<15} {e.outcome:<8} "
                       f"{e.person_id or '-'}{'  reason: ' + e.reason if e.reason else ''}")
    if not as_json:
        click.echo(f"assetmap: {len(rows)} audit rows.", err=True)


@main.group("person")
def person_group() -> None:
    """One person's rights: a copy of everything held about them, or erasure."""


@person_group.command("export")
@store_option
@click.argument("person_ids", nargs=-1, required=True)
@click.option("--out", "directory", default=".", show_default=True,
              type=click.Path(file_okay=False), help="Folder for the JSON and CSV files.")
@click.option("--reason", default=None, help="Why (required for more than one person).")
@click.option("--include-location", is_flag=True,
              help="Include the person's postcode and coordinates (their own copy only).")
@click.option("--include-notes", is_flag=True,
              help="A bulk export (more than one person) leaves contact notes out; this puts "
                   "them in (audited with the reason). One person's export always has them.")
@friendly_errors
def person_export_cmd(store_url: str | None, person_ids: tuple[str, ...], directory: str,
                      reason: str | None, include_location: bool, include_notes: bool) -> None:
    """Export everything held about a person (JSON + CSV, with audit references). One person's
    export is their subject access export (contact notes included); several people's is a bulk
    export (a reason needed; contact notes only with --include-notes)."""
    from assetmap.governance import rights
    from assetmap.graph.store import open_store

    store = open_store(store_url or _settings.default_store_url())
    try:
        with _access(store_url) as access:
            if len(person_ids) > 1:
                paths = rights.export_people(store, access, list(person_ids), directory,
                                             _cli_actor(), reason, include_notes=include_notes)
            else:
                paths = rights.export_person(store, access, person_ids[0], directory,
                                             _cli_actor(), include_location=include_location,
                                             reason=reason)
    finally:
        store.close()
    for path in paths:
        click.echo(f"assetmap: wrote {path}")


@person_group.command("erase")
@store_option
@click.argument("person_id")
@click.option("--reason", default=None, help="Why (e.g. the request's reference).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@friendly_errors
def person_erase_cmd(store_url: str | None, person_id: str, reason: str | None,
                     yes: bool) -> None:
    """Erase a person: their record, ties and geocodes; only a tombstone id is kept."""
    from assetmap.governance import rights
    from assetmap.graph.store import open_store

    if not yes:
        click.confirm(f"Erase {person_id} and every tie they have? This cannot be undone",
                      abort=True)
    store = open_store(store_url or _settings.default_store_url())
    try:
        with _access(store_url) as access:
            tombstone = rights.erase_person(store, access, person_id, _cli_actor(),
                                            reason=reason)
    finally:
        store.close()
    click.echo(f"assetmap: erased; tombstone {tombstone}.")


if __name__ == "__main__":  # pragma: no cover
    main()
