"""The Trafford demo: real boundaries, postcodes, census tables and assets with a synthetic
population. Only the demo command and its setup import this package."""

from assetmap.demo.build import build_demo, demo_is_built, open_demo

__all__ = ["build_demo", "demo_is_built", "open_demo"]
