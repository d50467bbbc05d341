"""Pages for monthly."""
