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


if __name__ == "__main__":  # pragma: no cover
    main()
