# sp_reference.py -- the Python suites' shared ground: a high-precision softplus reference in numpy, ULP
# errors, the library's ULP contract read from src/kernels.h, input generators and the package import.
# SPDX-License-Identifier: MIT
#
# Reference. The function of the exact real product z = beta*x, never of a rounded one, in numpy's
# longdouble (x87, 64-bit significand on x86-64):
#     softplus = (z > 0 ? x : 0) + log1p(exp(-|z|)) / beta
#     sigmoid  = 1/(1+t) for z >= 0, t/(1+t) for z < 0,   t = exp(-|z|)
# f32: beta*x has at most 48 significant bits, exact in longdouble. f64: up to 106 bits, so the product
# is formed exactly as p + e in double (Dekker's two-product with Veltkamp splitting; numpy never
# contracts to FMA) and carried as hi + lo in longdouble; lo is applied to first order, because the
# relative condition number of log1p(exp(z)) and sigmoid(z) grows like |z| for z << 0 (near z = -745 a
# product rounded to 64 bits would cost ~0.4 ULP of double). This is written apart from tests/ulp.c:
# the two references share the method, not code, so a slip in one shows up against the other.
#
# ULP error: |got - ref| / ulp(ref), the ulp of the target format at |ref| (2^(e-23) or 2^(e-52) for ref
# in [2^e, 2^(e+1)), never below the smallest subnormal 2^-149 or 2^-1074, so subnormal results are
# measured in subnormal steps). NaN must meet NaN, an infinite reference the same infinity, a zero
# result must carry the reference's sign, and an infinite result for a finite reference counts from
# 2^128 (2^1024). Those mismatches are reported as inf.
import math
import os
import re
import sys
import unittest

import numpy as np

L = np.longdouble

# The exit code ctest's SKIP_RETURN_CODE maps to "skipped".
SKIP_RETURN_CODE = 77

FORMATS = {
    np.float32: dict(name="f32", p=24, emin=-126, emax=127, uint=np.uint32),
    np.float64: dict(name="f64", p=53, emin=-1022, emax=1023, uint=np.uint64),
}


def import_softplus():
    """The package under test: from SOFTPLUS_PYTHONPATH (ctest sets it to the build tree's python/ or an
    install), else the build tree named by SOFTPLUS_BUILD_DIR."""
    path = os.environ.get("SOFTPLUS_PYTHONPATH")
    if path and path not in sys.path:
        sys.path.insert(0, path)
    import softplus
    return softplus


def longdouble_is_accurate():
    return np.finfo(L).nmant >= 63


# ---- the library's contract ------------------------------------------------------------------------

