"""What every case shares: the result rows, the table, the machine, temporary app setups."""
from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
TODAY = "2026-11-26"
SECRET = "bench-secret-key-0123456789abcdef"


@dataclass
class Row:
    """One measured figure with its goal; ok None means informational (no goal)."""

    case: str
    figure: str
    value: str
    goal: str = ""
    ok: bool | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.ok is None:
            return "info" if not self.note.startswith("SKIP") else "SKIP"
        return "pass" if self.ok else "MISS"


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, case, figure, value, goal="", ok=None, note=""):
        row = Row(case, figure, value, goal, ok, note)
        self.rows.append(row)
        print(f"  {row.verdict:>4}  {case} | {figure} | {value} | {goal}", file=sys.stderr, flush=True)
        return row

    def skip(self, case, why):
        self.add(case, "(not measured)", "-", "", None, f"SKIP: {why}")

    def note(self, text):
        self.notes.append(text)
        print(f"  note: {text}", file=sys.stderr, flush=True)


def table(rows: list[Row]) -> str:
    """A Markdown table: case | figure | value | goal | pass/MISS."""
    head = ("case", "figure", "value", "goal", "result")
    body = [(r.case, r.figure, r.value, r.goal or "-", r.verdict + (f" ({r.note})" if r.note else ""))
            for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(b) for b in body]
    return "\n".join(out)


def machine() -> str:
    """nproc, memory, CPU model, Python: where the figures came from."""
    cpu = "unknown CPU"
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for ln in Path("/proc/meminfo").read_text().splitlines():
            if ln.startswith("MemTotal"):
                mem = f"{int(ln.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return (f"{os.cpu_count()} CPU ({cpu}), {mem} RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} within {timeout} s")


def base_env(database_url: str, **extra) -> dict:
    """Environment for a subprocess running the app against database_url."""
    env = dict(os.environ)
    env.update({
        "HELPCENTER_DATABASE_URL": database_url,
        "HELPCENTER_SECRET_KEY": SECRET,
        "HELPCENTER_TODAY": TODAY,
        "HELPCENTER_ENV": "development",
        "PYTHONPATH": str(ROOT),
    })
    env.pop("HELPCENTER_MAIL_SERVER", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def app_config(database_url: str, **extra) -> dict:
    """create_app() settings for in-process cases (same values as base_env)."""
    cfg = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "TODAY": TODAY,
           "RATELIMIT_ENABLED": False, "MAIL_SERVER": None}
    cfg.update(extra)
    return cfg


class DemoDatabase:
    """A temporary SQLite file migrated with Alembic and seeded with the demo data."""

    def __init__(self, workdir: Path | None = None):
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="hc-bench-db-"))
        self.url = f"sqlite:///{self.dir / 'bench.db'}"

    def create(self) -> "DemoDatabase":
        flask = str(VENV_BIN / "flask")
        env = base_env(self.url)
        for args in (["db", "upgrade"], ["seed-demo"]):
            done = subprocess.run([flask, "--app", "helpcenter", *args], env=env, cwd=ROOT,
                                  capture_output=True, text=True)
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["?"])[-1]
                raise RuntimeError(f"flask {' '.join(args)} failed: {last}")
        return self

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def percentile(values, q: float) -> float:
    """Nearest-rank percentile of a non-empty list (q in 0..100)."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def median(values) -> float:
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def fmt_bytes(n: float) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{int(n)} B"


class Gunicorn:
    """A gunicorn serving `app_spec` on a free loopback port; a context manager."""

    def __init__(self, app_spec: str, env: dict, workers: int = 2, threads: int = 1, log: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cmd = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "--threads", str(threads),
                    "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", app_spec]
        self.env, self.log, self.proc = env, log, None

    def __enter__(self) -> "Gunicorn":
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=ROOT, stdout=out, stderr=out)
        wait_for_port(self.port, self.proc)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
