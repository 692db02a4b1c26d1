"""Where the data lives and the environment it is read in: the lowest layer.

- ``config``: a setting from ``POPDASH_<NAME>`` or ``.streamlit/secrets.toml``.
- ``clock``: the bureau's today (time zone setting), the one reading of the system clock.
- ``schema``: the raw tables, the closure table ``unit_ancestors`` and ``data_version``, on the
  one ``MetaData`` (the derived tables add themselves in ``queries.analytics.tables``).
- ``db``: one engine per URL, SQLite pragmas, the closure table rebuilt from ``units``.
- ``data_version``: the token every change stamps and every cache is keyed by.
- ``frames``: running a statement into a DataFrame; the subtree filter and the unit tree.

Imports nothing of ours from outside this package. A new raw table goes in ``schema`` (and
in ``queries.ingest.spec`` for its file format).
"""
