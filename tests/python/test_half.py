# test_half.py -- float16 and bfloat16 through the Python package: numpy float16, uint16 with
# dtype="bfloat16", torch.float16 and torch.bfloat16; every result the correctly rounded value, where
# torch.nn.functional.softplus (f32 compute, rounded to the half type) may be off.
# SPDX-License-Identifier: MIT
#
# The reference: the function of the inputs widened to float, evaluated in float64 (beta*x exact), then
# rounded once to the half type (numpy's float64 -> float16 conversion rounds to nearest even; bfloat16
# by scaling to its step and rint). float64's 2^-53 cannot misplace a result unless it lies that close to
# a midpoint; the products dy*s near x = 0 (s -> 1/2) are the known case, so those x are left to
# tests/accuracy/test_half.c's exact reference. The C test covers every op and input on every ISA; this
# one checks the binding's dtypes, layouts and results, and counts where torch differs (stderr).
import os
import sys
import unittest

sys.path.insert(0, os.environ.get("SOFTPLUS_PYTHONPATH", ""))
try:
    import numpy as np
except ImportError:
    print("test_half.py: SKIPPED: numpy is not installed")
    sys.exit(77)

import softplus

try:
    import torch
except ImportError:
    torch = None

BETAS = (1.0, 0.5, 2.0, -1.0, 7.3)
THRESHOLDS = (20.0, float("inf"))


def all_f16():
    return np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)


def all_bf16_bits():
    return np.arange(65536, dtype=np.uint32).astype(np.uint16)


