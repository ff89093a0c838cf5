#!/usr/bin/env python3
# make_corpus.py -- writes the seed corpus of fuzz_softplus: one small input per function and error path.
# SPDX-License-Identifier: MIT
#
# Usage: python3 tests/fuzz/make_corpus.py [output dir, default: tests/fuzz/corpus next to this script]
# The encoder below mirrors the decoder in fuzz_softplus.c (read that file's header comment and the
# decode_* functions); change both together. Standard library only. Rewrites the directory's files.
import os
import struct
import sys

# The seeds' names for the public functions: (op index, dtype index) in src/lists.h's SP_OPS and SP_DTYPES
# order, which a tensor call encodes as two bytes after its command byte. The dict's order (and so
# OPS_ORDER) is the one the seeds were first written in; their arena seeds use it, so keep it.
OPS = {"fwd32": (0, 0), "fwd64": (0, 1), "bwd32": (1, 0), "bwd64": (1, 1)}
OPS_ORDER = {name: i for i, name in enumerate(OPS)}
TENSOR_CALL = 0  # a command byte c with c % 16 < 12
# decode_enum_value: codes < 0xf0 pick values[code & 15]
ENUM = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, -1: 9, 255: 10, 256: 11, "INT_MAX": 12,
        "INT_MIN": 13, 32: 14, 31: 15}
# decode_size: small[code & 15] for codes < 0xc0, medium[code & 31] for 0xc0..0xdf, huge for 0xe0..
SMALL = {1: 0, 2: 1, 3: 2, 4: 5, 5: 6, 7: 8, 8: 9, 9: 10, 16: 14, 0: 15}
MEDIUM = [17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 500, 511, 512, 513, 1000, 1023,
          1024, 1025, 1500, 2047, 2048, 2049, 3000, 4095, 4096, 4097, 8191, 16384]
HUGE_SIZE = {"2^31-1": 0, "2^32": 3, "2^62": 5, "PTRDIFF_MAX": 7, "PTRDIFF_MAX+1": 9, "SIZE_MAX": 10,
             "2^61": 12, "2^60": 14, "sqrt": 15}
BETA = {1.0: 0, -1.0: 1, 0.5: 2, 2.0: 3, 7.3: 4, 0.1: 6, 100.0: 7, 0.0: 8, "-0": 9, "nan": 10, "inf": 11,
        "-inf": 12, 1e-30: 17, 1e30: 18, "2^-100": 19, "2^100": 20}
BETA_SPECIAL = {"true_min": 0, "subnormal": 1, "min": 2, "max": 3, "-max": 4}
THRESHOLD = {20.0: 0, "inf": 1, "-inf": 2, 0.0: 3, "-0": 4, "nan": 5, -3.5: 6, 1.0: 7, 100.0: 10, -20.0: 17,
             700.0: 18, 88.0: 20}
# decode_stride: codes < 0x80 give (code % 17) - 8; 0x80..0xbf +-medium; 0xc0.. the huge table
HUGE_STRIDE = {"2^31": 1, "PTRDIFF_MAX": 6, "PTRDIFF_MIN": 7, "per": 9, "-per": 10, "per-1": 11,
               "per+1": 12, "2^61": 18, "2^62": 22}


def u8(v):
    return bytes([v & 0xFF])


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def size_code(n):
    if n in SMALL:
        return u8(SMALL[n])
    if n in MEDIUM:
        return u8(0xC0 + MEDIUM.index(n))
    return u8(0xE0 + HUGE_SIZE[n])


def stride_code(s):
    if isinstance(s, str):
        return u8(0xC0 + HUGE_STRIDE[s])
    assert -8 <= s <= 8, s
    return u8(s + 8)


def param_code(table, special, v):
    if v in table:
        return u8(table[v])
    return u8(0xC0 + special[v])


def ndim_code(n):
    big = [6, 7, 8, 12, 16, 31, 32, 33, 34, 40, 64, 255, 1000, "2^32", "SIZE_MAX/2+1", "SIZE_MAX"]
    if isinstance(n, int) and n < 6:
        return u8(n)
    return u8(0xF0 + big.index(n))


def header(isa=0, seed=1, palette=0):
    return u8(ENUM[isa]) + struct.pack("<I", seed) + u8(palette)


def strides(mode, ndim=0, values=None, perm=0, pad=0, signs=0, dim=0, delta=0):
    """mode: None (NULL), 'layout', 'explicit', 'copy0', 'copy0+', 'copy1'."""
    if mode is None:
        return u8(0)
    if mode == "layout":
        return u8(2) + u8(perm) + u8(pad) + u8(signs)
    if mode == "explicit":
        return u8(3) + b"".join(stride_code(v) for v in values)
    if mode == "copy0":
        return u8(4)
    if mode == "copy0+":
        return u8(5) + u8(dim) + u8(delta & 0xFF)
    if mode == "copy1":
        return u8(6)
    raise ValueError(mode)


