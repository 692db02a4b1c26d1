"""The database fixtures themselves: both engines store what the importer will write."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from queries.store.schema import births, units


def test_schema_round_trips_dates_and_chinese_names(engine):
    with engine.begin() as conn:
        conn.execute(
            insert(units),
            [
                {"code": "C", "name": "城关县", "level": "county", "parent_code": None},
                {"code": "T1", "name": "东城街道", "level": "township", "parent_code": "C"},
                {"code": "V1", "name": "柳树湾村", "level": "village", "parent_code": "T1"},
            ],
        )
        conn.execute(
            insert(births),
            {
                "birth_id": "b1",
                "unit_code": "V1",
                "birth_date": dt.date(2024, 2, 29),
                "sex": "F",
                "birth_order": 2,
                "in_policy": 1,
                "registered": 1,
                "resident": 0,
            },
        )
    with engine.connect() as conn:
        names = dict(conn.execute(select(units.c.code, units.c.name)).all())
        born = conn.execute(select(births.c.birth_date).where(births.c.unit_code == "V1")).scalar_one()
    assert names == {"C": "城关县", "T1": "东城街道", "V1": "柳树湾村"}
    assert born == dt.date(2024, 2, 29)
    assert isinstance(born, dt.date) and not isinstance(born, dt.datetime)


def test_each_test_starts_from_an_empty_schema(engine):
    with engine.connect() as conn:
        assert conn.execute(select(units.c.code)).first() is None


def test_the_readme_command_listens_on_the_loopback_and_asks_no_one_for_its_address(demo_db_url, tmp_path):
    """`streamlit run dashboard/app.py` with the project's own config: one local URL and no
    external-address lookup (Streamlit prints an "External URL" when it has made one), and
    no answer on the machine's other addresses."""
    import socket
    from urllib.parse import urlsplit

    from tests.served_app import serving

    log = tmp_path / "readme.log"
    with serving(demo_db_url, log, readme_command=True) as base:
        port = urlsplit(base).port
        printed = log.read_text()
        assert f"URL: http://127.0.0.1:{port}" in printed, printed
        assert "External URL" not in printed and "Network URL" not in printed
        names = {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
        for address in names - {"127.0.0.1"}:
            if address.startswith("127."):
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                assert s.connect_ex((address, port)) != 0, f"the app answers on {address}"


def test_config_keeps_the_app_offline_private_and_quiet_about_errors():
    import tomllib

    from tests.served_app import ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] == "none"