def bf16_to_f64(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def f64_to_bf16_bits(d):
    """d rounded once to bfloat16 (nearest even), as bit patterns; NaN -> the default quiet NaN."""
    with np.errstate(all="ignore"):
        a = np.abs(d)
        _, e = np.frexp(a)
        e = np.maximum(e - 1, -126)
        q = np.ldexp(1.0, e - 7)
        r = np.rint(a / q) * q
        r = np.where(np.isfinite(a), r, a)
        f = np.copysign(r, d).astype(np.float32)
    bits = (f.view(np.uint32) >> 16).astype(np.uint16)
    return np.where(np.isnan(d), np.uint16(0x7fc0), bits)


def ref_forward(x, beta, threshold):
    """forward of float inputs x (float64 array of float values), beta and threshold floats, in float64"""
    b = float(np.float32(beta))
    with np.errstate(all="ignore"):
        z32 = (np.float32(b) * x.astype(np.float32))
        z = b * x
        g = np.log1p(np.exp(-np.abs(z))) / b
        curve = np.where(z > 0, x + g, g)
    return np.where(z32 > np.float32(threshold), x, curve)


def ref_backward(dy, x, beta, threshold):
    b = float(np.float32(beta))
    with np.errstate(all="ignore"):
        z32 = (np.float32(b) * x.astype(np.float32))
        z = b * x
        t = np.exp(-np.abs(z))
        s = np.where(z >= 0, 1.0 / (1.0 + t), t / (1.0 + t))
        return np.where(z32 > np.float32(threshold), dy, dy * s)


def same_bits(got, want):
    """bit-identical, NaN only for NaN"""
    nan_g, nan_w = np.isnan(got), np.isnan(want)
    return np.array_equal(nan_g, nan_w) and np.array_equal(got[~nan_g].view(np.uint16), want[~nan_w].view(np.uint16))


class HalfTest(unittest.TestCase):
    def test_numpy_float16_forward_is_correctly_rounded(self):
        x = all_f16()
        for beta in BETAS:
            for thr in THRESHOLDS:
                y = softplus.forward(x, beta, thr)
                self.assertEqual(y.dtype, np.float16)
                want = ref_forward(x.astype(np.float64), beta, thr).astype(np.float16)
                self.assertTrue(same_bits(y, want), "beta %g threshold %g" % (beta, thr))

    def test_numpy_bfloat16_bits_forward_is_correctly_rounded(self):
        bits = all_bf16_bits()
        for beta in BETAS:
            for thr in THRESHOLDS:
                y = softplus.forward(bits, beta, thr, dtype="bfloat16")
                self.assertEqual(y.dtype, np.uint16)
                want = f64_to_bf16_bits(ref_forward(bf16_to_f64(bits), beta, thr))
                nan = (want & 0x7fff) > 0x7f80
                self.assertTrue(np.array_equal((y & 0x7fff) > 0x7f80, nan))
                self.assertTrue(np.array_equal(y[~nan], want[~nan]), "beta %g threshold %g" % (beta, thr))

    def test_numpy_backward_strided_and_in_place(self):
        rng = np.random.default_rng(13)
        x = all_f16()[::3]
        x = x[np.abs(x.astype(np.float64)) > 1e-3]  # away from s = 1/2 (see the header)
        dy = rng.standard_normal(x.shape).astype(np.float16)
        want = ref_backward(dy.astype(np.float64), x.astype(np.float64), 1.0, 20.0).astype(np.float16)
        self.assertTrue(same_bits(softplus.backward(dy, x), want))
        # strided views and an in-place call give the same bits
        xs, dys = np.repeat(x, 2)[::2], np.repeat(dy, 2)[::2]
        self.assertTrue(same_bits(softplus.backward(dys, xs), want))
        buf = dy.copy()
        softplus.backward(buf, x, out=buf)
        self.assertTrue(same_bits(buf, want))

    def test_bad_dtypes_are_refused(self):
        with self.assertRaises(TypeError):
            softplus.forward(np.zeros(4, np.float16), dtype="bfloat16")
        with self.assertRaises(TypeError):
            softplus.forward(np.zeros(4, np.uint16))
        with self.assertRaises(ValueError):
            softplus.forward(np.zeros(4, np.uint16), dtype="float8")
        with self.assertRaises(TypeError):
            softplus.backward(np.zeros(4, np.float16), np.zeros(4, np.float32))

    @unittest.skipIf(torch is None, "torch is not installed")
    def test_torch_half_types_match_the_reference_where_torch_is_off(self):
        report = []
        for tdtype, name in ((torch.float16, "float16"), (torch.bfloat16, "bfloat16")):
            bits = all_bf16_bits()
            if tdtype == torch.float16:
                x64 = all_f16().astype(np.float64)
            else:
                x64 = bf16_to_f64(bits)
            xt = torch.from_numpy(bits.astype(np.int16)).view(tdtype)
            for beta in BETAS:
                for thr in THRESHOLDS:
                    ours = softplus.forward(xt, beta, thr)
                    self.assertEqual(ours.dtype, tdtype)
                    ob = ours.view(torch.int16).numpy().view(np.uint16)
                    ref = ref_forward(x64, beta, thr)
                    if tdtype == torch.float16:
                        wb = ref.astype(np.float16).view(np.uint16)
                    else:
                        wb = f64_to_bf16_bits(ref)
                    nan = np.isnan(ref)
                    self.assertTrue(np.array_equal(ob[~nan], wb[~nan]), "%s beta %g threshold %g" % (name, beta, thr))
                    try:
                        tt, how = torch.nn.functional.softplus(xt, beta, thr), ""
                    except RuntimeError:  # no float16 CPU kernel in this torch: what it does for bfloat16
                        tt, how = torch.nn.functional.softplus(xt.float(), beta, thr).to(tdtype), " (float32, rounded)"
                    tb = tt.view(torch.int16).numpy().view(np.uint16)
                    report.append("%s%s beta %g threshold %g: torch differs from the correctly rounded value on "
                                  "%d of %d inputs, libsoftplus on 0" % (name, how, beta, thr,
                                                                         int(np.sum(tb[~nan] != wb[~nan])),
                                                                         int(np.sum(~nan))))
        sys.stderr.write("\n".join(report) + "\n")


if __name__ == "__main__":
    unittest.main()
