# _scalar.py -- beta and threshold as the library's C types, by exact integer arithmetic on their bits.
# SPDX-License-Identifier: MIT
"""Real scalars to C float/double with no floating-point instruction, so that the values passed to the
library do not depend on the caller's FP environment (an extension built with unsafe-math compiler options, loaded
into the process, can set flush-to-zero and denormals-are-zero; fesetround can change the rounding
direction). Python's float() of a numpy float32, numpy's float32() of a Python float and ctypes' c_float(x) all convert with
the SSE unit, in the current modes; here a value is read as its IEEE bits, rounded to nearest-even in
integer arithmetic, and handed to ctypes as a c_float or c_double built from bits."""
import ctypes
import numbers
import struct

import numpy as np

# IEEE binary formats numpy scalars come in: item size -> (exponent bits, fraction bits)
_FORMATS = {2: (5, 10), 4: (8, 23), 8: (11, 52)}


def _widen_to_double_bits(bits, ebits, fbits):
    """The double with the same value as the binary(ebits, fbits) number with these bits (exact)."""
    sign = bits >> (ebits + fbits)
    exp = (bits >> fbits) & ((1 << ebits) - 1)
    frac = bits & ((1 << fbits) - 1)
    bias = (1 << (ebits - 1)) - 1
    if exp == (1 << ebits) - 1:  # inf or NaN, payload kept at the top of the fraction
        return (sign << 63) | (0x7ff << 52) | (frac << (52 - fbits))
    if exp == 0:
        if frac == 0:
            return sign << 63
        # subnormal: normalise the fraction (every such value is normal as a double)
        shift = fbits + 1 - frac.bit_length()
        frac = (frac << shift) & ((1 << fbits) - 1)
        exp = 1 - shift
    return (sign << 63) | ((exp - bias + 1023) << 52) | (frac << (52 - fbits))


def double_bits(value, name):
    """The IEEE double bits of a real scalar: a Python float or int, or a numpy floating or integer
    scalar. Anything numpy or torch would not treat as one real number is refused."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("softplus: %s must be a real number, not a bool" % name)
    if isinstance(value, float):  # Python floats are doubles: packing copies the bytes
        return struct.unpack("<Q", struct.pack("<d", value))[0]
    if isinstance(value, np.floating) and value.dtype.itemsize in _FORMATS:
        size = value.dtype.itemsize
        bits = int(np.frombuffer(value.tobytes(), dtype="<u%d" % size)[0])
        return _widen_to_double_bits(bits, *_FORMATS[size])
    if isinstance(value, (int, np.integer)):
        # int -> double is rounded by CPython in integer arithmetic (round half to even)
        try:
            return struct.unpack("<Q", struct.pack("<d", float(int(value))))[0]
        except OverflowError:
            return (0x7ff << 52) | ((1 << 63) if value < 0 else 0)
    if isinstance(value, numbers.Real) and not isinstance(value, np.ndarray):
        # other real scalars (a 0-d torch tensor's .item() is already a float; fractions, decimals)
        return struct.unpack("<Q", struct.pack("<d", float(value)))[0]
    raise TypeError("softplus: %s must be a real scalar (float, int or a numpy scalar), not %s"
                    % (name, type(value).__name__))


def float_bits_from_double_bits(b):
    """Round a double (its bits) to float32 bits, to nearest with ties to even, subnormals and overflow
    to infinity included; NaN stays NaN (quiet) with its sign."""
    sign = (b >> 63) << 31
    exp = (b >> 52) & 0x7ff
    frac = b & ((1 << 52) - 1)
    if exp == 0x7ff:
        return sign | 0x7f800000 | ((frac >> 29) | (0x400000 if frac else 0))
    if exp == 0:  # zero or a double subnormal, far below float's smallest subnormal
        return sign
    full = frac | (1 << 52)
    e = exp - 1023  # the value is full * 2^(e - 52), in [2^e, 2^(e+1))
    if e > 127:
        return sign | 0x7f800000
    shift = 29 if e >= -126 else 29 + (-126 - e)
    if shift > 54:
        return sign  # below half the smallest subnormal
    q = full >> shift
    rest = full & ((1 << shift) - 1)
    half = 1 << (shift - 1)
    if rest > half or (rest == half and (q & 1)):
        q += 1
    if e < -126:  # subnormal; q = 2^23 has become the smallest normal, which these bits also say
        return sign | q
    if q == 1 << 24:
        q >>= 1
        e += 1
        if e > 127:
            return sign | 0x7f800000
    return sign | ((e + 127) << 23) | (q & 0x7fffff)


def c_float_from_bits(bits):
    return ctypes.c_float.from_buffer_copy(struct.pack("<I", bits))


def c_double_from_bits(bits):
    return ctypes.c_double.from_buffer_copy(struct.pack("<Q", bits))


def library_scalars(dtype_tag, beta, threshold):
    """beta and threshold as the C arguments of the dtype's functions, rounded to its precision as PyTorch
    rounds them (Scalar.to<T>()), and checked: a beta that is not a non-zero finite number of that
    precision is refused here with the reason."""
    bb = double_bits(beta, "beta")
    tb = double_bits(threshold, "threshold")
    if dtype_tag in ("f32", "bf16", "f16"):  # the half types take float beta and threshold
        fb = float_bits_from_double_bits(bb)
        if (fb & 0x7fffffff) == 0 and (bb & ((1 << 63) - 1)) != 0:
            raise ValueError("softplus: beta = %r does not fit the tensor's dtype float32: it rounds to 0"
                             % (beta,))
        if (fb & 0x7fffffff) == 0x7f800000 and ((bb >> 52) & 0x7ff) != 0x7ff:
            raise ValueError("softplus: beta = %r does not fit the tensor's dtype float32: it rounds to "
                             "infinity" % (beta,))
        return c_float_from_bits(fb), c_float_from_bits(float_bits_from_double_bits(tb))
    return c_double_from_bits(bb), c_double_from_bits(tb)
