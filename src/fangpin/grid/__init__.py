"""Grid management (网格化, R-GRID-01 … R-GRID-06): the services, pages, reports and the 附件2 ledger.

The grid's models (grid workers, pairings, working groups) live in ``fangpin.areas`` beside the divisions
they hang on. The code that writes and shows them needs the registry (households move between grids),
the scoping door and the audit trail, all of which sit above ``areas`` in the layer contract; so it lives
here, one layer above the registry — the way ``registry.divisions`` writes the divisions ``areas`` defines.
"""
