#!/usr/bin/env python3
# bench_torch.py -- PyTorch's softplus beside libsoftplus: speed and worst ULP on bench_peers' inputs.
# SPDX-License-Identifier: MIT
"""Times torch.nn.functional.softplus and torch.ops.aten.softplus_backward on one thread, on the inputs
bench_peers uses (its counter-based generator, rewritten in numpy: the digests must match the ones
bench_peers prints), and measures their worst error in ULP against the same references (float64 for f32
results, long double for f64 results). With --csv FILE it replaces the torch rows of bench_peers' CSV
(bench/peers/README.md documents the columns), computes each row's ratio to our best kernel set from
the `ours` rows there, and prints the combined table: every peer, speed and accuracy side by side.

Two ways to call, both on contiguous tensors with beta = 1, threshold = 20:
  torch        the out= overloads, no allocation: aten.softplus.out, aten.softplus_backward.grad_input
  torch-alloc  what a model calls: F.softplus(x, beta, threshold), aten.softplus_backward(dy, x, ...),
               each allocating its result
Each timed call goes through the Python interpreter (a few microseconds), which is what a Python user
pays; at n = 4096 that is a visible share.

Run with Debian's interpreter (/usr/bin/python3, where python3-torch installs):
  /usr/bin/python3 bench/bench_torch.py [--quick] [--inputs mix|core] [--sizes N,N] [--acc N]
      [--csv build/peers.csv] [--capability default|avx2|avx512]
--capability sets ATEN_CPU_CAPABILITY (the width of ATen's vectorised kernels) before torch loads.
"""
import argparse
import csv
import os
import re
import sys
import time

