# test_numpy.py -- the Python binding on numpy arrays: the ULP contract through every ISA, strided views,
# broadcasting, in-place calls, and the error paths (types, layouts, library statuses).
# SPDX-License-Identifier: MIT
#
# Run by ctest (tests/python/CMakeLists.txt) with the build tree's package on SOFTPLUS_PYTHONPATH; by hand:
#   SOFTPLUS_PYTHONPATH=<build>/python /usr/bin/python3 tests/python/test_numpy.py -v
# Exit code 77 (ctest: skipped) when numpy is not installed for this interpreter.
import ctypes
import math
import os
import re
import subprocess
import sys
import unittest

try:
    import numpy as np
except ImportError:
    print("SKIP: numpy is not installed for %s (Debian: apt-get install python3-numpy)" % sys.executable)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sp_reference as R  # noqa: E402

sp = R.import_softplus()
DTYPES = (np.float32, np.float64)
SEED = int(os.environ.get("SOFTPLUS_TEST_SEED", "20240605"))


def isa_list():
    return sp.supported_isas()


class IsaMixin:
    """Runs a body once per kernel set this CPU supports, forcing it and checking it is really active
    ("so we know we're testing what we think we're testing"); auto is restored afterwards."""

    def each_isa(self, body):
        try:
            for isa in isa_list():
                with self.subTest(isa=isa):
                    sp.set_isa(isa)
                    self.assertEqual(sp.active_isa(), isa, "set_isa(%r) did not make it active" % isa)
                    body(isa)
        finally:
            sp.set_isa("auto")


def first_failure(mask, *arrays):
    """The flat index of the first True in mask and the values of each array there."""
    i = int(np.flatnonzero(np.ravel(mask))[0])
    return i, [np.ravel(a)[i] for a in arrays]


# ---- the contract on flat samples, every ISA ---------------------------------------------------------

