#!/usr/bin/env python3
# bench_python.py -- what one call of the Python package costs, beside numpy and PyTorch.
# SPDX-License-Identifier: MIT
#
# Usage: PYTHONPATH=<build>/python /usr/bin/python3 bench/bench_python.py [--quick]
# (bench/run.sh runs it). For n = 1, 1000 and 10^6 contiguous float32 elements: softplus.forward and
# softplus.backward against torch.nn.functional.softplus, torch.ops.aten.softplus_backward (one thread)
# and numpy.logaddexp(0, x), each the best of 7 repetitions of a timeit loop, in microseconds per call.
# Issue 15's targets: under 3 us at n = 1 (forward, contiguous float32 numpy, quiet machine), and no
# slower than torch's own softplus at n = 10^6, forward and backward.
import os
import sys
import timeit

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import softplus  # noqa: E402

try:
    import torch  # noqa: E402
    torch.set_num_threads(1)
except ImportError:
    torch = None


def best_us(fn, number):
    return min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6


def main():
    quick = "--quick" in sys.argv[1:]
    print("Python package: %s (library %s, kernel set %s)" % (softplus.__file__, softplus.library_path(),
                                                              softplus.active_isa()))
    print("%-9s %-9s %12s %12s %12s" % ("n", "op", "softplus", "torch", "numpy"))
    for n in (1, 1000, 10**6):
        number = 20000 if n == 1 else 2000 if n == 1000 else (3 if quick else 20)
        if quick and n > 1:
            number = max(1, number // 10)
        x = np.linspace(-30, 30, n).astype(np.float32)
        dy = np.linspace(-1, 1, n).astype(np.float32)
        rows = {"forward": [best_us(lambda: softplus.forward(x), number)],
                "backward": [best_us(lambda: softplus.backward(dy, x), number)]}
        if torch is not None:
            xt, dyt = torch.from_numpy(x), torch.from_numpy(dy)
            rows["forward"].append(best_us(lambda: torch.nn.functional.softplus(xt), number))
            rows["backward"].append(best_us(lambda: torch.ops.aten.softplus_backward(dyt, xt, 1.0, 20.0), number))
        else:
            rows["forward"].append(float("nan"))
            rows["backward"].append(float("nan"))
        rows["forward"].append(best_us(lambda: np.logaddexp(np.float32(0), x), number))
        rows["backward"].append(float("nan"))
        for op, (ours, th, npy) in rows.items():
            print("%-9d %-9s %10.2f us %10.2f us %10.2f us" % (n, op, ours, th, npy))


if __name__ == "__main__":
    main()
