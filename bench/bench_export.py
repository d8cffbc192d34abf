"""Benchmark: exporting 1,000,000 clients to CSV and XLSX, over HTTP and through the CLI.

    python bench/bench_export.py [--clients N] [--engine sqlite|postgresql|both]
                                 [--no-baseline] [--repeat R]

For each engine it builds a database of N clients (as bench_tiers does), then measures:
  - HTTP: the app served by gunicorn (one worker), logged in as an admin, downloading
    /admin/client/export/csv/ and /xlsx/: time to first byte, rows per second, and the
    worker's peak memory;
  - CLI: `flask --app admin_app export clients --format csv|xlsx`: rows per second and the
    process's peak memory;
  - the baseline: Flask-Admin's built-in CSV export of the same table (a plain ModelView
    with can_export=True, bench/baseline_app.py), over HTTP in the same way.
Each of ours is measured R times (default 3) and reported as the median with the range
of rows per second; the baseline, which takes minutes, once.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))

import bench_tiers  # noqa: E402

PASSWORD = "bench-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Server:
    """gunicorn with one sync worker on 127.0.0.1, so the worker's memory is the export's."""

    def __init__(self, app: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "1", "--timeout", "900", "-b",
             f"127.0.0.1:{self.port}", app],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url("/login"), timeout=2)
                break
            except OSError:
                time.sleep(0.3)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return int(children.read_text().split()[0])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def download(opener, url: str) -> tuple[float, float, int]:
    """(seconds to the first byte, total seconds, bytes) of one streamed download."""
    started = time.perf_counter()
    with opener.open(url, timeout=900) as response:
        first = response.read(1)
        first_byte = time.perf_counter() - started
        size = len(first)
        while chunk := response.read(1 << 20):
            size += len(chunk)
    return first_byte, time.perf_counter() - started, size


def logged_in(server: Server):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(server.url("/login")).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": "benchadmin", "password": PASSWORD,
                                   "csrf_token": token}).encode()
    opener.open(server.url("/login"), data=data)
    return opener


def spread(rates: list[float]) -> str:
    """Rows per second as the median, with the range when there are several runs."""
    median = f"{statistics.median(rates):>9,.0f} rows/s"
    if len(rates) < 2:
        return median
    return f"{median} (min {min(rates):,.0f}, max {max(rates):,.0f}; {len(rates)} runs)"


def measure_http(url: str, env: dict[str, str], n: int, repeat: int) -> None:
    server = Server("admin_app:create_app()", env)
    try:
        opener = logged_in(server)
        for fmt in ("csv", "xlsx"):
            runs = [download(opener, server.url(f"/admin/client/export/{fmt}/"))
                    for _ in range(repeat)]
            firsts = [first for first, _total, _size in runs]
            print(f"  HTTP {fmt.upper():4}: {spread([n / total for _f, total, _s in runs])}, "
                  f"{runs[0][2] / 1e6:.0f} MB, first byte {statistics.median(firsts) * 1000:.0f}"
                  f" ms (max {max(firsts) * 1000:.0f}), "
                  f"worker peak {peak_mb(server.worker_pid()):.0f} MB", flush=True)
    finally:
        server.stop()


def cli_export(env: dict[str, str], fmt: str) -> tuple[float, float, float]:
    """(rows per second of the export itself, as the CLI reports it; seconds for the whole
    process; its peak MB)."""
    out = bench_tiers.OUT / f"export.{fmt}"
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "flask"), "--app", "admin_app", "export", "clients", "--format", fmt,
         "-o", str(out)], cwd=ROOT, env={**os.environ, **env},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    said = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    total = time.perf_counter() - started
    assert status == 0, f"export failed ({status})"
    out.unlink()
    rate = re.search(r"\(([\d,]+) rows/s\)", said).group(1).replace(",", "")
    return float(rate), total, usage.ru_maxrss / 1024


def measure_cli(env: dict[str, str], repeat: int) -> None:
    for fmt in ("csv", "xlsx"):
        runs = [cli_export(env, fmt) for _ in range(repeat)]
        print(f"  CLI  {fmt.upper():4}: {spread([rate for rate, _t, _p in runs])} export "
              f"(whole process with start-up and count: median "
              f"{statistics.median(t for _o, t, _p in runs):.1f} s), "
              f"peak {max(p for _o, _t, p in runs):.0f} MB", flush=True)


def measure_baseline(env: dict[str, str], n: int) -> None:
    server = Server("baseline_app:create_baseline()",
                    {**env, "PYTHONPATH": f"{HERE}:{os.environ.get('PYTHONPATH', '')}"})
    try:
        opener = urllib.request.build_opener()
        first, total, size = download(opener, server.url("/admin/client/export/csv/"))
        print(f"  Flask-Admin built-in CSV export: {n / total:>9,.0f} rows/s ({total:.1f} s), "
              f"first byte {first:.1f} s, worker peak {peak_mb(server.worker_pid()):.0f} MB",
              flush=True)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs of ours")
    args = parser.parse_args()
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    for engine in engines:
        url, drop = bench_tiers.fresh_database(engine)
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench", "APP_ENV": "production"}
        try:
            subprocess.run([sys.executable, str(HERE / "bench_tiers.py"), "--phase", "setup",
                            "--url", url, "--n", str(args.clients)], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
            subprocess.run([str(BIN / "flask"), "--app", "admin_app", "users", "create",
                            "benchadmin", "--role", "admin", "--password", PASSWORD],
                           check=True, cwd=ROOT, env={**os.environ, **env},
                           stdout=subprocess.DEVNULL)
            bench_tiers.settle(url)
            print(f"[{engine}] {args.clients:,} clients", flush=True)
            measure_http(url, env, args.clients, args.repeat)
            measure_cli(env, args.repeat)
            if not args.no_baseline:
                try:
                    measure_baseline(env, args.clients)
                except Exception as failure:  # noqa: BLE001 - report and go on
                    print(f"  Flask-Admin built-in CSV export failed: {failure!r}", flush=True)
        finally:
            drop()


if __name__ == "__main__":
    main()
