"""Pages for analysis."""
