# test_torch_parity.py -- libsoftplus against PyTorch: torch.nn.functional.softplus and
# torch.ops.aten.softplus_backward on the same random strided CPU tensors; and the tensor side of the binding.
# SPDX-License-Identifier: MIT
#
# For f32 and f64, threshold 20 and +inf, beta 1, 2 and 0.5, over contiguous tensors (PyTorch's
# vectorised path) and transposed, sliced, padded and expanded ones (its scalar path), this checks:
#   decisions  PyTorch's own branch mask, (x * beta > threshold) computed by torch in the tensor's dtype,
#              equals the rule fl(beta*x) > threshold computed by numpy; where it holds, both libraries
#              return x (forward) and dy (backward) bit for bit.
#   values     elsewhere |softplus - torch| <= (B_lib + B_torch) ulp(ref), ref the high-precision value:
#              B_lib from src/kernels.h for the active kernel set (backward: R.backward_bound with
#              |dy| <= 1, i.e. 2b + 0.5); B_torch as below, itself checked against the reference.
#              The values use the kernel set the library picks (auto); the others meet the same
#              reference within their bounds in test_numpy.py, so parity for them follows, and their
#              threshold decisions are checked here one by one (test_threshold_boundary_decisions).
#   exclusion  with threshold = +inf PyTorch evaluates log1p(exp(beta*x)) as written, which overflows to
#              inf (forward) or NaN (backward: inf/inf) for beta*x above ~87.8 (f32) / ~707 (f64): its
#              vectorised log1p overflows a little before exp does. Such elements are excluded from
#              the value check only when fl(beta*x) > 80 (f32) / 700 (f64) -- anywhere else a non-finite
#              PyTorch result fails the test -- and counted. The library is checked there as everywhere.
#
# The bound assumed for PyTorch 1.13 (CPU; aten/src/ATen/native/cpu/Activation.cpp):
#   forward  log1p(exp(z))/beta with z = fl(x*beta), which is exact for beta in {1, 2, 0.5}; exp and log1p
#            are Sleef's u10 functions (vectorised path, <= 1 ULP) or glibc's (scalar path, <= 1 ULP).
#            d log1p(u) / log1p(u) <= du / u, so exp's error passes through at most once; converting
#            relative error to the result's ULP can double it (binade misalignment): 2*1 + 1 = 3 ULP.
#            Where exp(z) is subnormal its error is up to 1.5 subnormal steps (1 ULP plus the final
#            rounding into the subnormal range), log1p(u) = u, and /0.5 doubles it: 3 ULP again.
#            B_torch(forward) = 3 ULP.
#   backward dy * e / (e + 1), e = exp(z): exp's error (1 ULP -> 2 ULP of the result), e + 1, dy*e (1 ULP
#            each after binade conversion) and the final division (0.5): B_torch(backward) = 4.5 ULP for
#            |dy| <= 1. (For |dy| > 1 and a subnormal e both libraries lose relative accuracy -- PyTorch
#            and the f32 SIMD kernels alike -- so dy is drawn from (-1, 1).)
# The suite prints the figures measured (max ULP of each library against the reference, max difference
# between them, elements and decisions compared) and writes them to SOFTPLUS_PARITY_REPORT if set.
import json
import math
import os
import sys
import unittest

try:
    import numpy as np
except ImportError:
    print("SKIP: numpy is not installed for %s (Debian: apt-get install python3-numpy)" % sys.executable)
    sys.exit(77)
try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("SKIP: torch is not installed for %s (Debian: apt-get install python3-torch)" % sys.executable)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sp_reference as R  # noqa: E402

sp = R.import_softplus()
SEED = int(os.environ.get("SOFTPLUS_TEST_SEED", "20240605"))

B_TORCH = {"forward": 3.0, "backward": 4.5}
TORCH_OVERFLOW_Z = {np.float32: 80.0, np.float64: 700.0}
DTYPES = ((np.float32, torch.float32), (np.float64, torch.float64))
THRESHOLDS = (20.0, math.inf)
BETAS = (1.0, 2.0, 0.5)


