"""How the app is served: the README's command with the project's own
.streamlit/config.toml listens on the loopback only, sends no usage statistics and shows
users no tracebacks."""

from __future__ import annotations

import socket
import tomllib
from urllib.parse import urlsplit

from tests.served_app import ROOT, serving


def test_the_readme_command_listens_on_the_loopback_and_asks_no_one_for_its_address(demo_db_url, tmp_path):
    """`streamlit run dashboard/app.py` with the project's own config: one local URL and no
    external-address lookup (Streamlit prints an "External URL" when it has made one), and
    no answer on the machine's other addresses."""
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
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] == "none"
