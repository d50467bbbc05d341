"""Pages for tickets."""
