"""What the page benchmarks share: a real Streamlit page (AppTest) signed in with a real
session token, and a check that a run showed no error."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def signed_in_page(path: Path, access: Any, user: Any) -> Any:
    """The page at ``path`` as ``user`` would open it, signed in through ``access``."""
    from streamlit.testing.v1 import AppTest

    from assetmap.ui import auth

    at = AppTest.from_file(str(path), default_timeout=600)
    now = time.time()
    at.session_state[auth.TOKEN_KEY] = access.issue_session_token(user,
                                                                  auth.client_fingerprint())
    at.session_state[auth.USER_KEY] = user.name
    at.session_state[auth.STARTED_KEY] = now
    at.session_state[auth.SEEN_KEY] = now
    return at


def checked(at: Any) -> Any:
    """``at`` after a run, or stop the benchmark saying how the page failed."""
    if at.exception or at.error:
        raise SystemExit(f"the page failed: {[e.value for e in [*at.exception, *at.error]]}")
    return at
