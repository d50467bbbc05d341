"""File intake toolkit shared by the national import and department data feeds (R-INT-01, R-INT-02).

Plain Python over polars: no Django, no models (so it sits at a low layer and any app may use it).

- ``intake``: CSV / XLSX / XLS / Parquet into one table of text — encodings UTF-8, UTF-8 with BOM and
  GBK; header row found by content below title rows; duplicate headers kept by position; number
  cells in exact-text columns located; Excel read in bounded windows of rows (``xlsx``).
- ``headers``: column aliases as data, header normalisation, the column map.
- ``issues``: row issues (row, column, Chinese reason) collected set-based; ``user_text`` keeps paths
  and library text out of what an officer reads.
- ``values``: cell text → dates, months, cents, multi-select lists, ID-number check (polars expressions).
- ``hashing``: SHA-256 of the file and of its content; re-delivery recognition.
- ``contract``: the dry run → confirmed apply contract (fingerprint, plan digest, stale preview).
- ``memory``: giving the C heap's freed pages back to the system after a large read.
"""
