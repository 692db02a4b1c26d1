"""Run one benchmark on an earlier commit and on this checkout, in the same run, taking turns.

    python -m benchmarks.before_after REF engine_bench --sizes 1 --engines sqlite
    python -m benchmarks.before_after REF page_bench --sizes 1

The earlier commit is checked out in a temporary git worktree and its own copy of the
benchmark runs there; then this checkout's; ``--rounds`` times in turn, so a machine that
slows down during the run slows both sides alike. Prints each side's Markdown tables,
labelled, for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
from pathlib import Path

log = logging.getLogger("before_after")
REPO = Path(__file__).resolve().parent.parent


def _run(checkout: Path, script: str, args: list[str]) -> str:
    done = subprocess.run(
        # -m from the checkout: its own packages come first on the path, not the installed ones
        [sys.executable, "-m", f"benchmarks.{Path(script).stem}", *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{checkout}: {script} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", help="the earlier commit")
    parser.add_argument("script", help="a benchmark module, e.g. engine_bench")
    parser.add_argument("--rounds", type=int, default=1, help="times each side runs, in turn")
    args, rest = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        old = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(old), args.ref], cwd=REPO, check=True)
        try:
            for round_ in range(1, args.rounds + 1):
                for label, checkout in ((f"before ({args.ref})", old), ("after (this checkout)", REPO)):
                    log.info("round %d: %s", round_, label)
                    table = _run(checkout, args.script, rest)
                    sys.stdout.write(f"\n### {args.script}, {label}, round {round_}\n\n{table}")
                    sys.stdout.flush()
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=REPO, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