SEED = 0x736F6674706C7573  # bench_peers.c BENCH_SEED
GOLDEN = 0x9E3779B97F4A7C15
BETA, THRESHOLD = 1.0, 20.0
DEFAULT_SIZES = [4096, 65536, 32 << 20]
QUICK_SIZES = [4096, 65536]
CHUNK = 1 << 20
# bench_peers' digests of (x, dy) for its default sizes: a change to either generator shows here.
KNOWN_DIGESTS = {
    ("f32", 4096): "7d15140af19eda72", ("f32", 65536): "d8b4a538c990c1bb",
    ("f64", 4096): "bc00a4db51360594", ("f64", 65536): "b44c48768097efdc",
    ("f32", 32 << 20): "61a67662fddb7ad4", ("f64", 32 << 20): "f02878f67211ce08",
}
CSV_FIELDS = ["peer", "isa", "impl", "dtype", "op", "size", "gelem_s", "ns_per_call", "ratio_to_ours_best",
              "ours_best_isa", "reps", "spread_pct", "max_ulp", "ulp_inputs", "worst_x", "worst_dy", "worst_got",
              "worst_want", "core_max_ulp", "core_worst_x", "dy1_max_ulp", "dy1_worst_x"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="sizes 4096,65536 only, fewer repetitions")
    p.add_argument("--inputs", choices=("mix", "core"), default="mix",
                   help="core: x uniform in [-20,20] only, without the tail (bench_peers --inputs core)")
    p.add_argument("--sizes", help="element counts, comma-separated (default 4096,65536,33554432)")
    p.add_argument("--acc", type=int, help="accuracy over the first N inputs (default: the largest size)")
    p.add_argument("--csv", help="bench_peers' CSV: replace its torch rows, print the combined table")
    p.add_argument("--capability", help="ATEN_CPU_CAPABILITY for this run (default: torch's choice)")
    p.add_argument("--capabilities", help="comma-separated, or 'all' (those this CPU runs, widest first):"
                   " one run per ATEN_CPU_CAPABILITY, each into --csv, then the combined table")
    p.add_argument("--no-table", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (
        QUICK_SIZES if args.quick else DEFAULT_SIZES)
    return args


def cpu_capabilities():
    """The ATEN_CPU_CAPABILITY values this CPU runs, widest first. ATen 1.13 takes the variable on
    trust, so avx512 (its kernels use AVX-512 F, BW, VL and DQ) is offered only when /proc/cpuinfo has
    them all."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(next(line for line in f if line.startswith("flags")).split(":", 1)[1].split())
    except (OSError, StopIteration):
        flags = set()
    caps = []
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq", "fma"} <= flags:
        caps.append("avx512")
    if {"avx2", "fma"} <= flags:
        caps.append("avx2")
    return caps + ["default"]


def run_each_capability(args):
    """One child run per capability, each replacing its rows in args.csv; then the combined table."""
    import subprocess
    caps = cpu_capabilities() if args.capabilities == "all" else args.capabilities.split(",")
    passed = []
    skip = False
    for a in sys.argv[1:]:
        if skip:
            skip = False
        elif a == "--capabilities":
            skip = True
        elif not a.startswith("--capabilities="):
            passed.append(a)
    for cap in caps:
        print(f"\n== bench_torch.py, ATEN_CPU_CAPABILITY={cap}", flush=True)
        r = subprocess.run([sys.executable, os.path.abspath(__file__), *passed, "--capability", cap, "--no-table"])
        if r.returncode != 0:
            sys.exit(r.returncode)
    with open(args.csv, newline="") as f:
        print_combined(list(csv.DictReader(f)))


ARGS = parse_args()
if ARGS.capabilities and not ARGS.csv:
    sys.exit("bench_torch: --capabilities needs --csv (the runs meet in that file)")
# One thread, set before torch (and its OpenMP runtime) loads, as bench_peers does for oneDNN.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"
if ARGS.capability:
    os.environ["ATEN_CPU_CAPABILITY"] = ARGS.capability

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"bench_torch: skipped, {e.name} is not installed (Debian: python3-torch python3-numpy; "
          f"run with /usr/bin/python3)")
    sys.exit(0)

torch.set_num_threads(1)
F = torch.nn.functional


# ---- inputs: bench_peers.c's generator, element for element ----------------------------------------

def mix(k):
    z = np.uint64(SEED) + k * np.uint64(GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def make_inputs(n, core_only):
    """x and dy in float64, as bench_peers' input_x and input_dy for i in 0..n-1."""
    x = np.empty(n, np.float64)
    dy = np.empty(n, np.float64)
    with np.errstate(over="ignore"):
        for lo in range(0, n, CHUNK):
            i = np.arange(lo, min(n, lo + CHUNK), dtype=np.uint64)
            r0, r1, r2 = mix(np.uint64(3) * i), mix(np.uint64(3) * i + np.uint64(1)), mix(np.uint64(3) * i + np.uint64(2))
            u = (r0 >> np.uint64(11)).astype(np.float64) * 2.0**-53
            core = (r1 >> np.uint64(11)).astype(np.float64) * 2.0**-53 < 0.9
            if core_only:
                core[:] = True
            k = (((r1 & np.uint64(0xFFFFFFFF)) * np.uint64(28)) >> np.uint64(32)).astype(np.int64) - 20
            m = np.ldexp(1.0 + u, k)
            m = np.where(((r1 >> np.uint64(32)) & np.uint64(1)) == 1, -m, m)
            x[lo:lo + len(i)] = np.where(core, -20.0 + 40.0 * u, m)
            dy[lo:lo + len(i)] = 2.0 * ((r2 >> np.uint64(11)).astype(np.float64) * 2.0**-53) - 1.0
    return x, dy


def digest(x, dy, n):
    bits = np.uint32 if x.dtype == np.float32 else np.uint64
    bx = x[:n].view(bits).astype(np.uint64)
    bd = dy[:n].view(bits).astype(np.uint64)
    w = np.arange(n, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    with np.errstate(over="ignore"):
        return int(np.sum((bx * np.uint64(GOLDEN) + bd) * w, dtype=np.uint64))


# ---- the reference and the ULP measure (bench_peers.c's ref_* and ulp_error) -------------------------

def reference(x, dy, op):
    """want, in float64 for float32 inputs and long double for float64 inputs; dy None: forward."""
    wide = np.float64 if x.dtype == np.float32 else np.longdouble
    linear = x * x.dtype.type(BETA) > x.dtype.type(THRESHOLD)  # fl(beta*x) > threshold
    z = x.astype(wide) * wide(BETA)
    if op == "fwd":
        want = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / wide(BETA)
        return np.where(linear, x.astype(wide), want)
    e = np.exp(-np.abs(z))
    s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return np.where(linear, dy.astype(wide), dy.astype(wide) * s)


def ulp_errors(got, want):
    p, emin = (24, -126) if got.dtype == np.float32 else (53, -1022)
    want = want.astype(np.longdouble)
    g = got.astype(np.longdouble)
    _, e = np.frexp(want)
    e = np.where(want == 0, emin, np.maximum(e - 1, emin))
    err = np.abs(g - want) / np.ldexp(np.longdouble(1), e - (p - 1))
    err = np.where(g == want, 0, err)
    return np.where(np.isnan(g) != np.isnan(want), np.inf, np.nan_to_num(err, nan=0.0, posinf=np.inf))


def hexf(v):
    """C's %a spelling of a float64 (trailing zero digits dropped)."""
    v = float(v)
    if v != v:
        return "nan"
    s = v.hex()
    return re.sub(r"\.?0+p", "p", s) if "." in s else s


# ---- timing (bench_peers' method: median of ~2 ms repetitions, preempted ones retried) -------------

POLICY = dict(min_reps=3, max_reps=5, rep=1e-3, cell=0.02) if ARGS.quick else \
    dict(min_reps=5, max_reps=11, rep=2e-3, cell=0.25)
noisy_cells = 0


def measure(fn, n):
    global noisy_cells
    inner = 1
    while True:
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(inner):
            fn()
        dt, dc = time.perf_counter() - t0, time.thread_time() - c0
        if dt >= POLICY["rep"] / 8 or inner >= 1 << 24:
            break
        inner *= 8
    clean, every = [], []
    start = time.perf_counter()
    min_reps = POLICY["min_reps"]
    if inner == 1 and dt > POLICY["cell"] / 4:  # a long call: the warm-up counts, three make the median
        min_reps = 3
        every.append(n / dt * 1e-9)
        if dc >= 0.98 * dt:
            clean.append(every[-1])
        start -= dt
    elif dt < POLICY["rep"]:
        inner = int(inner * POLICY["rep"] / dt) + 1
    while True:
        elapsed = time.perf_counter() - start
        if len(clean) >= POLICY["max_reps"] or (len(clean) >= min_reps and elapsed >= POLICY["cell"]):
            break
        if len(every) >= 64 or (len(every) >= min_reps and elapsed >= 4 * POLICY["cell"]):
            break
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(inner):
            fn()
        dt, dc = time.perf_counter() - t0, time.thread_time() - c0
        every.append(n * inner / max(dt, 1e-9) * 1e-9)
        if dc >= 0.98 * dt:
            clean.append(every[-1])
    v = clean
    if len(clean) < min_reps:
        v = every
        noisy_cells += 1
    v = sorted(v)
    med = v[len(v) // 2] if len(v) % 2 else 0.5 * (v[len(v) // 2 - 1] + v[len(v) // 2])
    return med, 50.0 * (v[-1] - v[0]) / med, len(v)


def calls(variant, op, x, dy, out):
    if variant == "torch":
        if op == "fwd":
            return lambda: torch.ops.aten.softplus.out(x, BETA, THRESHOLD, out=out)
        return lambda: torch.ops.aten.softplus_backward.grad_input(dy, x, BETA, THRESHOLD, grad_input=out)
    if op == "fwd":
        return lambda: F.softplus(x, BETA, THRESHOLD)
    return lambda: torch.ops.aten.softplus_backward(dy, x, BETA, THRESHOLD)


IMPL = {
    ("torch", "fwd"): "torch.ops.aten.softplus.out (no allocation)",
    ("torch", "bwd"): "torch.ops.aten.softplus_backward.grad_input (no allocation)",
    ("torch-alloc", "fwd"): "torch.nn.functional.softplus (allocates its result)",
    ("torch-alloc", "bwd"): "torch.ops.aten.softplus_backward (allocates its result)",
}


def accuracy(variant, op, x, dy, acc_n):
    """worst over all inputs, over |x| <= 20, and (backward) with dy = 1; each with its witness."""
    worst = dict(max_ulp=-1.0, core_max_ulp=-1.0, dy1_max_ulp=-1.0)
    for lo in range(0, acc_n, CHUNK):
        hi = min(acc_n, lo + CHUNK)
        xs, dys = x[lo:hi], dy[lo:hi]
        xt, dyt = torch.from_numpy(xs), torch.from_numpy(dys)
        out = torch.empty_like(xt)
        got = calls(variant, op, xt, dyt, out)()
        got = got.numpy()
        want = reference(xs, dys, op)
        err = ulp_errors(got, want)
        i = int(np.argmax(err))
        if err[i] > worst["max_ulp"]:
            worst.update(max_ulp=float(err[i]), worst_x=hexf(xs[i]), worst_dy=hexf(dys[i]) if op == "bwd" else "nan",
                         worst_got=hexf(got[i]), worst_want=f"{want[i]:.21g}")
        core = np.where(np.abs(xs) <= 20, err, -1)
        i = int(np.argmax(core))
        if core[i] > worst["core_max_ulp"]:
            worst.update(core_max_ulp=float(core[i]), core_worst_x=hexf(xs[i]))
        if op == "bwd":
            ones = np.ones_like(xs)
            got1 = calls(variant, op, xt, torch.from_numpy(ones), out)().numpy()
            err1 = ulp_errors(got1, reference(xs, ones, op))
            i = int(np.argmax(err1))
            if err1[i] > worst["dy1_max_ulp"]:
                worst.update(dy1_max_ulp=float(err1[i]), dy1_worst_x=hexf(xs[i]))
    worst["ulp_inputs"] = acc_n
    if op == "fwd":
        worst["dy1_max_ulp"] = None  # an empty CSV field, as bench_peers writes for forward
    return worst


def capability():
    """ATen's vector width as a short tag: avx512, avx2, or default (no vectorised kernels)."""
    m = re.search(r"CPU capability usage: ([^\n]+)", torch.__config__.show())
    text = m.group(1).upper() if m else ""
    return "avx512" if "AVX512" in text else "avx2" if "AVX2" in text else "default" if m else "?"


def pin_to_current_cpu():
    try:
        with open("/proc/self/stat") as f:
            cpu = int(f.read().rsplit(")", 1)[1].split()[36])
        os.sched_setaffinity(0, {cpu})
        return cpu
    except (OSError, ValueError, IndexError):
        return -1


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return -1.0


def g(v, fmt=".6g"):
    return "" if v is None else format(v, fmt)


def main():
    cpu = pin_to_current_cpu()
    sizes = ARGS.sizes
    acc_n = ARGS.acc or max(sizes)
    cap = capability()
    print(f"PyTorch {torch.__version__} beside libsoftplus{' (--quick)' if ARGS.quick else ''}")
    print(f"pinned to CPU {cpu}; torch.get_num_threads() = {torch.get_num_threads()}; ATen CPU capability {cap}"
          f"{' (ATEN_CPU_CAPABILITY=' + ARGS.capability + ')' if ARGS.capability else ''}; "
          f"load average {load_average():.2f}; inputs {ARGS.inputs}")
    rows = []
    n_max = max(max(sizes), acc_n)
    x64, dy64 = make_inputs(n_max, ARGS.inputs == "core")
    for dt, npdt in (("f32", np.float32), ("f64", np.float64)):
        x = x64.astype(npdt)
        dy = dy64.astype(npdt)
        line = []
        for n in sizes:
            d = f"{digest(x, dy, n):016x}"
            known = KNOWN_DIGESTS.get((dt, n)) if ARGS.inputs == "mix" else None
            line.append(f"n={n} {d}" + ("" if known is None else " (= bench_peers)" if known == d else " MISMATCH"))
            if known is not None and known != d:
                print(f"bench_torch: {dt} inputs differ from bench_peers' at n={n}", file=sys.stderr)
                sys.exit(1)
        print(f"{dt} inputs digest: " + " ".join(line))
        xt_all, dyt_all = torch.from_numpy(x), torch.from_numpy(dy)
        out_all = torch.empty_like(xt_all)
        for op in ("fwd", "bwd"):
            for variant in ("torch", "torch-alloc"):
                acc = accuracy(variant, op, x, dy, acc_n)
                for n in sizes + [1]:
                    fn = calls(variant, op, xt_all[:n], dyt_all[:n], out_all[:n])
                    rate, spread, reps = measure(fn, n)
                    rows.append(dict(peer=variant, isa=cap, impl=f"PyTorch {torch.__version__} {IMPL[(variant, op)]}",
                                     dtype=dt, op=op, size=n, gelem_s=g(rate), ns_per_call=g(n / rate),
                                     reps=reps, spread_pct=g(spread, ".3g") if n > 1 else "nan",
                                     **{k: (g(v) if isinstance(v, float) else v) for k, v in acc.items()}))
                print(f"  {dt} {op} {variant:<11} " + "  ".join(f"n={r['size']}: {float(r['gelem_s']):.3f}"
                      for r in rows if r["peer"] == variant and r["dtype"] == dt and r["op"] == op and r["size"] > 1)
                      + f" Gelem/s; {1 / float(rows[-1]['gelem_s']):.0f} ns at n=1; worst {acc['max_ulp']:.3g} ULP"
                      f" at x = {acc['worst_x']}", flush=True)
    if noisy_cells:
        print(f"warning: {noisy_cells} cells had fewer than {POLICY['min_reps']} repetitions free of preemption")
    if ARGS.csv:
        merge(ARGS.csv, rows, cap)


def merge(path, rows, cap):
    """Replace this capability's torch rows in bench_peers' CSV, fill in the ratios, print the table."""
    old = []
    if os.path.exists(path):
        with open(path, newline="") as f:
            old = [r for r in csv.DictReader(f)
                   if not (r["peer"].startswith("torch") and r["isa"] == cap)]
    allrows = old + [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]
    best = {}
    for r in allrows:
        if r["peer"] == "ours" and r["gelem_s"]:
            key = (r["dtype"], r["op"], r["size"])
            if float(r["gelem_s"]) > best.get(key, (0, ""))[0]:
                best[key] = (float(r["gelem_s"]), r["isa"])
    for r in allrows:
        b = best.get((r["dtype"], r["op"], r["size"]))
        if b and r["gelem_s"]:
            r["ratio_to_ours_best"] = g(float(r["gelem_s"]) / b[0])
            r["ours_best_isa"] = b[1]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(allrows)
    print(f"\nwrote {path}")
    if not ARGS.no_table:
        print_combined(allrows)


def print_combined(rows):
    sizes = sorted({int(r["size"]) for r in rows if int(r["size"]) > 1})
    print("\n== every peer beside libsoftplus: Gelem/s, median; (x) = / ours' best at that size; worst ULP over"
          "\n   all inputs, over |x| <= 20, and backward with dy = 1 ==")
    for dt in ("f32", "f64"):
        for op in ("fwd", "bwd"):
            sel = [r for r in rows if r["dtype"] == dt and r["op"] == op]
            if not sel:
                continue
            print(f"\n{dt} {'forward' if op == 'fwd' else 'backward'}")
            print(f"{'peer':<11} {'isa':<7}" + "".join(f" {s:>17}" for s in sizes) + f" {'ULP':>9} {'|x|<=20':>9}"
                  + (f" {'dy=1':>9}" if op == "bwd" else "") + "  worst x")
            seen = []
            for r in sel:
                if (r["peer"], r["isa"]) not in seen:
                    seen.append((r["peer"], r["isa"]))
            for peer, isa in seen:
                cells = {int(r["size"]): r for r in sel if r["peer"] == peer and r["isa"] == isa}
                line = f"{peer:<11} {isa:<7}"
                for s in sizes:
                    r = cells.get(s)
                    line += f" {float(r['gelem_s']):8.3f} ({float(r['ratio_to_ours_best']):5.2f}x)" if r and \
                        r["ratio_to_ours_best"] else f" {'-':>17}"
                r = next(iter(cells.values()))
                if r["max_ulp"]:
                    line += f" {float(r['max_ulp']):9.3g} {float(r['core_max_ulp']):9.3g}"
                    if op == "bwd":
                        line += f" {float(r['dy1_max_ulp']):9.3g}"
                    line += f"  {r['worst_x']}"
                print(line)
    print("\n== one element per call (n = 1): ns/call, median ==")
    print(f"{'peer':<11} {'isa':<7} {'f32 fwd':>8} {'f32 bwd':>8} {'f64 fwd':>8} {'f64 bwd':>8}")
    seen = []
    for r in rows:
        if (r["peer"], r["isa"]) not in seen:
            seen.append((r["peer"], r["isa"]))
    for peer, isa in seen:
        line = f"{peer:<11} {isa:<7}"
        for dt in ("f32", "f64"):
            for op in ("fwd", "bwd"):
                r = next((r for r in rows if r["peer"] == peer and r["isa"] == isa and r["dtype"] == dt
                          and r["op"] == op and r["size"] == "1"), None)
                line += f" {float(r['ns_per_call']):8.1f}" if r else f" {'-':>8}"
        print(line)


if __name__ == "__main__":
    if ARGS.capabilities:
        run_each_capability(ARGS)
    else:
        main()
