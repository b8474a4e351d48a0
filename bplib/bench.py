"""Benchmark of Algorithm 2: the per-example loop, the batched form, and the bare matrix
products the batched form needs (the physical limit), with PyTorch autograd for comparison.

    python -m bplib.bench                       # NumPy, 784-256-256-10, n = 1024
    python -m bplib.bench --backend cupy        # also the two large shapes of issue 5
    python -m bplib.bench --json                # machine-readable results
    python -m bplib.bench --shapes 784-256x2-10:1024 --dtype float32 --repeat 100

For each shape and dtype, in one process, it prints the median over ``--repeat`` runs of the
milliseconds per full gradient (mean over the n examples) of

* ``loop``: :func:`bplib.backprop.algorithm2_loop`, Algorithm 1 once per example, timed on
  the first ``--loop-examples`` examples and scaled by n / that number (it is linear in n);
* ``batched``: :func:`bplib.backprop.algorithm2_batched` (the fast path, input check
  included);
* ``limit``: only the 3L - 1 matrix products the batched form performs, Z_l = A_{l-1} W_l^T,
  dC/dW_l = Delta_l^T A_{l-1} and Delta_{l-1} = Delta_l W_l for l >= 2, on arrays of the
  same shapes, written into preallocated arrays like the batched form does;
* ``limit_3L``: the same plus Delta_0 = Delta_1 W_1, i.e. 3 products per layer as counted
  in issue 2; the batched form never needs Delta_0, so the goals are judged against both;
* ``torch``: the same network in PyTorch (same dtype, same weights and data, same number of
  CPU threads), loss ``cross_entropy`` and ``torch.autograd.grad``, when torch imports.

On CPU the runs of ``batched``, ``limit`` and ``limit_3L`` are interleaved round by round, so a
change of machine load hits all of them alike; torch runs in a block of its own afterwards
(its OpenMP threads and OpenBLAS's threads both spin-wait after each call, and interleaving
the two pools on a small machine slows both). On CuPy every function is timed
with ``cupyx.profiler.benchmark`` (CUDA events, synchronised) and torch with CUDA events.

Goals (issues 2 and 5), printed PASS/MISS from the ratios of this one run:
CPU: batched/limit <= 1.10 and batched <= PyTorch CPU (batched/torch <= 1);
GPU: 784-256-256-10 batched <= 0.5 x PyTorch CUDA; the large shapes batched/limit <= 1.05.

Machine load matters on a shared machine: the load average is printed with the results. The
environment variables OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, when set, change OpenBLAS's
kernels; compare with ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m bplib.bench``.
OpenBLAS's worker threads busy-wait between calls; where the cores share execution units this
slows the single-threaded element-wise passes between products (OPENBLAS_THREAD_TIMEOUT=4
makes them sleep sooner). These variables are read when OpenBLAS loads, so set them outside.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .backend import backend_name, resolve_backend, synchronize, to_numpy
from .backprop import algorithm2_batched, algorithm2_loop
from .network import Network

COURSE_SHAPE = "784-256-256-10:1024"
DEFAULT_SHAPES = {
    "numpy": [COURSE_SHAPE],
    "cupy": [COURSE_SHAPE, "784-4096x4-10:8192", "784-1024x8-10:4096"],
}
GOALS = {  # (ratio key, bound, which results it applies to)
    # batched/limit_3L is issue 2's goal as worded (3 products per layer); batched/limit is
    # the stricter reading (only the 3L - 1 products the batched form performs). Both shown.
    "numpy": [("batched_over_limit", 1.10, "all"), ("batched_over_limit_3L", 1.10, "all"),
              ("batched_over_torch", 1.00, "all")],
    "cupy": [("batched_over_torch", 0.50, "course"), ("batched_over_limit", 1.05, "large")],
}


# --- shapes ---------------------------------------------------------------------------------
def parse_shape(text: str) -> tuple[tuple[int, ...], int]:
    """'784-256x2-10:1024' -> ((784, 256, 256, 10), 1024); 'WxK' repeats a width K times."""
    try:
        widths, n = text.split(":")
        p: list[int] = []
        for part in widths.split("-"):
            width, _, times = part.partition("x")
            p += [int(width)] * (int(times) if times else 1)
        if len(p) < 2 or int(n) < 1 or min(p) < 1:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"--shapes: expected entries like 784-256-256-10:1024 or 784-4096x4-10:8192 "
            f"(widths p_0-...-p_L, then :n), got {text!r}"
        ) from None
    return tuple(p), int(n)


def shape_name(p: Sequence[int]) -> str:
    """(784, 4096, 4096, 4096, 4096, 10) -> '784-4096x4-10' (3 or more equal hidden widths
    folded), (784, 256, 256, 10) -> '784-256-256-10'."""
    parts = [str(p[0])]
    for width, group in itertools.groupby(p[1:-1]):
        k = len(list(group))
        parts += [f"{width}x{k}"] if k >= 3 else [str(width)] * k
    return "-".join(parts + [str(p[-1])])


# --- timing ---------------------------------------------------------------------------------
def _median_ms(seconds: Sequence[float]) -> float:
    return 1e3 * statistics.median(seconds)


def time_interleaved(fns: dict[str, Callable[[], Any]], repeat: int, warmup: int = 3,
                     ) -> dict[str, list[float]]:
    """Seconds per call of each function, ``repeat`` runs timed round by round (CPU)."""
    for _ in range(warmup):
        for f in fns.values():
            f()
    runs: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            runs[k].append(time.perf_counter() - t0)
    return runs


def time_cupy(f: Callable[[], Any], repeat: int, warmup: int = 3) -> list[float]:
    """Seconds per call on the GPU: CUDA events around each call, synchronised."""
    from cupyx.profiler import benchmark  # noqa: PLC0415

    result = benchmark(f, (), n_repeat=repeat, n_warmup=warmup)
    return [float(t) for t in result.gpu_times[0]]


def time_torch_cuda(f: Callable[[], Any], repeat: int, warmup: int = 3) -> list[float]:
    """Seconds per call of a PyTorch CUDA function, CUDA events, synchronised."""
    import torch  # noqa: PLC0415

    for _ in range(warmup):
        f()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        f()
        end.record()
        end.synchronize()
        times.append(1e-3 * start.elapsed_time(end))  # elapsed_time is in ms
    return times


# --- what is timed ----------------------------------------------------------------------------
def make_problem(p: Sequence[int], n: int, dtype: Any, backend: str, seed: int = 0,
                 ) -> tuple[Network, Any, Any]:
    """A ReLU network with softmax output and a random classification batch on ``backend``."""
    xp = resolve_backend(backend)
    rng = np.random.default_rng(seed)
    net = Network.init(p, hidden="relu", output="softmax", dtype=dtype, rng=rng, backend=backend)
    X = xp.asarray(rng.standard_normal((n, p[0])), dtype=dtype)
    Y = xp.asarray(rng.integers(0, p[-1], n))
    return net, X, Y


def products(net: Network, X: Any, delta_0: bool) -> Callable[[], None]:
    """The bare matrix products of the batched form on arrays of its shapes (the limit)."""
    xp, L, n, p = net.xp, net.L, X.shape[0], net.p
    rng = np.random.default_rng(1)
    # realistic magnitudes: activations of this network, deltas ~ 1e-3 (no NaN, no subnormals)
    A = [X] + [xp.empty((n, p[l]), dtype=net.dtype) for l in range(1, L + 1)]
    for l in range(1, L + 1):
        xp.matmul(A[l - 1], net.W[l].T, out=A[l])
        xp.maximum(A[l], 0, out=A[l])
    D = [xp.empty((n, p[0]), dtype=net.dtype)] + [
        xp.asarray(1e-3 * rng.standard_normal((n, p[l])), dtype=net.dtype)
        for l in range(1, L + 1)
    ]

    def run() -> None:
        for l in range(1, L + 1):
            xp.matmul(A[l - 1], net.W[l].T, out=A[l])  # Z_l = A_{l-1} W_l^T
        for l in range(L, 0, -1):
            D[l].T @ A[l - 1]  # dC/dW_l = Delta_l^T A_{l-1} (a new array, as returned)
            if l > 1 or delta_0:
                xp.matmul(D[l], net.W[l], out=D[l - 1])  # Delta_{l-1} = Delta_l W_l

    return run


def torch_gradient(net: Network, X: Any, Y: Any, threads: int | None,
                   ) -> tuple[Callable[[], Any], str] | None:
    """(f, version): f() computes the same mean gradient with PyTorch autograd, or None when
    torch does not import or has no counterpart for the network / device."""
    try:
        import torch  # noqa: PLC0415
    except Exception:
        return None
    acts = {"relu": torch.relu, "tanh": torch.tanh, "logistic": torch.sigmoid,
            "identity": lambda t: t}
    if net.pair.output != "softmax" or any(net.S[l] not in acts for l in range(1, net.L)):
        return None
    on_gpu = backend_name(net.xp) == "cupy"
    if on_gpu and not torch.cuda.is_available():
        return None
    device = "cuda" if on_gpu else "cpu"
    if on_gpu:
        torch.backends.cuda.matmul.allow_tf32 = False  # full fp32 products, like CuPy's default
    elif threads:
        torch.set_num_threads(threads)

    def tensor(a: Any, grad: bool = False) -> Any:
        return torch.as_tensor(to_numpy(a)).to(device).requires_grad_(grad)

    W = [None] + [tensor(w, True) for w in net.W[1:]]
    b = [None] + [tensor(v, True) for v in net.b[1:]]
    Xt, Yt = tensor(X), tensor(Y).long()
    params = [t for l in range(1, net.L + 1) for t in (W[l], b[l])]
    F = torch.nn.functional

    def f() -> Any:
        h = Xt
        for l in range(1, net.L):
            h = acts[net.S[l]](torch.addmm(b[l], h, W[l].t()))
        z = torch.addmm(b[net.L], h, W[net.L].t())
        return torch.autograd.grad(F.cross_entropy(z, Yt), params)

    return f, torch.__version__


def _max_rel_diff(a: Any, b: Any) -> float:
    a, b = to_numpy(a).astype(np.float64), to_numpy(b).astype(np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# --- results ---------------------------------------------------------------------------------
@dataclass
class Result:
    """One shape and dtype: ms per full gradient, ratios, and the correctness cross-checks."""

    shape: str
    p: list[int]
    n: int
    L: int
    dtype: str
    backend: str
    repeat: int
    loop_examples: int
    ms: dict[str, float | None]  # medians
    ms_min: dict[str, float]  # fastest run of each (less sensitive to load; not judged)
    ratios: dict[str, float | None]
    check: dict[str, float | None]
    goals: list[dict[str, Any]] = field(default_factory=list)


def _blas_info() -> list[dict[str, Any]]:
    try:
        from threadpoolctl import threadpool_info  # noqa: PLC0415
    except ImportError:  # NumPy's build record: the library, not the threads in use
        try:
            blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        except Exception:
            blas = {}
        return [{"internal_api": blas.get("name"), "version": blas.get("version"),
                 "num_threads": None, "architecture": None, "threading_layer": None}]
    return [{k: d.get(k) for k in ("internal_api", "version", "num_threads", "architecture",
                                    "threading_layer")}
            for d in threadpool_info() if d.get("user_api") == "blas"]


def blas_threads() -> int:
    """Threads NumPy's BLAS uses (threadpoolctl), else the number of CPUs."""
    threads = [d["num_threads"] for d in _blas_info() if d.get("num_threads")]
    return int(threads[0]) if threads else (os.cpu_count() or 1)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(backend: str) -> dict[str, Any]:
    """What the figures depend on: CPU, cores, load, NumPy/BLAS, torch, CuPy/GPU, env."""
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "blas": _blas_info(),
        "env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                           "OPENBLAS_NUM_THREADS", "OPENBLAS_THREAD_TIMEOUT",
                                           "OMP_NUM_THREADS", "CUPY_TF32", "BPLIB_FUSED")
                if k in os.environ},
    }
    try:
        import torch  # noqa: PLC0415

        info["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads(),
                         "cuda": torch.cuda.is_available()}
    except Exception:
        info["torch"] = None
    if backend == "cupy":
        import cupy  # noqa: PLC0415

        props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        name = props["name"]
        info["cupy"] = {"version": cupy.__version__,
                        "device": name.decode() if isinstance(name, bytes) else str(name),
                        "cuda_runtime": cupy.cuda.runtime.runtimeGetVersion()}
    return info


