"""Start the Streamlit app on a store (no Streamlit import here: it runs as its own process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")


def serve_command(port: int = 8501, host: str = "localhost") -> list[str]:
    """The command line that runs the app (headless, no usage statistics sent anywhere)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "viewer",
        "--server.enableStaticServing", "true",
    ]


def serve(store_url: str, port: int = 8501, host: str = "localhost") -> int:
    """Run the app on ``store_url`` until interrupted; return the app's exit code."""
    env = dict(os.environ, ASSETMAP_STORE=store_url)
    print(f"assetmap: serving {store_url} at http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    try:
        return subprocess.call(serve_command(port, host), env=env)
    except KeyboardInterrupt:
        return 0
