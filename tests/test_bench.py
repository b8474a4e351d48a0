"""The benchmark script runs end to end on a tiny network and its --json output has the
promised keys and consistent ratios. No timing is asserted: the benchmark prints ratios, it
is not a timed test."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from bplib import bench
from bplib.backend import BackendUnavailable

TINY = ["--shapes", "8-6-6-3:16", "--repeat", "2", "--loop-examples", "4"]
MS_KEYS = {"loop", "batched", "limit", "limit_3L", "torch"}
RATIO_KEYS = {"batched_over_limit", "batched_over_limit_3L", "loop_over_batched",
              "batched_over_torch"}


@pytest.fixture
def no_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` fails, as in CI


def run_json(capsys, *extra):
    assert bench.main([*TINY, *extra, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def check_result(r, dtype):
    assert r["shape"] == "8-6-6-3" and r["p"] == [8, 6, 6, 3] and r["n"] == 16 and r["L"] == 3
    assert r["dtype"] == dtype and r["backend"] == "numpy" and r["repeat"] == 2
    assert r["loop_examples"] == 4
    assert set(r["ms"]) == MS_KEYS
    for key in MS_KEYS - {"torch"}:
        assert r["ms"][key] > 0
    assert set(RATIO_KEYS) <= set(r["ratios"])
    ms, ratios = r["ms"], r["ratios"]
    assert ratios["batched_over_limit"] == pytest.approx(ms["batched"] / ms["limit"])
    assert ratios["batched_over_limit_3L"] == pytest.approx(ms["batched"] / ms["limit_3L"])
    assert ratios["loop_over_batched"] == pytest.approx(ms["loop"] / ms["batched"])
    # the benchmark cross-checks what it times
    assert r["check"]["batched_vs_loop"] <= (1e-12 if dtype == "float64" else 1e-4)
    goals = {g["ratio"]: g for g in r["goals"]}
    assert set(goals) == {"batched_over_limit", "batched_over_limit_3L", "batched_over_torch"}
    g = goals["batched_over_limit"]
    assert g["bound"] == 1.10 and g["value"] == ratios["batched_over_limit"]
    assert g["status"] == ("PASS" if g["value"] <= 1.10 else "MISS")
    return goals


def test_json_output_without_torch(capsys, no_torch):
    out = run_json(capsys)
    machine = out["machine"]
    for key in ("cpu", "cores", "load_average", "python", "numpy", "blas", "env", "torch"):
        assert key in machine
    assert machine["numpy"] == np.__version__ and machine["torch"] is None
    assert [r["dtype"] for r in out["results"]] == ["float64", "float32"]
    for r in out["results"]:
        goals = check_result(r, r["dtype"])
        assert r["ms"]["torch"] is None and r["ratios"]["batched_over_torch"] is None
        assert r["check"]["batched_vs_torch"] is None
        assert goals["batched_over_torch"]["status"] == "n/a"


def test_json_output_with_torch(capsys):
    torch = pytest.importorskip("torch")
    out = run_json(capsys, "--dtype", "float32")
    assert out["machine"]["torch"]["version"] == torch.__version__
    (r,) = out["results"]
    goals = check_result(r, "float32")
    assert r["ms"]["torch"] > 0
    assert r["ratios"]["batched_over_torch"] == pytest.approx(r["ms"]["batched"] /
                                                                r["ms"]["torch"])
    assert r["check"]["batched_vs_torch"] <= 1e-4  # PyTorch computes the same gradient
    assert goals["batched_over_torch"]["status"] in {"PASS", "MISS"}


def test_table_output_states_machine_ratios_and_goals(capsys, no_torch):
    assert bench.main([*TINY, "--dtype", "float64"]) == 0
    text = capsys.readouterr().out
    assert "machine:" in text and "BLAS" in text and "torch: not importable" in text
    assert "b/limit" in text and "loop/b" in text and "8-6-6-3" in text
    assert "goals:" in text and ("PASS" in text or "MISS" in text)


def test_shapes_are_parsed_and_named():
    assert bench.parse_shape("784-256-256-10:1024") == ((784, 256, 256, 10), 1024)
    assert bench.parse_shape("784-4096x4-10:8192") == ((784,) + (4096,) * 4 + (10,), 8192)
    assert bench.shape_name((784,) + (1024,) * 8 + (10,)) == "784-1024x8-10"
    assert bench.shape_name((784, 256, 256, 10)) == "784-256-256-10"
    for bad in ("784-256-10", "784-256:0", "a-b:3", "5:10"):
        with pytest.raises(ValueError, match="--shapes: expected entries like"):
            bench.parse_shape(bad)


def test_bad_arguments_exit_with_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        bench.main(["--shapes", "784-256"])
    assert info.value.code == 2 and "--shapes" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.main(["--repeat", "0"])
    with pytest.raises(SystemExit):
        bench.main(["--backend", "jax"])


def test_cupy_benchmark_without_cupy_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(BackendUnavailable, match="pip install"):
        bench.run(backend="cupy", shapes=["8-6-3:4"], repeat=1)
