"""The assetmap Streamlit app: ``streamlit run assetmap/ui/app.py`` (or ``assetmap serve``).

One multipage app; each page lives in ``ui/pages/``. Pages that are not written yet are skipped.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).with_name("pages")

#: (file in pages/, title, icon); the first present one is the default page.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("map.py", "Map", ":material/map:"),
    ("person.py", "Person", ":material/person:"),
    ("gaps.py", "Gaps", ":material/table_chart:"),
    ("resilience.py", "Resilience", ":material/hub:"),
    ("data.py", "Data", ":material/upload_file:"),
    ("about.py", "About and data sources", ":material/info:"),
)


def main() -> None:
    """Set up the page and run the chosen page."""
    st.set_page_config(page_title="assetmap", page_icon=":material/map:", layout="wide")
    pages = [st.Page(str(PAGES_DIR / name), title=title, icon=icon, default=(i == 0))
             for i, (name, title, icon) in enumerate(
                 p for p in PAGES if (PAGES_DIR / p[0]).exists())]
    st.navigation(pages).run()


main()