class Contract(IsaMixin, unittest.TestCase):
    """Forward within SP_MAX_ULP_<DTYPE>_<ISA> of the exact function; backward with dy = 1 within the same
    bound of sigmoid(beta*x) (kernels.h defines the bounds with dy = 1); backward with any dy within
    the bound that contract gives a kernel rounding dy*sigmoid once (R.backward_bound); the linear branch returns x (dy) bit for bit exactly where
    fl(beta*x) > threshold."""

    N = 40000
    BETAS = (1.0, 2.0, 0.5, -1.0, 7.3)
    THRESHOLDS = (20.0, math.inf, -3.5)
    ACCURACY = "strict"
    DTYPES = DTYPES

    @classmethod
    def setUpClass(cls):
        cls.bounds = R.kernel_bounds()
        cls.cases = []
        rng = np.random.default_rng(SEED)
        for dt in cls.DTYPES:
            for beta in cls.BETAS:
                for thr in cls.THRESHOLDS:
                    x = R.sample_inputs(rng, cls.N, dt, beta, thr)
                    dy = R.sample_dy(rng, len(x), dt)
                    lin = R.linear_mask(x, beta, thr)
                    cls.cases.append(dict(
                        dtype=dt, beta=beta, thr=thr, x=x, dy=dy, lin=lin,
                        fwd=R.ref_forward(x, beta, thr),
                        sig=R.ref_sigmoid(x, beta),
                        bwd=R.ref_backward(dy, x, beta, thr)))

    def check_values(self, what, c, got, want, bound, exact_from, dy=None):
        """got against want: bit-exact (== exact_from) in the linear branch, else err <= bound (a scalar
        or elementwise bound in ULP)."""
        lin = c["lin"]
        same = R.same_bits(got, exact_from)
        if np.any(lin & ~same):
            i, (x, g, w) = first_failure(lin & ~same, c["x"], got, exact_from)
            self.fail("%s: linear branch not exact: %s" % (what, R.describe(
                i, x, g, w, float("inf"), None if dy is None else np.ravel(dy)[i])))
        err = R.ulp_error(got, want)
        over = ~lin & ~(err <= bound)
        if np.any(over):
            i, (x, g, w, e) = first_failure(over, c["x"], got, want, err)
            b = np.ravel(np.broadcast_to(bound, err.shape))[i]
            self.fail("%s: %d results over the bound (%.4g ULP here); first %s" % (
                what, int(over.sum()), b, R.describe(i, x, g, w, e, None if dy is None else np.ravel(dy)[i])))
        return float(np.max(np.where(lin, 0.0, err), initial=0.0))

    def test_forward_within_contract(self):
        def body(isa):
            for c in self.cases:
                b = R.contract_bound(self.bounds, c["dtype"], isa, c["beta"], self.ACCURACY)
                got = sp.forward(c["x"], c["beta"], c["thr"])
                self.assertEqual(got.dtype, c["x"].dtype)
                self.check_values("%s %s forward beta %g threshold %g" % (
                    isa, R.FORMATS[c["dtype"]]["name"], c["beta"], c["thr"]), c, got, c["fwd"], b, c["x"])
        self.each_isa(body)

    def test_backward_dy_one_within_contract(self):
        def body(isa):
            for c in self.cases:
                b = R.contract_bound(self.bounds, c["dtype"], isa, c["beta"], self.ACCURACY)
                ones = np.ones_like(c["x"])
                got = sp.backward(ones, c["x"], c["beta"], c["thr"])
                want = np.where(c["lin"], R.L(1), c["sig"])
                self.check_values("%s %s backward dy=1 beta %g threshold %g" % (
                    isa, R.FORMATS[c["dtype"]]["name"], c["beta"], c["thr"]), c, got, want, b, ones, ones)
        self.each_isa(body)

    def test_backward_any_dy_within_derived_bound(self):
        """Backward for dy of magnitudes 2^-20 .. 2^20 (not only 1) within R.backward_bound."""
        worst = {}
        def body(isa):
            for c in self.cases:
                dt = c["dtype"]
                b = R.contract_bound(self.bounds, dt, isa, c["beta"], self.ACCURACY)
                bound = R.backward_bound(c["dy"], c["sig"], c["bwd"], b, dt)
                got = sp.backward(c["dy"], c["x"], c["beta"], c["thr"])
                tag = "%s %s backward beta %g threshold %g" % (isa, R.FORMATS[dt]["name"], c["beta"], c["thr"])
                err = self.check_values(tag, c, got, c["bwd"], bound, c["dy"], c["dy"])
                # for the record: the plain ULP error over dy in (-1, 1)
                unit = ~c["lin"] & (np.abs(c["dy"]) <= 1)
                e1 = float(np.max(np.where(unit, R.ulp_error(got, c["bwd"]), 0.0), initial=0.0))
                key = (isa, R.FORMATS[dt]["name"])
                old = worst.get(key, (0.0, 0.0))
                worst[key] = (max(old[0], e1), max(old[1], err))
        self.each_isa(body)
        for (isa, dt), (e1, e) in sorted(worst.items()):
            print("backward %s %-6s any dy: max %.3f ULP for |dy| <= 1, %.4g ULP over all dy"
                  % (dt, isa, e1, e), file=sys.stderr)

    def test_special_values(self):
        """The header's special values: NaN -> NaN; softplus(+inf) = +inf and softplus(-inf) = +0 for
        beta > 0 (-0 and -inf for beta < 0: zeros carry beta's sign); softplus(+-0) = ln 2 / beta; the
        gradient at +-inf is dy*1 or dy*0."""
        def body(isa):
            for dt in DTYPES:
                x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=dt)
                for beta in (1.0, 2.0, -1.0):
                    y = sp.forward(x, beta, math.inf)
                    want = np.array([np.nan, np.inf, 0.0] if beta > 0 else [np.nan, -0.0, -np.inf], dt)
                    self.assertTrue(R.same_bits(y[:3], want).all(),
                                    "%s %s beta %g: softplus(nan, inf, -inf) = %r" % (isa, dt.__name__, beta, y[:3]))
                    ln2 = R.L(math.log(2)) / R.L(float(dt(beta)))
                    err = R.ulp_error(y[3:], np.array([ln2, ln2]))
                    self.assertTrue((err <= 1.0).all(), "%s: softplus(+-0; beta %g) = %s, %s" % (
                        isa, beta, R.hexf(y[3]), R.hexf(y[4])))
                dy = np.array([-2.0, 3.0], dtype=dt)
                g = sp.backward(dy, np.array([np.inf, -np.inf], dtype=dt), 1.0, math.inf)
                self.assertTrue(R.same_bits(g, np.array([-2.0, 0.0], dtype=dt)).all(), repr(g))
                g = sp.backward(np.array([np.nan], dtype=dt), np.array([0.5], dtype=dt))
                self.assertTrue(np.isnan(g[0]))
        self.each_isa(body)