def kernel_bounds():
    """{(dtype name, isa, beta_is_one): bound} from the SP_MAX_ULP_* macros of src/kernels.h, the
    numbers the C accuracy suite enforces, so the two can never disagree."""
    src = os.environ.get("SOFTPLUS_SOURCE_DIR",
                         os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    with open(os.path.join(src, "src", "kernels.h")) as f:
        text = f.read()
    bounds = {}
    for beta_tag, dt, isa, tier, value in re.findall(r"#define\s+SP_MAX_ULP_(BETA_)?(F32|F64)_([A-Z0-9]+)"
                                                     r"(_[A-Z]+)?\s+([0-9.]+)", text):
        bounds[(dt.lower(), isa.lower() + tier.lower(), not beta_tag)] = float(value)
    if not bounds:
        raise RuntimeError("no SP_MAX_ULP_* bounds found in %s/src/kernels.h" % src)
    return bounds


def contract_bound(bounds, dtype, isa, beta, accuracy="strict"):
    """The kernel's bound for forward, and for backward with dy = +-1 (the contract measures dx against
    dy*sigmoid(beta*x) with dy = 1). A tier other than strict has its own bound (SP_MAX_ULP_*_<TIER>)
    where the ISA has kernels of that tier for the dtype, else runs the strict kernel with its bound."""
    key = (FORMATS[dtype]["name"], isa, float(beta) == 1.0)
    if accuracy != "strict":
        return bounds.get((key[0], isa + "_" + accuracy, key[2]), bounds[key])
    return bounds[key]


def backward_bound(dy, sig, dx_ref, b, dtype):
    """The elementwise ULP bound this suite holds backward to for any finite dy, given the kernel's
    contract b (defined with dy = 1; kernels.h states nothing for other dy). A kernel that gets the
    sigmoid s within b ULP and rounds dy*s once errs by at most |dy|*b*ulp(s) + 0.5*ulp(dx), which is
      <= 2b + 0.5 ULP of dx where s is normal (|dy|*ulp(s) <= 2*ulp(dy*s): the product's significand
         can fall one binade below the exponent sum) or |dy| <= 1 (a subnormal dx has ulp >= ulp(s)),
      and grows with |dy| where s is subnormal in the format and |dy| > 1 (s's absolute error is then
         fixed, ulp(s) = 2^-149 or 2^-1074, and dy scales it).
    The bound is the larger of 2b + 0.5 and |dy|*b*ulp(s)/ulp(dx) + 0.5."""
    with np.errstate(all="ignore"):
        u_dx = ulp_of(dx_ref, dtype)
        scaled = (np.abs(np.asarray(dy)).astype(L) * L(b) * ulp_of(sig, dtype) / u_dx + L(0.5))
        return np.maximum(scaled.astype(np.float64), 2.0 * b + 0.5)


# ---- the reference -----------------------------------------------------------------------------------

def _two_product(a, b):
    """(p, e) with p = fl(a*b) and p + e = a*b exactly, for float64 arrays away from over/underflow."""
    c = 134217729.0  # 2^27 + 1, Veltkamp's splitter for 53-bit significands
    def split(v):
        t = c * v
        hi = t - (t - v)
        return hi, v - hi
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def exact_product(x, beta):
    """beta*x as longdouble hi + lo (lo = 0 where hi already is exact or lo cannot matter)."""
    x = np.asarray(x)
    if x.dtype == np.float32:
        with np.errstate(all="ignore"):
            return L(float(np.float32(beta))) * x.astype(L), np.zeros(x.shape, L)
    b = np.float64(beta)
    with np.errstate(all="ignore"):
        p, e = _two_product(np.full(x.shape, b), x.astype(np.float64))
        # The splitting overflows past ~2^996 and e is inexact below ~2^-969; there |z| is so large that
        # log1p(exp(-|z|)) and sigmoid are 0 or 1 to every digit, or so small that z's relative error
        # does not matter (condition number ~|z|).
        ok = np.isfinite(p) & (np.abs(p) < 2.0 ** 990) & (np.abs(p) > 2.0 ** -900)
        hi = np.where(ok, p.astype(L) + e.astype(L), L(b) * x.astype(L))
        lo = np.where(ok, (p.astype(L) - hi) + e.astype(L), L(0))
    return hi, lo


def ref_softplus(x, beta):
    """log(1 + exp(beta*x)) / beta of the exact product, in longdouble."""
    zh, zl = exact_product(x, beta)
    bl = L(float(np.asarray(beta, dtype=np.asarray(x).dtype)))
    with np.errstate(all="ignore"):
        a = np.abs(zh)
        a_lo = np.where(zh >= 0, zl, -zl)
        t = np.exp(-a)
        g = np.log1p(t) - a_lo * (t / (L(1) + t))  # d/da log1p(exp(-a)) = -t/(1+t)
        return np.where(zh > 0, np.asarray(x).astype(L) + g / bl, g / bl)


def ref_sigmoid(x, beta):
    zh, zl = exact_product(x, beta)
    with np.errstate(all="ignore"):
        t = np.exp(-np.abs(zh))
        r = L(1) / (L(1) + t)
        s = np.where(zh >= 0, r, t * r)
        return s + zl * (t * r * r)  # d/dz sigmoid = t/(1+t)^2 on either side


def linear_mask(x, beta, threshold):
    """PyTorch's branch rule: fl(beta*x) > threshold, the product rounded to the array's precision."""
    x = np.asarray(x)
    dt = x.dtype.type
    with np.errstate(all="ignore"):
        return (dt(beta) * x) > dt(threshold)


def ref_forward(x, beta, threshold):
    x = np.asarray(x)
    with np.errstate(all="ignore"):
        return np.where(linear_mask(x, beta, threshold), x.astype(L), ref_softplus(x, beta))


def ref_backward(dy, x, beta, threshold):
    dy, x = np.broadcast_arrays(np.asarray(dy), np.asarray(x))
    with np.errstate(all="ignore"):
        return np.where(linear_mask(x, beta, threshold), dy.astype(L), dy.astype(L) * ref_sigmoid(x, beta))


# ---- ULP errors ----------------------------------------------------------------------------------

def ulp_of(ref, dtype):
    """ulp of the format dtype at |ref| (longdouble array), subnormal steps below the normal range."""
    f = FORMATS[dtype]
    a = np.abs(ref.astype(L))
    with np.errstate(all="ignore"):
        _, exp2 = np.frexp(a)               # a = m * 2^exp2, m in [0.5, 1)
    e = exp2.astype(np.int64) - 1
    e = np.where(a == 0, f["emin"], np.maximum(e, f["emin"]))
    return np.ldexp(np.ones(a.shape, L), (e - (f["p"] - 1)).astype(np.int32))


def ulp_error(got, ref):
    """Elementwise ULP error of got (float32/float64) against ref (longdouble), with the rules above."""
    got = np.asarray(got)
    dtype = got.dtype.type
    f = FORMATS[dtype]
    ref = np.asarray(ref, dtype=L)
    g = got.astype(L)
    big = L(2) ** (f["emax"] + 1)
    with np.errstate(all="ignore"):
        g = np.where(np.isinf(g), np.copysign(big, g), g)
        err = (np.abs(g - ref) / ulp_of(ref, dtype)).astype(np.float64)
        nan_g, nan_r = np.isnan(got), np.isnan(ref)
        err = np.where(nan_g | nan_r, np.where(nan_g & nan_r, 0.0, np.inf), err)
        inf_r = np.isinf(ref)
        err = np.where(inf_r, np.where(got.astype(L) == ref, 0.0, np.inf), err)
        rounded = ref.astype(dtype)
        zero_sign = (got == 0) & (rounded == 0) & (np.signbit(got) != np.signbit(ref))
        err = np.where(zero_sign & ~nan_r, np.inf, err)
    return err


def same_bits(a, b):
    """Elementwise: bit-identical, or both NaN."""
    a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
    u = FORMATS[a.dtype.type]["uint"]
    return (np.ascontiguousarray(a).view(u) == np.ascontiguousarray(b).view(u)) | (np.isnan(a) & np.isnan(b))


def hexf(v):
    """A float in C's %a spelling, for failure messages."""
    v = float(v)
    return v.hex() if math.isfinite(v) else repr(v)


def describe(i, x, got, want, err, dy=None):
    """One failing element: its index, input(s), got and want in hex, the error."""
    parts = ["index %s: x = %s" % (i, hexf(x))]
    if dy is not None:
        parts.append("dy = %s" % hexf(dy))
    parts.append("got %s, want %s (%s, %.4g ULP)" % (hexf(got), hexf(L(want).astype(np.float64)),
                                                    np.format_float_scientific(L(want), precision=22), err))
    return ", ".join(parts)


# ---- inputs -----------------------------------------------------------------------------------

def special_values(dtype):
    """Edges: zeros, subnormal and normal limits, infinities, NaN, exp's overflow/underflow points,
    log1p's small-argument region, the default threshold."""
    fi = np.finfo(dtype)
    tiny_sub = np.nextafter(dtype(0), dtype(1))
    if dtype == np.float32:
        exp_edges = [88.72283, 88.7, -87.33655, -103.27893, -103.97208, -104.0, 15.942385, 16.635532]
    else:
        exp_edges = [709.782712893384, 709.7, -708.3964185322641, -744.4400719213812, -745.1332191019411,
                     -746.0, 36.04365338911715, 36.7368005696771]
    base = [0.0, -0.0, tiny_sub, -tiny_sub, fi.tiny, -fi.tiny, fi.max, -fi.max, np.inf, -np.inf, np.nan,
            1.0, -1.0, 0.5, -0.5, math.log(2), 2.0 ** -12, -(2.0 ** -12), 20.0, -20.0, 1e-30, -1e-30]
    vals = np.array(base + exp_edges + [-v for v in exp_edges], dtype=dtype)
    steps = [vals]
    np_err = np.seterr(over="ignore")
    for k in (1, 2):
        up = vals
        down = vals
        for _ in range(k):
            up = np.nextafter(up, dtype(np.inf))
            down = np.nextafter(down, dtype(-np.inf))
        steps += [up, down]
    np.seterr(**np_err)
    return np.concatenate(steps).astype(dtype)


def near(value, dtype, ulps=4):
    """value (rounded to dtype) and the 2*ulps floats around it."""
    v = dtype(value)
    out = [v]
    up = down = v
    for _ in range(ulps):
        up = np.nextafter(up, dtype(np.inf))
        down = np.nextafter(down, dtype(-np.inf))
        out += [up, down]
    return np.array(out, dtype=dtype)


def sample_inputs(rng, n, dtype, beta, threshold, zmax=None):
    """n inputs mixing: uniform x and uniform z = beta*x over the range where exp neither overflows nor
    underflows completely (|z| <= zmax), random bit patterns (every binade, subnormals, NaN, inf),
    |z| <= 40, values within 64 ulps of threshold/beta (20/beta for an infinite threshold) and the
    edges of special_values."""
    if zmax is None:
        zmax = 110.0 if dtype == np.float32 else 750.0
    b = abs(float(beta))
    u = FORMATS[dtype]["uint"]
    parts = [
        rng.uniform(-zmax, zmax, n // 4) / b,
        rng.uniform(-zmax, zmax, n // 8) / b,
        rng.integers(0, np.iinfo(u).max, n // 4, dtype=u, endpoint=True).view(dtype),
        rng.uniform(-40.0, 40.0, n // 8) / b,
    ]
    t = float(threshold) if math.isfinite(float(threshold)) else 20.0
    edge = dtype(t / float(beta))
    steps = rng.integers(-64, 65, n // 16)
    around = np.array([edge], dtype=dtype).view(u).astype(np.int64) + steps
    parts.append(around.astype(u).view(dtype))
    parts.append(special_values(dtype))
    x = np.concatenate([np.asarray(p).astype(dtype) for p in parts])
    if len(x) < n:
        x = np.concatenate([x, rng.uniform(-zmax, zmax, n - len(x)).astype(dtype)])
    rng.shuffle(x)
    return x[:n] if len(x) > n else x


def sample_dy(rng, n, dtype, max_log2=20.0):
    """Finite gradients of magnitudes 2^-20 .. 2^max_log2 and both signs (an infinite dy times a sigmoid
    that underflows is NaN in the format but inf in longdouble, which says nothing about the library)."""
    mag = np.exp2(rng.uniform(-20.0, max_log2, n))
    dy = (rng.standard_normal(n) * mag).astype(dtype)
    dy[rng.random(n) < 0.05] = 0.0
    return dy


def main():
    """unittest.main(), with ctest's skip code when every test was skipped (numpy/torch absent)."""
    prog = unittest.main(exit=False)
    result = prog.result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.testsRun and len(result.skipped) == result.testsRun:
        sys.exit(SKIP_RETURN_CODE)
    sys.exit(0)
