"""The assetmap Streamlit app: ``streamlit run assetmap/ui/app.py`` (or ``assetmap serve``).

One multipage app; each page lives in ``ui/views/``. Default deny: someone not signed in gets only
the sign-in screen, whatever address they open; a signed-in user gets only the pages their role
may use (``assetmap.governance.access.PAGES_FOR_ROLE``). Pages that are not written yet are skipped.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from assetmap.governance import access
from assetmap.ui import a11y, auth, common

PAGES_DIR = Path(__file__).with_name("views")

#: (file in views/, title, icon); the first present one is the default page.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("worklist.py", "Worklist", ":material/checklist:"),  # a coordinator's home
    ("map.py", "Map", ":material/map:"),
    ("person.py", "Person", ":material/person:"),
    ("directory.py", "Directory", ":material/search:"),
    ("gaps.py", "Gaps", ":material/table_chart:"),
    ("resilience.py", "Resilience", ":material/hub:"),
    ("outcomes.py", "Outcomes", ":material/monitoring:"),
    ("data.py", "Data", ":material/upload_file:"),
    ("about.py", "About and data sources", ":material/info:"),
)


def main() -> None:
    """Set up the page, check who is signed in, and run the chosen page they may use."""
    st.set_page_config(page_title="assetmap", page_icon=":material/map:", layout="wide")
    a11y.apply()  # captions at AA contrast on every page (issue 14)
    user = auth.current_user()
    if user is None:
        # While they sign in, work out what the Map (the first page after it) opens with
        # (issue 14): aggregates and public records only, once per store version.
        from assetmap.ui import snapshots

        snapshots.warm_map_in_background(common.store_url())
        # Every page's address shows the sign-in screen too, so a link someone was sent
        # (/person?person=…) opens that page once they have signed in, not a "not found".
        aliases = [st.Page(auth.sign_in_screen, title="Sign in", url_path=Path(name).stem)
                   for name, _, _ in PAGES]
        st.navigation([st.Page(auth.sign_in_screen, title="Sign in", icon=":material/login:",
                               url_path="sign-in", default=True), *aliases],
                      position="hidden").run()
        return
    auth.sidebar(user)
    present = [p for p in PAGES
               if (PAGES_DIR / p[0]).exists() and access.may_use_page(user, p[0])]
    pages = [st.Page(str(PAGES_DIR / name), title=title, icon=icon, default=(i == 0))
             for i, (name, title, icon) in enumerate(present)]
    st.navigation(pages).run()
    # Once the page is drawn, build the shared network in the background (once per store
    # version), so the Person, Gaps and Resilience pages do not wait for it.
    common.warm_up()


main()
