#!/usr/bin/env bash
# GPU check (issue 5): the GPU tests, then the GPU benchmark with its ratios and goals.
# Runs in well under 3 minutes on one H200 (first run includes compiling ~10 small kernels).
#
#   bash benchmarks/gpu_check.sh            # uses .venv/bin/python if present, else python3
#   PY=/path/to/python bash benchmarks/gpu_check.sh
#   OUT=results/ bash benchmarks/gpu_check.sh   # also keeps the JSON and the logs there
#
# Needs CuPy for the machine's CUDA (pip install -e '.[gpu]' installs cupy-cuda12x; a CUDA 13
# machine takes cupy-cuda13x) and, for the PyTorch comparison, a CUDA build of torch.
# Exit status: 0 when every GPU test passed and the benchmark ran (goals MISS are reported,
# not failed: they are measurements), 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
status=0

echo "== CuPy and device"
"$PY" - <<'PYEOF' || exit 1
from bplib.backend import cupy_available
ok, why = cupy_available()
if not ok:
    raise SystemExit(f"no usable CuPy backend: {why}")
import cupy
props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
print(f"CuPy {cupy.__version__}, {name}, CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}")
from bplib import fused
for dtype in ("float64", "float32"):
    failed = fused.self_check(dtype)
    print(f"fused kernels self-check {dtype}: {'ok' if not failed else 'FAILED ' + str(failed)}")
PYEOF

echo "== GPU tests (pytest -m gpu; CuPy cases of every test that takes the xp fixture)"
# -rs lists skips: on a GPU machine no CuPy case may be skipped for want of a device.
timeout 80 "$PY" -m pytest tests -m gpu -q -rs -p no:cacheprovider 2>&1 | tee "$OUT/gpu_tests.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
if grep -q "CuPy backend not tested here" "$OUT/gpu_tests.log"; then
    echo "GPU tests were skipped: see the reasons above"; status=1
fi

echo "== GPU benchmark (python -m bplib.bench --backend cupy)"
if timeout 90 "$PY" -m bplib.bench --backend cupy --repeat 20 --json > "$OUT/bench_gpu.json"; then
    "$PY" - "$OUT/bench_gpu.json" <<'PYEOF'
import json, sys
from bplib.bench import Result, format_table
out = json.load(open(sys.argv[1]))
print(format_table([Result(**r) for r in out["results"]], out["machine"]))
PYEOF
else
    echo "GPU benchmark failed or ran out of time"; status=1
fi
echo "== results in $OUT (gpu_tests.log, bench_gpu.json); exit $status"
exit $status
