"""check: see the README's module table."""
