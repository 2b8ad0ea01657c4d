"""render: see the README's module table."""