# ---- strided views -----------------------------------------------------------------------------------

def random_view(rng, base_values, shape):
    """A view of the given shape into a fresh, larger buffer: each dimension sliced with a random step
    (negative ones included) and offset, then the dimensions permuted. Returns (view, buffer, index view)
    where the index view holds each element's flat position in the buffer."""
    r = len(shape)
    perm = rng.permutation(r)
    inv = np.argsort(perm)
    pre = [shape[i] for i in inv]          # view.transpose(perm) must have `shape`
    steps = [int(rng.choice([1, 1, 2, 3, -1, -2])) for _ in range(r)]
    pads = [int(rng.integers(0, 3)) for _ in range(r)]
    dims = [max(1, abs(s) * n + p) for s, n, p in zip(steps, pre, pads)]
    buf = np.resize(base_values, dims).copy()
    idx = np.arange(buf.size).reshape(dims)
    sl = []
    for s, n, p, d in zip(steps, pre, pads, dims):
        off = int(rng.integers(0, p + 1))
        if n == 0:
            sl.append(slice(0, 0))
        elif s > 0:
            sl.append(slice(off, off + s * n, s))
        else:
            start = d - 1 - off
            stop = start + s * n
            sl.append(slice(start, stop if stop >= 0 else None, s))
    sl = tuple(sl) + (Ellipsis,)  # keeps a 0-d result an array view, not a scalar copy
    view = buf[sl].transpose(perm)
    assert view.shape == tuple(shape), (view.shape, shape)
    return view, buf, idx[sl].transpose(perm)


def random_shape(rng, rank):
    sizes = rng.integers(1, 6, rank)
    if rank and rng.random() < 0.08:
        sizes[rng.integers(0, rank)] = 0  # now and then an empty tensor
    return tuple(int(s) for s in sizes)


