"""preview: see the README's module table."""
