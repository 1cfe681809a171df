"""Throughput and memory of ``storage.store()`` on a 200 MiB upload, against the floor
``sha256sum FILE && cp FILE DEST`` on the same file and file system.

Each ``store()`` runs in a fresh subprocess with its own instance (SQLite, storage folder
under the same /tmp as the floor's copy); its peak RSS growth is the peak RSS during the call
minus the RSS just before it (the app already created and warmed up; see ``reset_peak_rss``),
so it belongs to the upload alone. A second child measures the peak of Python allocations
with tracemalloc. The file is read once before
timing, so every run reads it from the page cache. ``store()`` fsyncs the file and its
directory; plain ``cp`` does not, so a third row adds ``sync DEST`` to the floor for
comparison. Goals: peak memory growth < 30 MiB; throughput >= 50% of the floor.

    .venv/bin/python benchmarks/storage_upload.py [--size-mib 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 1024 * 1024
GOAL_MEMORY_MIB = 30
GOAL_RATIO = 0.5


def generate(path: Path, size_mib: int) -> None:
    """A file that passes as a PDF: a header, then random bytes (no compression helps)."""
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        for _ in range(size_mib):
            handle.write(os.urandom(MIB))


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> int:
    """The current RSS in KiB, with the peak reset to it (Linux: clear_refs 5), so the peak
    read afterwards belongs to what runs in between. Elsewhere: ``ru_maxrss`` (which hides
    any growth below the process's earlier peak, such as that of running the migrations)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        current = _status_kib("VmRSS")
        if current is not None:
            return current
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_rss() -> int:
    peak = _status_kib("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(source: Path, workdir: Path, trace: bool) -> None:
    """Run in a fresh process: create an instance, warm up, then store ``source`` once."""
    import io
    import tracemalloc

    from sikd_host import create_app
    from sikd_host.cli import upgrade_all
    from sikd_host.extensions import db
    from sikd_host.storage import service as storage

    app = create_app(
        {
            "INSTANCE_PATH": str(workdir / "instance"),
            "SECRET_KEY": "bench",
            "STORAGE_DIR": str(workdir / "files"),
            "MAX_UPLOAD_MB": 1024,
            "SAFE_MODE": True,
        }
    )
    with app.app_context():
        upgrade_all()
        storage.store(io.BytesIO(b"%PDF-1.7\nwarm up\n"), "warm.pdf")  # import and touch all
        db.session.commit()
        if trace:
            tracemalloc.start()
        before = reset_peak_rss()
        started = time.perf_counter()
        with source.open("rb") as stream:
            info = storage.store(stream, "upload.pdf")
        db.session.commit()
        seconds = time.perf_counter() - started
        after = peak_rss()
        traced = tracemalloc.get_traced_memory()[1] if trace else 0
        assert info.size == source.stat().st_size and info.new
    print(json.dumps({"seconds": seconds, "rss_growth_kib": after - before, "traced_peak": traced}))


def run_child(source: Path, base: Path, trace: bool = False) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="sikd-bench-", dir=base))
    try:
        output = subprocess.run(
            [sys.executable, __file__, "--child", str(source), str(workdir)]
            + (["--trace"] if trace else []),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return json.loads(output.strip().splitlines()[-1])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def floor(source: Path, base: Path, sync: bool) -> float:
    dest = base / "floor-copy"
    started = time.perf_counter()
    subprocess.run(["sha256sum", str(source)], check=True, capture_output=True)
    subprocess.run(["cp", str(source), str(dest)], check=True)
    if sync:
        subprocess.run(["sync", str(dest)], check=True)
    seconds = time.perf_counter() - started
    dest.unlink()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("SOURCE", "WORKDIR"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.trace)
        return

    base = Path(tempfile.mkdtemp(prefix="sikd-storage-bench-", dir="/tmp"))
    try:
        source = base / "upload.pdf"
        generate(source, args.size_mib)
        size_mib = source.stat().st_size / MIB
        subprocess.run(["cat", str(source)], check=True, stdout=subprocess.DEVNULL)  # cache it
        stores, floors, synced, growth = [], [], [], []
        for _ in range(args.rounds):  # interleaved, so drift hits all alike
            result = run_child(source, base)
            stores.append(result["seconds"])
            growth.append(result["rss_growth_kib"] / 1024)
            floors.append(floor(source, base, sync=False))
            synced.append(floor(source, base, sync=True))
        traced = run_child(source, base, trace=True)["traced_peak"] / MIB
    finally:
        shutil.rmtree(base, ignore_errors=True)

    def rate(samples: list[float]) -> float:
        return size_mib / statistics.median(samples)

    store_rate, floor_rate, synced_rate = rate(stores), rate(floors), rate(synced)
    ratio = store_rate / floor_rate
    peak = max(growth)
    print(f"file: {size_mib:.0f} MiB, median of {args.rounds} rounds, page cache warm")
    print(f"{'':<34}{'MiB/s':>9}{'seconds':>10}")
    print(
        f"{'store() (hash+write+fsync+row)':<34}{store_rate:>9.0f}"
        f"{statistics.median(stores):>10.2f}"
    )
    print(f"{'sha256sum && cp (floor)':<34}{floor_rate:>9.0f}{statistics.median(floors):>10.2f}")
    print(
        f"{'sha256sum && cp && sync DEST':<34}{synced_rate:>9.0f}{statistics.median(synced):>10.2f}"
    )
    print(
        f"throughput ratio store/floor: {ratio:.2f} (goal >= {GOAL_RATIO:.2f}) "
        f"{'ok' if ratio >= GOAL_RATIO else 'MISSED'}"
    )
    print(f"store/floor+sync: {store_rate / synced_rate:.2f}")
    print(
        f"peak RSS growth during store(): {peak:.1f} MiB (max of rounds; goal < "
        f"{GOAL_MEMORY_MIB}) {'ok' if peak < GOAL_MEMORY_MIB else 'MISSED'}"
    )
    print(f"peak Python allocations (tracemalloc): {traced:.1f} MiB")


if __name__ == "__main__":
    main()