def pointer(mode, off=0, j=0, delta=0):
    """mode: 'anchor' (view's low end at off, fitted), 'raw', 'alias' (operand j's base + delta elements),
    'null', 'top', 'low'."""
    if mode == "anchor":
        return u8(0) + u16(off)
    if mode == "raw":
        return u8(6) + u16(off)
    if mode == "alias":
        return u8(9) + u8(j) + u8(0 if delta == 0 else (delta + 192))
    if mode == "null":
        return u8(12)
    if mode == "top":
        return u8(13) + u8(off)
    if mode == "low":
        return u8(14) + u8(off)
    raise ValueError(mode)


def tensor(op, shape, operands, beta=1.0, threshold=20.0, shape_null=False, ndim=None, pokes=None,
           fpmode=None):
    """operands: (strides bytes, pointer bytes) per operand, output first."""
    flags = (1 if shape_null else 0) | (2 if fpmode is not None else 0) | (4 if pokes else 0)
    n = len(shape) if ndim is None else ndim
    op_index, dtype_index = OPS[op]
    out = u8(TENSOR_CALL) + u8(op_index) + u8(dtype_index) + u8(flags) + ndim_code(n)
    if not shape_null and (not isinstance(n, int) or n <= 32):
        out += b"".join(size_code(s) for s in shape)
    out += param_code(BETA, BETA_SPECIAL, beta) + param_code(THRESHOLD, {}, threshold)
    for st, ptr in operands:
        out += st + ptr
    if pokes:
        out += u8(len(pokes))
        for off, code in pokes:
            out += u16(off) + u8(code)
    if fpmode is not None:
        out += u8(fpmode)
    return out


def set_isa(v):
    return u8(12) + u8(ENUM[v])


def set_accuracy(v):
    return u8(13) + u8(ENUM[v])


def queries(status, isa):
    return u8(14) + u8(ENUM[status]) + u8(ENUM[isa])


def nops(op):
    return 2 if op.startswith("fwd") else 3


def simple(op, shape, beta=1.0, threshold=20.0, **kw):
    """Disjoint C-contiguous views, anchored far apart."""
    ops = [(strides(None), pointer("anchor", 0x0000 + 0x1500 * k)) for k in range(nops(op))]
    return tensor(op, shape, ops, beta, threshold, **kw)


