"""Read a live Open Referral UK API: ``GET {base}/services`` page by page, merged into the store.

The ORUK 3.0 API pages its ``/services`` answer (``contents``, ``total_items``, ``total_pages``,
``page_number``). A feed already imported is read incrementally: the next import asks only for
services changed since the newest ``last_modified`` this store holds from that feed
(``modified_after``); a feed that ignores the parameter sends everything, which the merge then
finds unchanged. Only ``urllib`` is used, with a timeout; every failure is one sentence.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from assetmap import vocab
from assetmap.errors import ValidationError
from assetmap.graph.store import GraphStore, public_url
from assetmap.ingest.report import ImportReport

#: Services asked for per page.
PER_PAGE = 200
#: A feed with more pages than this is refused (a loop guard, far above any council's size).
MAX_PAGES = 10_000
_AGENT = "assetmap (Open Referral UK import)"


def _host(url: str) -> str:
    return public_url(urlsplit(url).netloc or url)  # never the credentials


def _get_json(url: str, timeout: float, max_bytes: int) -> Any:
    """The JSON a URL answers, or ValidationError with one sentence naming the host."""
    request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                   "User-Agent": _AGENT})
    host = _host(url)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise ValidationError(f"The feed at {host} answered HTTP {exc.code} for "
                              f"{urlsplit(url).path or '/'}.") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise ValidationError(f"The feed at {host} could not be read ({reason}).") from None
    if len(body) > max_bytes:
        raise ValidationError(f"A page of the feed at {host} is over the import limit of "
                              f"{max_bytes:,} bytes.")
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError(f"The feed at {host} did not answer with JSON.") from None


def services_url(base: str) -> str:
    """The ``/services`` endpoint of a feed given by its base URL (or the endpoint itself)."""
    base = base.split("?", 1)[0].rstrip("/")
    return base if base.endswith("/services") else base + "/services"


def fetch_services(base: str, *, modified_after: str | None = None, timeout: float = 30.0,
                   per_page: int = PER_PAGE, max_bytes: int | None = None
                   ) -> Iterator[tuple[str, Any]]:
    """(where, service record) pairs from every page of a feed's ``/services``."""
    from assetmap.ingest.report import max_bytes as limit

    cap = max_bytes or limit()
    endpoint = services_url(base)
    page = 1
    while page <= MAX_PAGES:
        params: dict[str, Any] = {"page": page, "per_page": per_page}
        if modified_after:
            params["modified_after"] = modified_after
        data = _get_json(f"{endpoint}?{urlencode(params)}", timeout, cap)
        if not isinstance(data, dict) or not isinstance(data.get("contents"), list):
            raise ValidationError(f"The feed at {_host(base)} is not an Open Referral UK API: "
                                  "its /services answer has no 'contents' list.")
        for i, rec in enumerate(data["contents"]):
            yield f"page {page} $.contents[{i}]", rec
        total = data.get("total_pages")
        if not data["contents"] or not isinstance(total, int) or page >= total:
            return
        page += 1


def last_modified(store: GraphStore, feed: str) -> str | None:
    """The newest ``last_modified`` among the services this store holds from ``feed``."""
    stamps = [n.props["last_modified"] for n in store.find(vocab.GROUP, feed=feed)
              if isinstance(n.props.get("last_modified"), str)]
    return max(stamps) if stamps else None


def import_feed(store: GraphStore, url: str, *, dry_run: bool = False,
                modified_after: str | None = None, timeout: float = 30.0,
                full: bool = False) -> ImportReport:
    """Merge a live ORUK feed into the store: incrementally (``modified_after`` the newest
    change already held from it) unless ``full`` or an explicit ``modified_after`` is given."""
    from assetmap.ingest.openreferral import import_records

    feed = services_url(url)
    report = ImportReport("oruk", feed, dry_run=dry_run)
    since = modified_after or (None if full else last_modified(store, feed))
    if since:
        report.note("feed", "modified_after", "only services changed since the last import "
                    "were asked for")
    records = list(fetch_services(feed, modified_after=since, timeout=timeout))
    return import_records(store, records, report, dry_run=dry_run, feed=feed)
