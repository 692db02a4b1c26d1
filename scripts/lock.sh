#!/usr/bin/env bash
# Regenerate the locks from pyproject.toml, for Python 3.11 on Linux x86_64 (the Debian 12
# machines the app and CI run on), whatever machine runs this. Needs uv (`pip install uv`).
#
#   bash scripts/lock.sh                          # after editing pyproject.toml; other pins stay
#   bash scripts/lock.sh --upgrade-package NAME   # move one package (NAME==X.Y to choose)
#   bash scripts/lock.sh --upgrade                # move everything to the newest allowed
#
# Writes requirements.lock (the app) and requirements-dev.lock (the app and its tests), both
# with hashes, and requirements.txt: requirements.lock's pins without hashes plus the project
# itself (`-e .`), because pip refuses an editable install in hash-checking mode.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

UV="${UV:-uv}"
COMPILE=(
    "$UV" pip compile pyproject.toml --group build
    --python-version 3.11 --python-platform x86_64-unknown-linux-gnu
    --generate-hashes --custom-compile-command "bash scripts/lock.sh" --quiet
)

"${COMPILE[@]}" --extra dev -o requirements-dev.lock "$@"
"${COMPILE[@]}" -o requirements.lock "$@"

"${PYTHON:-python}" - <<'EOF'
"""Check the app's pins are the dev lock's, then write requirements.txt from requirements.lock."""

import re
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def pins(text: str) -> dict[str, str]:
    return {m[1]: m[2] for line in text.splitlines() if (m := PIN.match(line))}


app = Path("requirements.lock").read_text()
dev = pins(Path("requirements-dev.lock").read_text())
# Each lock is resolved on its own; the tests must run on the versions the app ships with.
differ = [f"{name} {version} (dev lock: {dev.get(name)})" for name, version in pins(app).items() if dev.get(name) != version]
if differ:
    sys.exit("requirements.lock and requirements-dev.lock disagree: " + "; ".join(differ))

lines = [
    "# The app and its exact dependencies, for `pip install -r requirements.txt`: written by",
    "# scripts/lock.sh from requirements.lock (the same pins, without their hashes, which would",
    "# make pip refuse the editable install of the project below). Do not edit.",
    "-e .",
]
body = app.splitlines()
first_pin = next(i for i, line in enumerate(body) if PIN.match(line))  # after uv's header
for line in body[first_pin:]:
    if not line.lstrip().startswith("--hash="):
        lines.append(line.removesuffix(" \\"))
Path("requirements.txt").write_text("\n".join(lines) + "\n")
EOF
