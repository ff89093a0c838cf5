# test_fpenv_params.py -- beta and threshold reach the library the same whatever the caller's FP environment.
# SPDX-License-Identifier: MIT
#
# The binding rounds beta and threshold to the tensor's precision by integer arithmetic on their bits
# (src/python/softplus/_scalar.py). Checked here: that rounding against numpy's own conversion in the
# default environment (every boundary: ties, subnormals, overflow, NaN); and whole calls whose output bits
# must not change when the process runs with flush-to-zero + denormals-are-zero (what a -ffast-math
# extension sets) or with a directed rounding mode, both set through libm with ctypes.
# Exit code 77 (ctest: skipped) when numpy is not installed for this interpreter.
import ctypes
import ctypes.util
import math
import os
import platform
import struct
import sys
import unittest

try:
    import numpy as np
except ImportError:
    print("numpy is not installed for %s: skipped" % sys.executable)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sp_reference as R  # noqa: E402

sp = R.import_softplus()
from softplus import _scalar  # noqa: E402

LIBM = ctypes.CDLL(ctypes.util.find_library("m"))
X86 = platform.machine() in ("x86_64", "AMD64")
# glibc's <fenv.h>: rounding direction values, FE_DFL_ENV ((fenv_t *) -1), and on x86-64 fenv_t's
# layout (the 28-byte x87 environment, then MXCSR), through which FTZ (bit 15) and DAZ (bit 6) are set.
FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO = (0x400, 0x800, 0xc00) if X86 else (0x800000, 0x400000, 0xc00000)
FE_DFL_ENV = ctypes.c_void_p(-1)
MXCSR_OFFSET, MXCSR_FTZ_DAZ = 28, 0x8040


def set_ftz_daz():
    env = (ctypes.c_ubyte * 64)()
    if LIBM.fegetenv(env) != 0:
        return -1
    mxcsr = struct.unpack_from("<I", env, MXCSR_OFFSET)[0]
    struct.pack_into("<I", env, MXCSR_OFFSET, mxcsr | MXCSR_FTZ_DAZ)
    return LIBM.fesetenv(env)


H = float.fromhex


def f64_bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


class RoundingToFloat32(unittest.TestCase):
    def check(self, d):
        want = int(np.array([d], dtype=np.float64).astype(np.float32).view(np.uint32)[0])
        got = _scalar.float_bits_from_double_bits(f64_bits(d))
        if math.isnan(d):
            self.assertEqual(got & 0x7fc00000, 0x7fc00000, "NaN stays a quiet NaN")
            self.assertEqual(got >> 31, f64_bits(d) >> 63, "with its sign")
        else:
            self.assertEqual(got, want, "%r: got 0x%08x want 0x%08x" % (d, got, want))

    def test_matches_numpy_at_every_boundary(self):
        with np.errstate(over="ignore"):
            specials = [0.0, -0.0, math.inf, -math.inf, math.nan, -math.nan, 1.0, 1 / 3, 1e-40, -1e-40,
                        1e-45, 7e-46, 1.4e-45, H("0x1p-150"), H("0x1.0000000000001p-150"), H("0x1p-149"), H("0x1.8p-149"),
                        H("0x1.fffffep-127"), H("0x1.fffffefp-127"), H("0x1p-126"), H("0x1.ffffffp+127"), H("0x1.fffffe8p+127"),
                        H("0x1.fffffefffffffp+127"), 1e39, -1e39, 1e-300, 5e-324, 1e300]
            for d in specials:
                self.check(d)
            rng = np.random.default_rng(0x5eed)
            # ties and near-ties at every float exponent, normal and subnormal
            for e in range(-160, 130):
                for frac in (H("0x1p-24"), H("0x3p-24"), H("0x1p-24") + H("0x1p-52"), H("0x1p-24") - H("0x1p-53"), H("0x1.fffffep-1")):
                    for s in (1.0, -1.0):
                        self.check(s * math.ldexp(1.0 + frac, e))
            for b in rng.integers(0, 1 << 64, size=20000, dtype=np.uint64):
                self.check(struct.unpack("<d", struct.pack("<Q", int(b)))[0])

    def test_numpy_scalars_widen_exactly(self):
        for v in (np.float16(6e-8), np.float16(-65504), np.float32(1e-40), np.float32(-3.4e38),
                  np.float64(5e-324), np.float16(np.inf), np.float32(np.nan)):
            want = f64_bits(float(v))
            got = _scalar.double_bits(v, "beta")
            if math.isnan(float(v)):
                self.assertEqual(got & 0x7ff8000000000000, 0x7ff8000000000000)
            else:
                self.assertEqual(got, want, "%r" % (v,))

    def test_refuses_what_is_not_one_real_number(self):
        x = np.ones(3, dtype=np.float32)
        for bad in ("1.0", True, np.bool_(True), np.array([1.0]), [1.0], 1j, None):
            with self.assertRaises(TypeError, msg=repr(bad)):
                sp.forward(x, beta=bad)

    def test_masked_arrays_are_refused(self):
        m = np.ma.masked_array(np.ones(3, np.float32), mask=[0, 1, 0])
        with self.assertRaisesRegex(TypeError, "masked array"):
            sp.forward(m)

    def test_beta_that_does_not_fit_float32_says_so(self):
        x = np.ones(3, dtype=np.float32)
        for bad in (1e-50, 1e39, -1e39):
            with self.assertRaisesRegex(ValueError, "does not fit the tensor's dtype float32"):
                sp.forward(x, beta=bad)
        # the same values are fine for float64 data
        sp.forward(np.ones(3), beta=1e-50)
        sp.forward(np.ones(3), beta=1e39)


