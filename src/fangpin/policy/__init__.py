"""The rulebook: pure Python, no Django. Profiles, income math, ID numbers, quorum, working days."""