def _goal_applies(scope: str, p: Sequence[int]) -> bool:
    course = tuple(p) == parse_shape(COURSE_SHAPE)[0]
    return scope == "all" or (scope == "course") == course


def bench_one(p: Sequence[int], n: int, dtype: Any, backend: str, repeat: int,
              loop_examples: int) -> Result:
    """Time loop, batched, limit(s) and torch for one shape and dtype; cross-check values."""
    net, X, Y = make_problem(p, n, dtype, backend)
    xp = net.xp
    on_gpu = backend == "cupy"
    m = min(loop_examples, n)
    limit, limit_3L = products(net, X, False), products(net, X, True)
    torch_fn = torch_gradient(net, X, Y, threads=None if on_gpu else blas_threads())

    def batched() -> Any:
        return algorithm2_batched(net, X, Y)

    runs: dict[str, list[float]] = {}
    if on_gpu:
        from . import fused  # noqa: PLC0415

        runs["batched"] = time_cupy(batched, repeat)
        with fused.disabled():
            runs["batched_plain"] = time_cupy(batched, repeat)
        runs["limit"] = time_cupy(limit, repeat)
        runs["limit_3L"] = time_cupy(limit_3L, repeat)
        if torch_fn:
            runs["torch"] = time_torch_cuda(torch_fn[0], repeat)
    else:
        runs.update(time_interleaved({"batched": batched, "limit": limit, "limit_3L": limit_3L},
                                     repeat))
        # torch in its own block: its OpenMP threads and OpenBLAS's both spin-wait after a
        # call, and interleaving the two thread pools on few cores slows both down
        if torch_fn:
            runs.update(time_interleaved({"torch": torch_fn[0]}, repeat))
    ms: dict[str, float | None] = {k: _median_ms(v) for k, v in runs.items()}
    ms_min = {k: 1e3 * min(v) for k, v in runs.items()}
    ms.setdefault("torch", None)
    Xm, Ym = X[:m], Y[:m]
    loop_repeat = max(3, repeat // 10)
    t_loop = []
    for _ in range(loop_repeat):
        synchronize(xp)
        t0 = time.perf_counter()
        algorithm2_loop(net, Xm, Ym)
        synchronize(xp)
        t_loop.append(time.perf_counter() - t0)
    ms["loop"] = _median_ms(t_loop) * n / m

    def ratio(a: str, b: str) -> float | None:
        return ms[a] / ms[b] if ms.get(a) and ms.get(b) else None

    ratios = {
        "batched_over_limit": ratio("batched", "limit"),
        "batched_over_limit_3L": ratio("batched", "limit_3L"),
        "loop_over_batched": ratio("loop", "batched"),
        "batched_over_torch": ratio("batched", "torch"),
    }
    if on_gpu:
        ratios["plain_over_fused"] = ratio("batched_plain", "batched")

    # correctness: batched == loop on the subset, batched == torch on the full batch
    g_sub, g_loop = algorithm2_batched(net, Xm, Ym), algorithm2_loop(net, Xm, Ym)
    g = algorithm2_batched(net, X, Y)
    check: dict[str, float | None] = {
        "batched_vs_loop": _max_rel_diff(g_sub.theta(), g_loop.theta()),
        "batched_vs_torch": None,
    }
    if torch_fn:
        grads = [t.detach().cpu().numpy() for t in torch_fn[0]()]
        check["batched_vs_torch"] = _max_rel_diff(
            g.theta(), np.concatenate([t.reshape(-1) for t in grads]))
    result = Result(shape_name(p), list(p), n, net.L, np.dtype(dtype).name, backend, repeat, m,
                    ms, ms_min, ratios, check)
    for key, bound, scope in GOALS[backend]:
        if _goal_applies(scope, p):
            value = ratios.get(key)
            result.goals.append({"ratio": key, "value": value, "bound": bound,
                                 "status": "n/a" if value is None else
                                 "PASS" if value <= bound else "MISS"})
    return result


# --- output ----------------------------------------------------------------------------------
def _fmt(x: float | None, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec)


def format_table(results: Sequence[Result], info: dict[str, Any]) -> str:
    """The human-readable report: machine line, table of ms and ratios, goals."""
    blas = ", ".join(f"{d.get('internal_api')} {d.get('version')} "
                     f"({d.get('architecture') or '?'}, {d.get('num_threads') or '?'} threads)"
                     for d in info["blas"]) or "unknown"
    torch = info.get("torch")
    lines = [
        "bplib benchmark: Algorithm 2, ms per full gradient (median of repeated runs)",
        f"machine: {info['cpu']}, {info['cores']} cores, load {info['load_average']}; "
        f"Python {info['python']}, NumPy {info['numpy']}, BLAS {blas}",
        "torch: " + (f"{torch['version']} ({torch['threads']} threads)" if torch
                     else "not importable")
        + (f"; CuPy {info['cupy']['version']} on {info['cupy']['device']}" if "cupy" in info
           else ""),
        f"env: {info['env'] or '(no OPENBLAS_*/OMP_* variables set)'}",
        "",
    ]
    gpu = any(r.backend == "cupy" for r in results)
    head = ["shape", "n", "dtype", "loop*", "batched"] + (["plain"] if gpu else []) + [
        "limit", "limit_3L", "torch", "b/limit", "b/lim3L", "loop/b", "b/torch"]
    rows = [head]
    for r in results:
        rows.append([r.shape, str(r.n), r.dtype, _fmt(r.ms["loop"], ".1f"), _fmt(r.ms["batched"])]
                    + ([_fmt(r.ms.get("batched_plain"))] if gpu else [])
                    + [_fmt(r.ms["limit"]), _fmt(r.ms["limit_3L"]), _fmt(r.ms["torch"]),
                       _fmt(r.ratios["batched_over_limit"]),
                       _fmt(r.ratios["batched_over_limit_3L"]),
                       _fmt(r.ratios["loop_over_batched"], ".0f"),
                       _fmt(r.ratios["batched_over_torch"])])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines += [
        "",
        f"* loop: timed on the first {results[0].loop_examples if results else '?'} examples, "
        "scaled to n. limit: the 3L-1 products the batched form performs; limit_3L adds "
        "Delta_0 = Delta_1 W_1 (3 per layer).",
        "checks (max relative difference): " + "; ".join(
            f"{r.shape} {r.dtype}: vs loop {_fmt(r.check['batched_vs_loop'], '.1e')}, "
            f"vs torch {_fmt(r.check['batched_vs_torch'], '.1e')}" for r in results),
        "goals:",
    ]
    for r in results:
        for g in r.goals:
            lines.append(f"  {g['status']:4s}  {r.shape} n={r.n} {r.dtype}: {g['ratio']} = "
                         f"{_fmt(g['value'], '.4f')} (goal <= {g['bound']:.2f})")
    return "\n".join(lines)


def run(backend: str = "numpy", dtypes: Sequence[str] = ("float64", "float32"),
        shapes: Sequence[str] | None = None, repeat: int | None = None,
        loop_examples: int | None = None) -> dict[str, Any]:
    """Run the benchmark and return {'machine': ..., 'results': [...]} (what --json prints)."""
    if backend not in DEFAULT_SHAPES:
        raise ValueError(f"backend: expected one of {sorted(DEFAULT_SHAPES)}, got {backend!r}")
    resolve_backend(backend)  # BackendUnavailable with install advice when CuPy is missing
    shapes = list(shapes) if shapes else DEFAULT_SHAPES[backend]
    repeat = repeat or (50 if backend == "numpy" else 30)
    loop_examples = loop_examples or (64 if backend == "numpy" else 16)
    info = machine_info(backend)
    results = []
    for text in shapes:
        p, n = parse_shape(text)
        for dtype in dtypes:
            results.append(bench_one(p, n, np.dtype(dtype), backend, repeat, loop_examples))
    info["load_average_after"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    return {"machine": info, "results": [asdict(r) for r in results]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bplib.bench", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=sorted(DEFAULT_SHAPES), default="numpy")
    parser.add_argument("--dtype", nargs="+", choices=["float64", "float32"],
                        default=["float64", "float32"])
    parser.add_argument("--shapes", nargs="+", metavar="P0-P1-...-PL:N",
                        help="e.g. 784-256-256-10:1024 784-4096x4-10:8192 (default: "
                             "the course shape; on cupy also the two large shapes)")
    parser.add_argument("--repeat", type=int, help="timed runs per function (default 50 on "
                        "numpy, 30 on cupy)")
    parser.add_argument("--loop-examples", type=int, help="examples the per-example loop is "
                        "timed on (default 64 on numpy, 16 on cupy)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    for name in ("repeat", "loop_examples"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')}: expected a positive integer, got {value}")
    for text in args.shapes or []:
        try:
            parse_shape(text)
        except ValueError as exc:
            parser.error(str(exc))
    out = run(args.backend, args.dtype, args.shapes, args.repeat, args.loop_examples)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(format_table([Result(**r) for r in out["results"]], out["machine"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