class StridedViews(IsaMixin, unittest.TestCase):
    """Any strides give bit-for-bit the results of the same call on contiguous copies (the kernels are
    elementwise), write exactly the output view's elements and nothing else in its buffer, and stay
    within the contract against the reference."""

    CASES = 60

    @classmethod
    def setUpClass(cls):
        cls.bounds = R.kernel_bounds()

    def run_case(self, rng, isa, dt, rank, case):
        shape = random_shape(rng, rank)
        beta = float(rng.choice([1.0, 2.0, 0.5, -1.0, 3.7]))
        thr = float(rng.choice([20.0, math.inf, 1.5]))
        pool = R.sample_inputs(rng, 512, dt, beta, thr)
        x, _, _ = random_view(rng, pool, shape)
        tag = "%s %s rank %d shape %s strides %s beta %g threshold %g case %d" % (
            isa, R.FORMATS[dt]["name"], rank, shape, x.strides, beta, thr, case)
        xc = np.array(x, order="C")
        want = sp.forward(xc, beta, thr)
        b = R.contract_bound(self.bounds, dt, isa, beta)
        # allocated out
        got = sp.forward(x, beta, thr)
        self.assertEqual(got.shape, shape)
        self.assertTrue(got.flags.c_contiguous, tag)
        self.assertTrue(R.same_bits(got, want).all(), "forward %s: strided != contiguous" % tag)
        err = R.ulp_error(want, R.ref_forward(xc, beta, thr))
        lin = R.linear_mask(xc, beta, thr)
        self.assertTrue((lin | (err <= b)).all(), "forward %s: over %g ULP" % (tag, b))
        # strided out inside a sentinel buffer: exactly the view's elements change
        sentinel = np.full(1, 1234.5, dtype=dt)
        out, obuf, oidx = random_view(rng, sentinel, shape)
        before = obuf.copy()
        res = sp.forward(x, beta, thr, out=out)
        self.assertIs(res, out)
        self.assertTrue(R.same_bits(out, want).all(), "forward %s out strides %s" % (tag, out.strides))
        touched = np.zeros(obuf.size, bool)
        touched[oidx.ravel()] = True
        self.assertTrue(R.same_bits(obuf.ravel()[~touched], before.ravel()[~touched]).all(),
                        "forward %s: wrote outside the output view" % tag)
        # in place: out is x itself
        xi, _, _ = random_view(rng, pool, shape)
        xic = np.array(xi, order="C")
        self.assertIs(sp.forward(xi, beta, thr, out=xi), xi)
        self.assertTrue(R.same_bits(xi, sp.forward(xic, beta, thr)).all(), "in-place forward %s" % tag)

        # backward: dy broadcast against x (leading dims dropped, others set to 1: zero strides)
        dshape = list(shape)
        drop = int(rng.integers(0, rank + 1)) if rank else 0
        dshape = dshape[drop:]
        for i in range(len(dshape)):
            if rng.random() < 0.4:
                dshape[i] = 1
        dpool = R.sample_dy(rng, 256, dt)
        dy, _, _ = random_view(rng, dpool, tuple(dshape))
        dyc = np.array(np.broadcast_to(dy, shape), order="C")
        wantb = sp.backward(dyc, xc, beta, thr)
        gotb = sp.backward(dy, x, beta, thr)
        self.assertEqual(gotb.shape, shape)
        self.assertTrue(R.same_bits(gotb, wantb).all(), "backward %s dy shape %s strides %s" % (
            tag, tuple(dshape), dy.strides))
        # the broadcast made explicit (np.broadcast_to: zero strides, read-only) gives the same
        gotz = sp.backward(np.broadcast_to(dy, shape), x, beta, thr)
        self.assertTrue(R.same_bits(gotz, wantb).all(), "backward zero strides %s" % tag)
        # in place into dy's own (full-shape) view
        dyf, _, _ = random_view(rng, dpool, shape)
        dyfc = np.array(dyf, order="C")
        self.assertIs(sp.backward(dyf, x, beta, thr, out=dyf), dyf)
        self.assertTrue(R.same_bits(dyf, sp.backward(dyfc, xc, beta, thr)).all(), "in-place backward %s" % tag)
        refb = R.ref_backward(dyc, xc, beta, thr)
        bound = R.backward_bound(dyc, R.ref_sigmoid(xc, beta), refb, b, dt)
        errb = R.ulp_error(wantb, refb)
        self.assertTrue((lin | (errb <= bound)).all() and R.same_bits(np.where(lin, wantb, dyc), dyc).all(),
                        "backward %s: over the bound" % tag)

    def test_random_strided_views(self):
        def body(isa):
            rng = np.random.default_rng([SEED, len(isa)])
            for dt in DTYPES:
                for case in range(self.CASES):
                    rank = case % 6
                    self.run_case(rng, isa, dt, rank, case)
        self.each_isa(body)

    def test_scalar_and_empty(self):
        for dt in DTYPES:
            y = sp.forward(np.array(0.0, dtype=dt))
            self.assertEqual(y.shape, ())
            self.assertAlmostEqual(float(y), math.log(2), places=6)
            y = sp.forward(dt(1.0))  # a numpy scalar is taken as a 0-d array
            self.assertEqual(y.shape, ())
            e = np.empty((3, 0, 2), dtype=dt)
            self.assertEqual(sp.forward(e).shape, (3, 0, 2))
            self.assertEqual(sp.backward(e, e).shape, (3, 0, 2))
            self.assertEqual(sp.backward(np.ones((1, 2), dt), e).shape, (3, 0, 2))


# ---- error paths ---------------------------------------------------------------------------------------

def status_string(code):
    """The library's own text for a status, read through a separate ctypes handle, so the test does not
    take the package's word for it."""
    lib = ctypes.CDLL(sp.library_path())
    fn = lib.softplus_status_string
    fn.restype = ctypes.c_char_p
    fn.argtypes = (ctypes.c_int,)
    return fn(code).decode()


