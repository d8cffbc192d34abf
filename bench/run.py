"""`make bench`: every benchmark of the project, one after the other.

    python bench/run.py [--quick]

--quick runs them on 100,000 rows instead of 1,000,000 (the audit log on 1,000,000 entries
instead of 10,000,000) and skips the slow baselines.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(script: str, *args: str) -> None:
    print(f"\n=== {script} {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, str(HERE / script), *args], check=True)


def main() -> None:
    quick = "--quick" in sys.argv
    clients = "100000" if quick else "1000000"
    run("bench_seed.py", "--clients", "100000", "--engine", "both")
    run("bench_tiers.py", "--clients", clients, *(["--no-orm"] if quick else []))
    run("bench_export.py", "--clients", clients, *(["--no-baseline"] if quick else []))
    run("bench_client_page.py", "--clients", clients)
    run("bench_queues.py", "--clients", clients, *(["--no-baseline"] if quick else []))
    run("bench_callbacks.py", "--clients", clients)
    run("bench_events.py", "--clients", clients)
    run("bench_audit.py", "--entries", "1000000" if quick else "10000000")


if __name__ == "__main__":
    main()
