"""pipeline: see the README's module table."""
