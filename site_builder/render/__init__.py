"""Rendering: what turns a page into files (share cards here; templates and feeds move here)."""
