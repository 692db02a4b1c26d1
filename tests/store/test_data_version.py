"""The data version (queries.store.data_version): every change to the data (an import, a
target saved or deleted, a rebuild of the derived tables) stamps a new one, which is how
an open app knows its cached numbers are stale."""

from __future__ import annotations

from datetime import date

import pandas as pd

from queries.analytics import lifecycle
from queries.ingest.load import import_frames
from queries.ingest.targets import delete_targets, save_targets
from queries.store import data_version
from queries.store.db import make_engine
from tests.factory import a_village, births

CUT = date(2025, 11, 15)


def test_every_change_stamps_a_new_data_version(demo_copy):
    engine = make_engine(demo_copy)
    try:
        with engine.connect() as conn:
            first = data_version.read(conn)
        village = a_village(demo_copy)
        import_frames(engine, {"births": births(village, 2, date(2025, 3, 1))}, today=CUT)
        with engine.connect() as conn:
            after_import = data_version.read(conn)
            assert data_version.last_change(conn)[1] == "import"
        save_targets(
            engine,
            pd.DataFrame(
                {"year": [2025], "unit_code": [village], "indicator": ["birth_rate"], "target": [9.0]}
            ),
        )
        with engine.connect() as conn:
            after_save = data_version.read(conn)
            assert data_version.last_change(conn)[1] == "targets"
        delete_targets(engine, 2025, [(village, "birth_rate")])
        with engine.connect() as conn:
            after_delete = data_version.read(conn)
        with engine.begin() as conn:
            lifecycle.rebuild(conn)
            after_rebuild = data_version.read(conn)
    finally:
        engine.dispose()
    versions = [first, after_import, after_save, after_delete, after_rebuild]
    assert all(versions) and len(set(versions)) == len(versions)
