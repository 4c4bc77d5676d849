"""Probes for `pohub serve` under load, loaded through PYTHONPATH=bench/tail_probe (sitecustomize).

GC_PROBE=path: the collector's pauses by generation (gc.callbacks); GAP_PROBE=path: per request, the
time from reading it to its answer written, and from an answer written to the next request read
(the client's share). Each dumps to path.<pid> on SIGUSR1; set one probe at a time (each takes
SIGUSR1). MMAP_PROBE=bytes: every sqlite3 connection the process opens runs PRAGMA mmap_size=bytes
first (what db/engine.py would set; docs/read-path.md, stop 22). Not imported by pohub; see
docs/read-path.md, "Tail latency at 32 connections".
"""

# ruff: noqa
# mypy: ignore-errors
import os

if os.environ.get("MMAP_PROBE"):
    import sqlite3

    _connect = sqlite3.connect

    def _mapped(*args, **kw):
        conn = _connect(*args, **kw)
        conn.execute(f"PRAGMA mmap_size={int(os.environ['MMAP_PROBE'])}").fetchall()
        return conn

    sqlite3.connect = _mapped

if os.environ.get("GC_PROBE"):
    import gc, time, atexit

    _t = [0.0]
    _stats = {0: [], 1: [], 2: []}

    def _cb(phase, info):
        if phase == "start":
            _t[0] = time.perf_counter()
        else:
            _stats[info["generation"]].append((time.perf_counter() - _t[0], time.perf_counter()))

    gc.callbacks.append(_cb)

    def _dump():
        with open(os.environ["GC_PROBE"] + f".{os.getpid()}", "w") as f:
            for g, xs in _stats.items():
                ds = sorted(d for d, _ in xs)
                if ds:
                    f.write(
                        f"gen{g} n={len(ds)} total={sum(ds) * 1000:.0f}ms max={ds[-1] * 1000:.1f}ms p50={ds[len(ds) // 2] * 1000:.2f}ms top5={[round(d * 1000, 1) for d in ds[-5:]]}\n"
                    )
            now = time.perf_counter()
            f.write(
                "gen2 (ms, seconds before dump): "
                + repr([(round(d * 1000, 1), round(now - t, 1)) for d, t in _stats[2]])
                + "\n"
            )
            f.write(
                f"gen1 in last 12s: n={sum(1 for d, t in _stats[1] if now - t < 12)} max={max([d for d, t in _stats[1] if now - t < 12] or [0]) * 1000:.1f}ms\n"
            )
            f.write(f"objects={len(gc.get_objects())} freeze={gc.get_freeze_count()} thresholds={gc.get_threshold()}\n")

    atexit.register(_dump)
    import signal

    # uvicorn installs its own SIGTERM handler; dump also on SIGUSR1
    signal.signal(signal.SIGUSR1, lambda *a: _dump())
if os.environ.get("GAP_PROBE"):
    _gap = []
    _pre = []

    def _patch3():
        import time as _t
        from uvicorn.protocols.http import httptools_impl as h

        _dr = h.HttpToolsProtocol.data_received

        def dr(self, data):
            now = _t.perf_counter()
            last = getattr(self, "_end", None)
            if last is not None:
                _gap.append(now - last)
                self._end = None
            self._begin = now
            _dr(self, data)

        h.HttpToolsProtocol.data_received = dr
        _orc = h.HttpToolsProtocol.on_response_complete

        def orc(self):
            self._end = _t.perf_counter()
            if getattr(self, "_begin", None) is not None:
                _pre.append(self._end - self._begin)
            _orc(self)

        h.HttpToolsProtocol.on_response_complete = orc

    import threading as _th3

    def _later3():
        import time as _tt

        _tt.sleep(3)
        _patch3()

    _th3.Thread(target=_later3, daemon=True).start()
    import signal as _sg3

    def _d5(*a):
        with open(os.environ["GAP_PROBE"] + f".{os.getpid()}", "w") as f:
            for name, xs in (
                ("client gap (response written -> next request read)", _gap),
                ("server (request read -> response written)", _pre),
            ):
                xs = sorted(xs[-3000:])
                if xs:
                    f.write(
                        f"{name}: n={len(xs)} ms p50={xs[len(xs) // 2] * 1000:.1f} p90={xs[int(len(xs) * 0.9)] * 1000:.1f} p99={xs[int(len(xs) * 0.99)] * 1000:.1f} max={xs[-1] * 1000:.1f}\n"
                    )

    _sg3.signal(_sg3.SIGUSR1, _d5)