@unittest.skipUnless(X86, "FTZ/DAZ through glibc's x86-64 fenv_t layout")
class CallsIndependentOfTheEnvironment(unittest.TestCase):
    CASES = [  # (dtype, beta, threshold, x)
        (np.float32, 1e-40, 20.0, [5e-41, -1.0, 3.0]),
        (np.float32, 1.0, 1e-40, [5e-41, 1e-40, 2e-40, -1.0]),
        (np.float32, 1 / 3, 20.0, [-7.0, 0.1, 59.9, 60.1, 100.0]),
        (np.float32, np.float32(1e-40), 20.0, [1e30, -1e30]),
        (np.float64, 1 / 3, 1 / 7, [-7.0, 0.1, 0.42857142857142855, 0.43]),
        (np.float64, 1e-310, 20.0, [1e300, -1e300, 5.0]),
    ]

    def results(self, arrays):
        out = []
        for (dtype, beta, threshold, xs), (x, dy) in zip(self.CASES, arrays):
            out.append(sp.forward(x, beta=beta, threshold=threshold).tobytes())
            out.append(sp.backward(dy, x, beta=beta, threshold=threshold).tobytes())
        return out

    def test_ftz_daz_and_rounding_modes_change_no_bit(self):
        # the inputs are made in the default environment: numpy's own conversions depend on it
        arrays = [(np.array(xs, dtype=dtype), np.full(len(xs), 1.5, dtype=dtype))
                  for dtype, _, _, xs in self.CASES]
        want = self.results(arrays)
        for name, setup in (("FTZ+DAZ", set_ftz_daz),
                            ("round downward", lambda: LIBM.fesetround(FE_DOWNWARD)),
                            ("round upward", lambda: LIBM.fesetround(FE_UPWARD)),
                            ("round toward zero", lambda: LIBM.fesetround(FE_TOWARDZERO))):
            self.assertEqual(setup(), 0, name)
            try:
                got = self.results(arrays)
            finally:
                LIBM.fesetenv(FE_DFL_ENV)
            for i, (g, w) in enumerate(zip(got, want)):
                self.assertEqual(g.hex(), w.hex(), "%s, case %d: the results changed" % (name, i))

    def test_the_environment_really_changes_python_conversions(self):
        # guards the test itself: under FTZ+DAZ the old conversion path lost a float32 subnormal beta
        self.assertEqual(set_ftz_daz(), 0)
        try:
            lost = float(np.float32(1e-40)) == 0.0
        finally:
            LIBM.fesetenv(FE_DFL_ENV)
        self.assertTrue(lost, "FTZ/DAZ did not take effect, so the test above proves nothing")


if __name__ == "__main__":
    unittest.main()