class Errors(unittest.TestCase):
    """Each misuse gives the documented exception, says why, and writes nothing."""

    def assertStatus(self, code, fn, *args, **kwargs):
        with self.assertRaises(sp.SoftplusError) as cm:
            fn(*args, **kwargs)
        e = cm.exception
        self.assertEqual(e.code, code)
        self.assertEqual(e.message, status_string(code))
        self.assertIn(status_string(code), str(e))
        return e

    def test_dtype_errors_are_type_errors(self):
        # float16 is a library dtype since 1.1 (tests/python/test_half.py); uint16 only with dtype="bfloat16"
        for bad in (np.arange(4, dtype=np.int32), np.ones(4, np.uint16), np.ones(4, np.complex64),
                    np.ones(4, np.longdouble), np.ones(4, bool)):
            with self.assertRaisesRegex(TypeError, "dtype"):
                sp.forward(bad)
            with self.assertRaisesRegex(TypeError, "dtype"):
                sp.backward(bad, bad)
        with self.assertRaisesRegex(TypeError, "same dtype"):
            sp.backward(np.ones(3, np.float32), np.ones(3, np.float64))
        with self.assertRaisesRegex(TypeError, "out has dtype"):
            sp.forward(np.ones(3, np.float32), out=np.empty(3, np.float64))
        for notarray in ([1.0, 2.0], 1.5, "x", None):
            with self.assertRaisesRegex(TypeError, "expected a numpy.ndarray"):
                sp.forward(notarray)
        with self.assertRaisesRegex(TypeError, "numpy.ndarray out"):
            sp.forward(np.ones(3), out=[0.0, 0.0, 0.0])

    def test_byte_swapped_is_value_error(self):
        for dt in ("f4", "f8"):
            swapped = np.ones(5, dtype=np.dtype(dt).newbyteorder())
            with self.assertRaisesRegex(ValueError, "byte-swapped"):
                sp.forward(swapped)
            with self.assertRaisesRegex(ValueError, "byte-swapped"):
                sp.backward(np.ones(5, dt), swapped)
            with self.assertRaisesRegex(ValueError, "byte-swapped"):
                sp.forward(np.ones(5, dt), out=np.empty(5, dtype=np.dtype(dt).newbyteorder()))

    def test_misaligned_and_fractional_strides_are_value_errors(self):
        for dt in (np.float32, np.float64):
            size = np.dtype(dt).itemsize
            raw = np.zeros(8 * size + 1, np.uint8)
            mis = raw[1:1 + 8 * size].view(dt)
            self.assertFalse(mis.flags.aligned)
            with self.assertRaisesRegex(ValueError, "misaligned"):
                sp.forward(mis)
            out = np.ones(8, dt)
            before = out.copy()
            with self.assertRaisesRegex(ValueError, "misaligned"):
                sp.forward(np.ones(8, dt), out=mis)
            with self.assertRaisesRegex(ValueError, "misaligned"):
                sp.backward(mis, out)
            self.assertTrue((out == before).all())
            frac = np.lib.stride_tricks.as_strided(raw[:8 * size].view(dt), shape=(4,),
                                                   strides=(size + size // 2,))
            with self.assertRaisesRegex(ValueError, "whole number"):
                sp.forward(frac)

    def test_status_errors_carry_the_library_text(self):
        x = np.linspace(-3, 3, 7)
        for beta in (0.0, math.nan, math.inf, -math.inf):
            e = self.assertStatus(3, sp.forward, x, beta)
            self.assertEqual(e.status, "SOFTPLUS_ERR_PARAM")
        self.assertStatus(3, sp.backward, x, x, 1.0, math.nan)
        # f32: a beta past float's range would round to inf; the binding says why before the library
        # would answer PARAM (test_fpenv_params.py checks the other cases)
        with self.assertRaisesRegex(ValueError, "does not fit the tensor's dtype float32"):
            sp.forward(x.astype(np.float32), 1e300)

    def test_partial_overlap_is_refused_and_writes_nothing(self):
        for dt in DTYPES:
            buf = np.arange(16, dtype=dt)
            before = buf.copy()
            e = self.assertStatus(5, sp.forward, buf[:-1], out=buf[1:])
            self.assertEqual(e.status, "SOFTPLUS_ERR_OVERLAP")
            self.assertTrue((buf == before).all(), "a refused call wrote")
            self.assertStatus(5, sp.backward, buf[:8], buf[8:], out=buf[4:12])
            self.assertStatus(5, sp.forward, buf[0::2], out=buf[1::2])  # interleaved: conservative
            self.assertTrue((buf == before).all())
            # an output that overlaps itself (zero stride on a writable view)
            zs = np.lib.stride_tricks.as_strided(buf, shape=(4,), strides=(0,))
            self.assertStatus(5, sp.forward, np.ones(4, dt), out=zs)
            self.assertTrue((buf == before).all())

    def test_out_shape_and_writability(self):
        x = np.ones((2, 3))
        with self.assertRaisesRegex(ValueError, "shape"):
            sp.forward(x, out=np.empty((3, 2)))
        with self.assertRaisesRegex(ValueError, "read-only"):
            sp.forward(x, out=np.broadcast_to(np.empty(3), (2, 3)))
        with self.assertRaisesRegex(ValueError, "broadcast"):
            sp.backward(np.ones(4), x)
        # backward's out takes the broadcast shape
        self.assertEqual(sp.backward(np.ones(3), np.ones((2, 1))).shape, (2, 3))

    def test_isa_names(self):
        with self.assertRaisesRegex(ValueError, "unknown instruction set"):
            sp.set_isa("sse2")
        for name in ("scalar", "sse41", "avx2", "avx512", "neon"):
            if not sp.isa_supported(name):
                e = self.assertStatus(6, sp.set_isa, name)
                self.assertEqual(e.status, "SOFTPLUS_ERR_UNSUPPORTED")
        self.assertIn("scalar", sp.supported_isas())
        sp.set_isa("auto")
        self.assertEqual(sp.active_isa(), sp.supported_isas()[-1])


class ContractFast(Contract):
    """The same contract in the fast accuracy tier, float32 (float64 runs the strict kernels in both
    tiers, test_accuracy_tiers checks that bit for bit), with each kernel's fast bound."""

    ACCURACY = "fast"
    DTYPES = (np.float32,)

    def each_isa(self, body):
        try:
            sp.set_accuracy("fast")
            self.assertEqual(sp.accuracy_mode(), "fast")
            super().each_isa(body)
        finally:
            sp.set_accuracy("strict")


class Threads(unittest.TestCase):
    def test_set_and_read_back(self):
        self.assertEqual(sp.num_threads(), 1, "serial by default")
        try:
            for n in (2, 3, 1):
                sp.set_num_threads(n)
                self.assertEqual(sp.num_threads(), n)
            sp.set_num_threads(0)
            self.assertEqual(sp.num_threads(), len(os.sched_getaffinity(0)))
            sp.set_num_threads(2)
            for bad in (-1, 1025, 2 ** 70):
                with self.assertRaises(ValueError):
                    sp.set_num_threads(bad)
            for bad in (2.0, "2", None, True):
                with self.assertRaises(TypeError):
                    sp.set_num_threads(bad)
            self.assertEqual(sp.num_threads(), 2, "a refused count changed the setting")
        finally:
            sp.set_num_threads(1)

    def test_parallel_calls_give_the_serial_bits(self):
        rng = np.random.default_rng(SEED)
        for dtype in (np.float32, np.float64):
            x = rng.uniform(-40, 40, (700, 800)).astype(dtype)[:, ::2].T  # 2^18+ elements, transposed view
            dy = rng.uniform(-2, 2, x.shape).astype(dtype)
            serial = sp.forward(x, 1.5), sp.backward(dy, x, 1.5), sp.inverse(np.abs(x), 0.5)
            try:
                sp.set_num_threads(3)
                threaded = sp.forward(x, 1.5), sp.backward(dy, x, 1.5), sp.inverse(np.abs(x), 0.5)
            finally:
                sp.set_num_threads(1)
            bits = np.uint32 if dtype == np.float32 else np.uint64
            for a, b in zip(serial, threaded):
                self.assertTrue(np.array_equal(a.view(bits), b.view(bits)))


class AccuracyTiers(unittest.TestCase):
    def test_set_and_read_back(self):
        self.assertEqual(sp.accuracy_mode(), "strict", "the default tier is strict")
        try:
            for name in ("fast", "strict", "fast"):
                sp.set_accuracy(name)
                self.assertEqual(sp.accuracy_mode(), name)
            for bad in ("Fast", "", None, 1, "exact"):
                with self.assertRaisesRegex(ValueError, "unknown accuracy"):
                    sp.set_accuracy(bad)
                self.assertEqual(sp.accuracy_mode(), "fast", "a refused name changed the tier")
        finally:
            sp.set_accuracy("strict")

    def test_float64_is_strict_in_both_tiers(self):
        rng = np.random.default_rng(SEED)
        x = rng.uniform(-60, 60, 5000)
        try:
            strict = sp.forward(x, 1.5), sp.backward(np.ones_like(x), x, 1.5)
            sp.set_accuracy("fast")
            fast = sp.forward(x, 1.5), sp.backward(np.ones_like(x), x, 1.5)
        finally:
            sp.set_accuracy("strict")
        for a, b in zip(strict, fast):
            self.assertTrue(np.array_equal(a.view(np.uint64), b.view(np.uint64)))

    def test_environment_selects_the_tier(self):
        for value, want in (("fast", "fast"), ("strict", "strict"), ("bogus", "strict")):
            r = run_python("import softplus; print(softplus.accuracy_mode())", {"SOFTPLUS_ACCURACY": value})
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(), want, "SOFTPLUS_ACCURACY=%s" % value)


# ---- loading and binding -------------------------------------------------------------------------

def run_python(code, env_extra=None, env_drop=()):
    env = dict(os.environ)
    for k in env_drop:
        env.pop(k, None)
    env.update(env_extra or {})
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(sp.__file__))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


