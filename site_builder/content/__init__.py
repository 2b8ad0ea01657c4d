"""content: see the README's module table."""
