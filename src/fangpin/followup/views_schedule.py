"""Pages for schedule."""