def seeds():
    s = {}
    # ---- the query functions and ISA selection
    s["queries_known"] = header() + b"".join(queries(v, v if v <= 5 else 0) for v in range(7))
    s["queries_unknown"] = header() + queries(7, 6) + queries(-1, -1) + queries("INT_MAX", 255) + queries(
        "INT_MIN", 256)
    s["set_isa_each"] = header(1) + b"".join(set_isa(v) for v in [2, 3, 4, 5, 0, 6, -1, 255])
    s["set_accuracy_each"] = header(1) + b"".join(set_accuracy(v) for v in [1, 2, -1, 0, 1])
    # ---- the fast tier: f32 calls on the best set (isa 0: auto) and on AVX2, beside an f64 one
    for isa in (0, 3):
        for op in ("fwd32", "bwd32", "fwd64"):
            s[f"fast_{op}_isa{isa}"] = header(isa, seed=40 + isa + OPS_ORDER[op]) + set_accuracy(1) + simple(
                op, [5, 17], beta=1.0 if op != "bwd32" else 7.3)
    # ---- one accepted call per function, on every ISA the header byte selects
    for isa, ops in ((1, OPS), (2, ["bwd32"]), (3, ["fwd64"]), (4, ["bwd64"])):
        for op in ops:
            s[f"ok_{op}_isa{isa}"] = header(isa, seed=isa * 7 + OPS_ORDER[op]) + simple(op, [3, 17])
    for op in OPS:
        k = nops(op)
        # a scalar (rank 0), with NULL shape
        s[f"rank0_{op}"] = header(seed=11) + tensor(op, [], [(strides(None), pointer("anchor", 64 * i))
                                                              for i in range(k)], shape_null=True)
        # in place: every input the output's view
        s[f"inplace_{op}"] = header(seed=12) + tensor(
            op, [4, 9], [(strides("layout", perm=3, pad=5, signs=1), pointer("anchor", 100))] +
            [(strides("copy0"), pointer("alias", j=0))] * (k - 1), beta=-1.0, threshold="inf")
        # transposed, padded, negative output strides; broadcast input (zero stride)
        s[f"strided_{op}"] = header(seed=13, palette=0x41) + tensor(
            op, [5, 1, 7], [(strides("layout", perm=7, pad=6, signs=5), pointer("anchor", 0))] +
            [(strides("explicit", values=[0, 3, 1]), pointer("anchor", 0x1000 + 0x600 * j))
             for j in range(k - 1)], beta=7.3, threshold=-3.5)
        if op not in ("fwd32", "bwd64"):
            continue
        # empty tensor: NULL data is fine
        s[f"empty_{op}"] = header() + tensor(op, [3, 0, "2^62"], [(strides(None), pointer("null"))] * k)
        # the errors, in the header's order
        s[f"err_rank_{op}"] = header() + tensor(op, [], [(strides(None), pointer("null"))] * k, ndim=33)
        s[f"err_null_shape_{op}"] = header() + tensor(op, [2], [(strides(None), pointer("null"))] * k,
                                                      shape_null=True)
        s[f"err_param_{op}"] = header() + tensor(op, [2], [(strides(None), pointer("null"))] * k, beta=0.0)
        s[f"err_count_{op}"] = header() + tensor(op, ["2^32", "2^32"], [(strides(None), pointer("null"))] * k)
        s[f"err_null_data_{op}"] = header() + tensor(
            op, [2], [(strides(None), pointer("anchor", 0))] * (k - 1) + [(strides(None), pointer("null"))])
        s[f"err_range_{op}"] = header() + tensor(
            op, [2, 2], [(strides("explicit", values=["per", 1]), pointer("anchor", 0))] +
            [(strides(None), pointer("anchor", 0x800 * (j + 1))) for j in range(k - 1)])
        s[f"err_wrap_{op}"] = header() + tensor(
            op, [3], [(strides(None), pointer("top", 1))] + [(strides(None), pointer("anchor", 0))] * (k - 1))
        s[f"err_self_overlap_{op}"] = header() + tensor(
            op, [4, 3], [(strides("explicit", values=[1, 2]), pointer("anchor", 0))] +
            [(strides(None), pointer("anchor", 0x800 * (j + 1))) for j in range(k - 1)])
        s[f"err_partial_overlap_{op}"] = header() + tensor(
            op, [8], [(strides(None), pointer("anchor", 40))] +
            [(strides(None), pointer("alias", j=0, delta=1))] * (k - 1))
    # ---- values: threshold neighbourhood, exp's edges, special betas
    s["pokes_threshold_fwd32"] = header(seed=21) + simple(
        "fwd32", [16], beta=2.0, threshold=20.0, pokes=[(0x0000 + i, 0x20 - 2 + i) for i in range(4)])
    s["pokes_edges_bwd64"] = header(seed=22, palette=0x80) + simple(
        "bwd64", [33], beta=-1.0, threshold="inf", pokes=[(0x1500, 0x40 + 3), (0x1501, 0x40 + 17)])
    s["beta_tiny_fwd64"] = header(seed=23, palette=0x01) + simple("fwd64", [9], beta="2^-100", threshold="inf")
    s["beta_subnormal_fwd32"] = header(seed=24, palette=0x01) + simple("fwd32", [9], beta="subnormal")
    s["beta_huge_bwd64"] = header(seed=25, palette=0x04) + simple("bwd64", [9], beta="2^100", threshold="-inf")
    # ---- long runs: several gather/scatter chunks (4 KiB each), SIMD tails
    s["chunks_fwd32"] = header(seed=31, palette=0x01) + tensor(
        "fwd32", [2049], [(strides(None), pointer("anchor", 0)),
                          (strides("explicit", values=[0]), pointer("raw", 0x3800))])
    s["chunks_bwd64"] = header(seed=32, palette=0x03) + tensor(
        "bwd64", [1000], [(strides(None), pointer("anchor", 0)), (strides("explicit", values=[-1]),
                                                                  pointer("anchor", 1024)),
                          (strides("explicit", values=[0]), pointer("raw", 2047))])
    # ---- caller FP modes: directed rounding, FTZ/DAZ, traps, x87 precision
    for mode in (1, 6, 7, 9, 14, 15):
        op = ["fwd32", "bwd32", "fwd64", "bwd64"][mode % 4]
        s[f"fpmode{mode}_{op}"] = header(seed=40 + mode, palette=0x0B) + simple(op, [2, 17], beta=0.5,
                                                                               fpmode=mode)
    return s


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    os.makedirs(outdir, exist_ok=True)
    for name in os.listdir(outdir):
        os.remove(os.path.join(outdir, name))
    total = 0
    for name, data in sorted(seeds().items()):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
        total += len(data)
    print(f"wrote {len(seeds())} seeds, {total} bytes, to {outdir}")


if __name__ == "__main__":
    main()