def strided_tensors(rng, flat, dtype_np):
    """Views over tensors filled from `flat`: (name, tensor)."""
    n = len(flat)
    base = torch.from_numpy(flat.copy())
    out = [("contiguous", base)]
    m = n // 60 * 60
    out.append(("transposed 2-d", base[:m].reshape(60, m // 60).t()))
    out.append(("permuted 3-d", base[:m].reshape(4, 15, m // 60).permute(2, 0, 1)))
    out.append(("sliced steps", base[:m].reshape(60, m // 60)[1::2, ::3]))
    k = (n - 7) // 5
    out.append(("padded as_strided", base.as_strided((k, 3), (5, 2), 7)))
    return out


class TorchParity(unittest.TestCase):
    """Identical decisions and values within both libraries' bounds, with the figures recorded."""

    @classmethod
    def setUpClass(cls):
        cls.bounds = R.kernel_bounds()
        cls.isa = sp.active_isa()
        cls.rows = []       # one per (dtype, op, threshold, beta, layout)
        rng = np.random.default_rng(SEED)
        cls.cases = []
        for dt, tdt in DTYPES:
            for thr in THRESHOLDS:
                for beta in BETAS:
                    flat = R.sample_inputs(rng, 24000, dt, beta, thr)
                    dflat = R.sample_dy(rng, len(flat), dt, max_log2=0.0)
                    for (name, xt), (_, dyt) in zip(strided_tensors(rng, flat, dt),
                                                    strided_tensors(rng, dflat, dt)):
                        cls.cases.append(dict(dtype=dt, tdtype=tdt, thr=thr, beta=beta, layout=name,
                                              x=xt, dy=dyt))
                    # dy broadcast against x: an expanded (zero-stride) row
                    xt = torch.from_numpy(flat[: len(flat) // 40 * 40].copy()).reshape(40, -1)
                    dyt = torch.from_numpy(dflat[: xt.shape[1]].copy()).expand(40, -1)
                    cls.cases.append(dict(dtype=dt, tdtype=tdt, thr=thr, beta=beta, layout="expanded dy",
                                          x=xt, dy=dyt))

    @classmethod
    def tearDownClass(cls):
        if not cls.rows:
            return
        summary = {}
        for r in cls.rows:
            key = (r["dtype"], r["op"])
            s = summary.setdefault(key, dict(elements=0, values=0, decisions=0, linear=0, boundary=0,
                                              boundary_observable=0, excluded=0, max_diff=0.0,
                                              max_lib=0.0, max_torch=0.0))
            for f in ("elements", "values", "decisions", "linear", "boundary", "boundary_observable",
                      "excluded"):
                s[f] += r[f]
            for f in ("max_diff", "max_lib", "max_torch"):
                s[f] = max(s[f], r[f])
        lines = ["PyTorch %s parity, libsoftplus kernel set %s:" % (torch.__version__, cls.isa)]
        for (dt, op), s in sorted(summary.items()):
            lines.append("  %s %-8s elements %7d  decisions compared %7d (linear %d; within 64 ulps of the "
                         "threshold %d, %d of them observable)  values compared %7d  excluded (PyTorch "
                         "overflow) %d  max |lib - torch| %.3f ULP  max lib err %.3f ULP  max torch err "
                         "%.3f ULP" % (dt, op, s["elements"], s["decisions"], s["linear"], s["boundary"],
                                       s["boundary_observable"], s["values"], s["excluded"], s["max_diff"],
                                       s["max_lib"], s["max_torch"]))
        print("\n".join(lines), file=sys.stderr)
        path = os.environ.get("SOFTPLUS_PARITY_REPORT")
        if path:
            with open(path, "w") as f:
                json.dump({"torch": torch.__version__, "isa": cls.isa,
                           "summary": {"%s %s" % k: v for k, v in summary.items()}, "rows": cls.rows}, f,
                          indent=1)

    def compare(self, c, op, record=True):
        dt, beta, thr = c["dtype"], c["beta"], c["thr"]
        name = R.FORMATS[dt]["name"]
        tag = "%s %s %s threshold %g beta %g" % (name, op, c["layout"], thr, beta)
        xt, dyt = c["x"], c["dy"]
        if op == "forward":
            got_t = sp.forward(xt, beta, thr)
            torch_t = F.softplus(xt, beta, thr)
            passthrough = xt
        else:
            got_t = sp.backward(dyt, xt, beta, thr)
            torch_t = torch.ops.aten.softplus_backward(dyt, xt, beta, thr)
            passthrough = dyt.expand(xt.shape)
        self.assertIsInstance(got_t, torch.Tensor, tag)
        self.assertEqual(got_t.dtype, c["tdtype"], tag)
        self.assertEqual(tuple(got_t.shape), tuple(torch_t.shape), tag)
        x = xt.numpy()
        got, tor, pas = got_t.numpy(), torch_t.numpy(), passthrough.numpy()

        # decisions: torch's mask in the tensor's precision == the rule; bit-exact passthrough there
        tmask = (xt * beta > thr).numpy()
        mask = R.linear_mask(x, beta, thr)
        if not np.array_equal(tmask, mask):
            i = int(np.flatnonzero((tmask != mask).ravel())[0])
            self.fail("%s: torch's decision differs from fl(beta*x) > threshold at x = %s" % (
                tag, R.hexf(x.ravel()[i])))
        for who, arr in (("libsoftplus", got), ("PyTorch", tor)):
            bad = mask & ~R.same_bits(arr, pas)
            if bad.any():
                i = int(np.flatnonzero(bad.ravel())[0])
                self.fail("%s: %s does not pass %s through in the linear branch at x = %s: got %s" % (
                    tag, who, "x" if op == "forward" else "dy", R.hexf(x.ravel()[i]), R.hexf(arr.ravel()[i])))

        # values
        if op == "forward":
            ref = R.ref_forward(x, beta, thr)
            b_lib = np.full(x.shape, R.contract_bound(self.bounds, dt, self.isa, beta))
            other = R.ref_softplus(x, beta).astype(dt)   # the non-linear branch's value
        else:
            dy = pas
            ref = R.ref_backward(dy, x, beta, thr)
            sig = R.ref_sigmoid(x, beta)
            b_lib = R.backward_bound(dy, sig, ref, R.contract_bound(self.bounds, dt, self.isa, beta), dt)
            with np.errstate(all="ignore"):
                other = (dy.astype(R.L) * sig).astype(dt)
        with np.errstate(all="ignore"):
            z = dt(beta) * x
        torch_bad = ~mask & ~np.isnan(ref) & ~np.isfinite(tor) & np.isfinite(ref)
        excluded = torch_bad & (z > TORCH_OVERFLOW_Z[dt])
        stray = torch_bad & ~excluded
        if stray.any():
            i = int(np.flatnonzero(stray.ravel())[0])
            self.fail("%s: PyTorch gives %r at x = %s, outside its overflow region" % (
                tag, tor.ravel()[i], R.hexf(x.ravel()[i])))
        cmp = ~mask & ~excluded
        e_lib = np.where(cmp, R.ulp_error(got, ref), 0.0)
        e_tor = np.where(cmp, R.ulp_error(tor, ref), 0.0)
        with np.errstate(all="ignore"):
            diff = np.abs(got.astype(R.L) - tor.astype(R.L)) / R.ulp_of(ref, dt)
            diff = diff.astype(np.float64)
            diff = np.where(np.isnan(diff), np.inf, diff)          # NaN against a number, inf - inf
            diff = np.where(R.same_bits(got, tor), 0.0, diff)      # equal, both NaN, the same infinity
        diff = np.where(cmp, diff, 0.0)
        limit = b_lib + B_TORCH[op]
        over = cmp & ~(diff <= limit)
        if over.any():
            i = int(np.flatnonzero(over.ravel())[0])
            fl = lambda a: a.ravel()[i]  # noqa: E731
            self.fail("%s: |lib - torch| = %.4g ULP > %.4g at x = %s%s: lib %s, torch %s, ref %s" % (
                tag, fl(diff), fl(limit), R.hexf(fl(x)),
                "" if op == "forward" else ", dy = %s" % R.hexf(fl(pas)),
                R.hexf(fl(got)), R.hexf(fl(tor)), R.hexf(float(fl(ref)))))

        t = thr if math.isfinite(thr) else 20.0
        with np.errstate(all="ignore"):
            boundary = np.abs(x.astype(np.float64) - t / beta) <= 64 * np.spacing(np.abs(dt(t / beta)))
        row = dict(
            dtype=R.FORMATS[dt]["name"], op=op, threshold=thr if math.isfinite(thr) else "inf", beta=beta,
            layout=c["layout"], elements=int(x.size), decisions=int(x.size), linear=int(mask.sum()),
            boundary=int(boundary.sum()),
            boundary_observable=int((boundary & ~R.same_bits(other, pas)).sum()),
            values=int(cmp.sum()), excluded=int(excluded.sum()),
            max_diff=float(diff.max(initial=0.0)), max_lib=float(e_lib.max(initial=0.0)),
            max_torch=float(e_tor.max(initial=0.0)),
            lib_over_bound=int((cmp & ~(e_lib <= b_lib)).sum()),
            torch_over_bound=int((cmp & ~(e_tor <= B_TORCH[op])).sum()))
        if record:
            self.rows.append(row)
        return row

    def run_all(self, op):
        for c in self.cases:
            with self.subTest(dtype=R.FORMATS[c["dtype"]]["name"], threshold=c["thr"], beta=c["beta"],
                              layout=c["layout"]):
                if op == "forward" and c["layout"] == "expanded dy":
                    continue
                row = self.compare(c, op)
                self.assertEqual(row["lib_over_bound"], 0,
                                 "libsoftplus over its own bound (see test_numpy for the details)")

    def test_forward_parity(self):
        self.run_all("forward")

    def test_backward_parity(self):
        self.run_all("backward")

    def test_threshold_boundary_decisions(self):
        """Inputs where fl(beta*x) is exactly the threshold, and the floats either side: the strict '>'
        and the rounding of the product agree in both libraries. With threshold 20 the two branches
        round to the same f32 value (e^-20 < half an ulp of 20), so f32 decisions there cannot be seen
        in the output; thresholds 5 and 1.5 (and f64 at 20) make every decision observable, and the
        test checks that they are. Every kernel set this CPU runs is checked."""
        try:
            for isa in sp.supported_isas():
                sp.set_isa(isa)
                self.assertEqual(sp.active_isa(), isa)
                with self.subTest(isa=isa):
                    self.boundary_decisions()
        finally:
            sp.set_isa("auto")

    def boundary_decisions(self):
        for dt, tdt in DTYPES:
            for thr in (20.0, 5.0, 1.5):
                for beta in BETAS + (0.1, 3.0):
                    x = R.near(thr / beta, dt, ulps=8)
                    xt = torch.from_numpy(x)
                    ones = torch.ones_like(xt)
                    mask = R.linear_mask(x, beta, thr)
                    self.assertTrue(mask.any() and (~mask).any(), "the sample must straddle the threshold")
                    self.assertTrue(np.array_equal((xt * beta > thr).numpy(), mask))
                    observable = dt == np.float64 or thr < 10
                    for got, tor, pas in (
                            (sp.forward(xt, beta, thr).numpy(), F.softplus(xt, beta, thr).numpy(), x),
                            (sp.backward(ones, xt, beta, thr).numpy(),
                             torch.ops.aten.softplus_backward(ones, xt, beta, thr).numpy(), np.ones_like(x))):
                        tag = "%s threshold %g beta %g" % (R.FORMATS[dt]["name"], thr, beta)
                        self.assertTrue(R.same_bits(got[mask], pas[mask]).all(), tag)
                        self.assertTrue(R.same_bits(tor[mask], pas[mask]).all(), tag)
                        if observable:
                            # the other branch differs here, so a wrong decision would show
                            self.assertFalse(R.same_bits(got[~mask], pas[~mask]).any(), tag)
                            self.assertFalse(R.same_bits(tor[~mask], pas[~mask]).any(), tag)

    def test_torch_within_assumed_bound(self):
        """The assumption the value check rests on: PyTorch within B_TORCH of the reference wherever it
        does not overflow. A failure here means PyTorch (not libsoftplus) differs from the analysis."""
        for op in ("forward", "backward"):
            for c in self.cases:
                if op == "forward" and c["layout"] == "expanded dy":
                    continue
                with self.subTest(op=op, dtype=R.FORMATS[c["dtype"]]["name"], threshold=c["thr"],
                                  beta=c["beta"], layout=c["layout"]):
                    row = self.compare(c, op, record=False)
                    self.assertEqual(row["torch_over_bound"], 0,
                                     "PyTorch over the assumed %g ULP (max %.3f)" % (B_TORCH[op], row["max_torch"]))


class TensorBinding(unittest.TestCase):
    """The tensor side of the package: results are tensors, non-CPU tensors and other dtypes are refused
    with a clear error, and nothing is written on refusal."""

    def test_returns_tensors_of_the_input_dtype(self):
        for tdt in (torch.float32, torch.float64):
            x = torch.linspace(-5, 5, 11, dtype=tdt)
            y = sp.forward(x)
            self.assertIsInstance(y, torch.Tensor)
            self.assertEqual(y.dtype, tdt)
            self.assertEqual(y.device.type, "cpu")
            out = torch.empty(11, dtype=tdt)
            self.assertIs(sp.forward(x, out=out), out)
            self.assertIs(sp.backward(torch.ones((), dtype=tdt), x, out=out), out)
            self.assertIs(sp.forward(x, out=x), x)  # in place
            z = sp.forward(torch.tensor(0.5, dtype=tdt))
            self.assertEqual(z.shape, ())
            self.assertEqual(sp.forward(torch.empty(0, 3, dtype=tdt)).shape, (0, 3))

    def test_non_cpu_tensors_are_refused(self):
        meta = torch.empty(4, device="meta")
        with self.assertRaisesRegex(ValueError, "only CPU tensors"):
            sp.forward(meta)
        with self.assertRaisesRegex(ValueError, "only CPU tensors"):
            sp.forward(torch.ones(4), out=torch.empty(4, device="meta"))
        if torch.cuda.is_available():
            with self.assertRaisesRegex(ValueError, "only CPU tensors"):
                sp.forward(torch.ones(4, device="cuda"))

    def test_other_dtypes_and_layouts_are_refused(self):
        # float16 and bfloat16 are library dtypes since 1.1 (tests/python/test_half.py)
        for tdt in (torch.int64, torch.complex64, torch.bool, torch.int16):
            with self.assertRaisesRegex(TypeError, "dtype"):
                sp.forward(torch.zeros(3, dtype=tdt))
        with self.assertRaisesRegex(TypeError, "same dtype"):
            sp.backward(torch.ones(3), torch.ones(3, dtype=torch.float64))
        with self.assertRaisesRegex(TypeError, "out has dtype"):
            sp.forward(torch.ones(3), out=torch.empty(3, dtype=torch.float64))
        with self.assertRaisesRegex(ValueError, "layout"):
            sp.forward(torch.eye(3).to_sparse())
        with self.assertRaisesRegex(TypeError, "two numpy arrays or two torch tensors"):
            sp.backward(np.ones(3, np.float32), torch.ones(3))
        with self.assertRaisesRegex(TypeError, "torch.Tensor out"):
            sp.forward(torch.ones(3), out=np.empty(3, np.float32))
        with self.assertRaisesRegex(TypeError, "numpy.ndarray out"):
            sp.forward(np.ones(3, np.float32), out=torch.empty(3))

    def test_autograd_is_never_silently_dropped(self):
        x = torch.ones(3, requires_grad=True)
        # with grad mode on, a result cut from the graph would train wrongly: refused, with the way out
        with self.assertRaisesRegex(ValueError, "requires grad.*torch.no_grad"):
            sp.forward(x)
        with self.assertRaisesRegex(ValueError, "requires grad"):
            sp.backward(torch.ones(3), x)
        with torch.no_grad():
            y = sp.forward(x)
        self.assertFalse(y.requires_grad)
        self.assertFalse(sp.forward(x.detach()).requires_grad)
        with self.assertRaisesRegex(ValueError, "requires grad"):
            sp.forward(torch.ones(3), out=x)

    def test_overlap_status_and_nothing_written(self):
        buf = torch.arange(16, dtype=torch.float32)
        before = buf.clone()
        with self.assertRaises(sp.SoftplusError) as cm:
            sp.forward(buf[:-1], out=buf[1:])
        self.assertEqual(cm.exception.code, 5)
        self.assertTrue(torch.equal(buf, before))

    def test_negated_views(self):
        x = torch.linspace(-3, 3, 7)
        nx = torch._neg_view(x)
        self.assertTrue(nx.is_neg())
        self.assertTrue(torch.equal(sp.forward(nx), sp.forward(-x)))
        with self.assertRaisesRegex(ValueError, "negated"):
            sp.forward(x, out=torch._neg_view(torch.empty(7)))

    def test_dlpack_from_a_tensor_producer(self):
        class Producer:
            def __init__(self, t):
                self.t = t

            def __dlpack__(self, stream=None):
                return self.t.__dlpack__()

            def __dlpack_device__(self):
                return self.t.__dlpack_device__()

        t = torch.linspace(-4, 4, 12, dtype=torch.float64).reshape(3, 4).t()
        got = sp.forward(Producer(t), 0.5)
        self.assertIsInstance(got, np.ndarray)
        self.assertTrue(R.same_bits(got, sp.forward(t, 0.5).numpy()).all())


if __name__ == "__main__":
    R.main()
