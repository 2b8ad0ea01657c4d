"""site_builder: a static-site generator for news explainer microsites."""

__version__ = "0.1.0"