class Loading(unittest.TestCase):
    def test_version_matches_header(self):
        src = os.environ.get("SOFTPLUS_SOURCE_DIR",
                             os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
        with open(os.path.join(src, "include", "softplus.h")) as f:
            header = f.read()
        parts = [re.search(r"#define SOFTPLUS_VERSION_%s (\d+)" % k, header).group(1)
                 for k in ("MAJOR", "MINOR", "PATCH")]
        self.assertEqual(sp.version(), ".".join(parts))

    def test_symbols_bound_at_version_node(self):
        if not sys.platform.startswith("linux"):
            self.skipTest("dlvsym is glibc's")
        self.assertTrue(sp._LIB.versioned, "glibc has dlvsym, but the package fell back to dlsym")

    def test_softplus_library_overrides_and_must_load(self):
        lib = os.path.realpath(sp.library_path())
        r = run_python("import softplus; print(softplus.library_path())", {"SOFTPLUS_LIBRARY": lib})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), lib)
        r = run_python("import softplus", {"SOFTPLUS_LIBRARY": "/nonexistent/libsoftplus.so.1"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("SOFTPLUS_LIBRARY='/nonexistent/libsoftplus.so.1' does not load", r.stderr)

    def test_a_library_without_the_version_node_is_refused(self):
        import ctypes.util
        libm = ctypes.util.find_library("m")
        if not libm:
            self.skipTest("no libm to stand in for a foreign library")
        r = run_python("import softplus", {"SOFTPLUS_LIBRARY": libm})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("softplus_forward_f32@SOFTPLUS_1.0", r.stderr)

    def test_torch_is_not_imported_for_numpy_work(self):
        r = run_python("import sys, numpy, softplus\n"
                       "softplus.forward(numpy.ones(3)); softplus.backward(numpy.ones(3), numpy.ones(3))\n"
                       "print('torch' in sys.modules)")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "False")


class DLPack(unittest.TestCase):
    """Producers of the DLPack protocol are read through numpy.from_dlpack, without a copy."""

    class Producer:
        def __init__(self, a):
            self.a = a

        def __dlpack__(self, stream=None):
            return self.a.__dlpack__()

        def __dlpack_device__(self):
            return self.a.__dlpack_device__()

    def test_dlpack_inputs(self):
        if not hasattr(np, "from_dlpack"):
            self.skipTest("numpy %s has no from_dlpack" % np.__version__)
        for dt in DTYPES:
            a = np.linspace(-30, 30, 24, dtype=dt).reshape(4, 6)[:, ::-2].T
            got = sp.forward(self.Producer(a), 2.0)
            self.assertIsInstance(got, np.ndarray)
            self.assertTrue(R.same_bits(got, sp.forward(np.array(a, order="C"), 2.0)).all())
            dy = np.full(4, 0.5, dt)  # broadcast against a's (3, 4)
            gb = sp.backward(self.Producer(dy), self.Producer(a))
            self.assertTrue(R.same_bits(gb, sp.backward(dy, a)).all())


if __name__ == "__main__":
    R.main()
