"""incremental: see the README's module table."""
