"""The ``assetmap`` command line: a thin layer where every verb is one library call."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from assetmap import settings as _settings
from assetmap.errors import AssetmapError

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

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="assetmap")
def main() -> None:
    """assetmap: map an area's people, carers, groups, ULOs and clinicians as one graph."""


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
    from assetmap.ingest.demo import open_demo
    from assetmap.ui.launch import serve

    url = store_url or _settings.default_store_url()
    click.echo(f"assetmap: preparing the Trafford demo in {url} …")
    store, result = open_demo(url, people=people, seed=seed, rebuild=rebuild)
    store.close()
    if result["built"]:
        click.echo(f"assetmap: built in {result['seconds']} s: {_counts_line(result)}")
    else:
        click.echo(f"assetmap: demo already built: {_counts_line(result)}")
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


def _finish_import(report: Any, report_path: str | None) -> None:
    """Print the one-line summary and write the full report CSV if asked."""
    if report_path:
        report.to_csv(report_path)
    click.echo(report.summary())


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
              help="people, groups, organisations, practitioners or ties (default: guessed).")
@click.option("--mapping", default=None, type=click.Path(exists=True, dir_okay=False),
              help="YAML file mapping your column names to assetmap fields.")
@click.option("--sheet", default=None, help="Worksheet of an XLSX file (default: the first).")
@click.option("--postcodes", default=None, type=click.Path(exists=True, dir_okay=False),
              help="ONS-style postcode lookup CSV to place rows that give only a postcode.")
@dry_run_option
@report_option
@friendly_errors
def import_spreadsheet_cmd(store_url: str | None, file: str, kind: str | None,
                           mapping: str | None, sheet: str | None, postcodes: str | None,
                           dry_run: bool, report_path: str | None) -> None:
    """Import people, groups, organisations, practitioners or ties from a CSV or XLSX file."""
    from assetmap.ingest.spreadsheet import import_spreadsheet

    store = _open_for_import(store_url)
    try:
        report = import_spreadsheet(store, file, kind, mapping=mapping, sheet=sheet,
                                    postcodes=postcodes, dry_run=dry_run,
                                    progress=_progress_echo())
    finally:
        store.close()
    _finish_import(report, report_path)


@import_group.command("oruk")
@store_option
@click.argument("file", type=click.Path(exists=True))
@dry_run_option
@report_option
@friendly_errors
def import_oruk_cmd(store_url: str | None, file: str, dry_run: bool,
                    report_path: str | None) -> None:
    """Import an Open Referral UK directory (JSON, or a CSV data package folder)."""
    from assetmap.ingest.openreferral import import_oruk

    store = _open_for_import(store_url)
    try:
        report = import_oruk(store, file, dry_run=dry_run)
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
@click.option("--no-fix", is_flag=True, help="Reject invalid geometries instead of repairing them.")
@dry_run_option
@report_option
@friendly_errors
def import_boundaries_cmd(store_url: str | None, file: str, level: str | None,
                          code_column: str | None, name_column: str | None,
                          parent_column: str | None, parent: str | None, layer: str | None,
                          no_fix: bool, dry_run: bool, report_path: str | None) -> None:
    """Import area boundaries (GeoJSON, Shapefile or zipped Shapefile, GeoPackage)."""
    from assetmap.ingest.boundaries import import_boundaries

    store = _open_for_import(store_url)
    try:
        report = import_boundaries(store, file, level=level, code_column=code_column,
                                   name_column=name_column, parent_column=parent_column,
                                   parent=parent, layer=layer, fix_invalid=not no_fix,
                                   dry_run=dry_run)
    finally:
        store.close()
    _finish_import(report, report_path)


@import_group.command("postcodes")
@store_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--overwrite", is_flag=True,
              help="Re-place records that already have a location and area.")
@dry_run_option
@report_option
@friendly_errors
def import_postcodes_cmd(store_url: str | None, file: str, overwrite: bool, dry_run: bool,
                         report_path: str | None) -> None:
    """Place the store's records by their postcode, from an ONS-style lookup CSV (offline)."""
    from assetmap.ingest.postcodes import import_postcodes

    store = _open_for_import(store_url)
    try:
        report = import_postcodes(store, file, dry_run=dry_run, overwrite=overwrite)
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
@friendly_errors
def copy_cmd(from_url: str, to_url: str, batch_size: int | None) -> None:
    """Copy every node and tie from one store into another (e.g. SQLite into Neo4j)."""
    from assetmap.graph.copy import copy_url

    result = copy_url(from_url, to_url, batch_size=batch_size or _settings.load().batch_size)
    click.echo(f"assetmap: copied {result['nodes']:,} records and {result['ties']:,} ties from "
               f"{result['from']} to {result['to']} in {result['seconds']} s.")


if __name__ == "__main__":  # pragma: no cover
    main()
