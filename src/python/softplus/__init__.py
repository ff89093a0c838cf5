# __init__.py -- softplus and its gradient on numpy arrays and PyTorch CPU tensors, through libsoftplus.so.1.
# SPDX-License-Identifier: MIT
"""softplus(x; beta, threshold) and its gradient with PyTorch semantics, computed by libsoftplus.

    y  = forward(x, beta=1.0, threshold=20.0, out=None)
    dx = backward(dy, x, beta=1.0, threshold=20.0, out=None)
    gx = double_backward(g, x, beta=1.0, threshold=20.0, out=None)     (release 1.1)
    x  = inverse(y, beta=1.0, threshold=20.0, out=None)                (release 1.1)
    db = backward_beta(dy, x, beta=1.0, threshold=20.0, out=None)      (release 1.1)

set_num_threads(n) lets large calls run on n threads of the library's pool (1, the default, is serial;
0 is one per CPU); num_threads() reads it back. The results are the same bits either way.

softplus.torch has softplus(input, beta, threshold) and a Softplus module (learnable beta optional) as a
torch.autograd.Function built on these, differentiable twice.

forward gives x where fl(beta*x) > threshold (the product rounded to the array's precision), else
log(1 + exp(beta*x)) / beta; backward gives dy there, else dy * sigmoid(beta*x). threshold=math.inf is
the exact function everywhere. See include/softplus.h for the full contract.

Arrays: numpy.ndarray of float16, float32 or float64 in native byte order, any shape (0-d included) and
any strides (negative, or zero for broadcast inputs), each element aligned for its type; dy and x of
backward broadcast against each other. torch.Tensor on the CPU (float16, bfloat16, float32, float64,
strided layout) is accepted the same way and gives a tensor back; torch is never imported unless a tensor
is passed. numpy has no bfloat16: pass its bit patterns as a uint16 array with dtype="bfloat16" (the
result is uint16 bit patterns too). float16 and bfloat16 results are correctly rounded (the exact
function of the inputs widened to float, rounded once; beta and threshold are float for them).
Objects implementing the DLPack protocol (__dlpack__, on the CPU) are accepted as inputs through
numpy.from_dlpack, without a copy; the result is then a numpy array.

out: None allocates a C-ordered result of the (broadcast) shape; otherwise a writable array (tensor) of
the inputs' dtype and exactly that shape, which may be x itself (in place) but must not otherwise overlap
an input. The result does not track autograd history: the library writes outside torch.autograd, so a
tensor that requires grad is refused while grad mode is on (use torch.no_grad() or .detach()). Masked
numpy arrays are refused (their mask would be lost).

Errors: TypeError for a wrong type or dtype (mixed dtypes included), ValueError for a layout the library
cannot address (misaligned, byte-swapped, a stride that is not a whole number of elements, non-CPU
tensors, shape mismatch), SoftplusError when the library returns a status other than OK (its
softplus_status_string text and the code are carried).
"""
import sys

import numpy as np

from . import _lib, _scalar

__all__ = ["forward", "backward", "double_backward", "inverse", "backward_beta", "active_isa", "set_isa",
           "isa_supported", "supported_isas", "set_accuracy", "accuracy_mode", "set_num_threads", "num_threads",
           "version", "library_path", "SoftplusError"]

_LIB = _lib.Library()

_NP_DTYPES = {2: "f16", 4: "f32", 8: "f64"}  # item size of a float kind -> library dtype tag
_DTYPE_NAMES = {"f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64"}
_NP_RESULT = {"f16": np.float16, "bf16": np.uint16, "f32": np.float32, "f64": np.float64}


def _bf16_flag(dtype):
    """The dtype argument: None (the arrays' own dtype) or "bfloat16" (uint16 arrays of bfloat16 bits)."""
    if dtype is None:
        return False
    if dtype == "bfloat16":
        return True
    raise ValueError("softplus: dtype=%r; the only explicit dtype is \"bfloat16\" (uint16 bit patterns)"
                     % (dtype,))


class SoftplusError(RuntimeError):
    """A libsoftplus call returned a status other than SOFTPLUS_OK; nothing was written.

    code     the softplus_status value (int)
    status   its enum name, e.g. "SOFTPLUS_ERR_OVERLAP"
    message  the library's softplus_status_string(code)
    """

    def __init__(self, function, code):
        self.function = function
        self.code = int(code)
        self.status = _lib.STATUS_NAMES.get(self.code, "unknown")
        self.message = _LIB.status_string(self.code).decode()
        super().__init__("%s: %s (%s = %d)" % (function, self.message, self.status, self.code))


def _check(function, code):
    if code != 0:
        raise SoftplusError(function, code)


# ---- views: (data pointer, shape, element strides, dtype tag) ----------------------------------------

class _View:
    __slots__ = ("obj", "ptr", "shape", "strides", "dtype")

    def __init__(self, obj, ptr, shape, strides, dtype):
        self.obj = obj          # keeps the memory alive for the call
        self.ptr = ptr
        self.shape = tuple(int(n) for n in shape)
        # A dimension of size 1 (or an empty tensor) never moves along its stride: passing 0 keeps
        # numpy's arbitrary strides for such dimensions out of the library's range and overlap checks.
        empty = 0 in self.shape
        self.strides = tuple(0 if (n == 1 or empty) else int(s) for n, s in zip(self.shape, strides))
        self.dtype = dtype


def _torch_module(obj):
    """torch, when obj is a torch.Tensor; None otherwise. A tensor exists only once torch is imported,
    so looking in sys.modules is enough and never imports it."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, torch.Tensor):
        return torch
    return None


def _numpy_view(a, name, bf16=False):
    """A view of the numpy array a, or TypeError/ValueError saying why the library cannot take it.
    bf16: a holds bfloat16 bit patterns as uint16."""
    dt = a.dtype
    if bf16:
        if dt.kind != "u" or dt.itemsize != 2:
            raise TypeError("softplus: %s has dtype %s; with dtype=\"bfloat16\" the arrays are uint16 bit "
                            "patterns" % (name, dt))
    elif dt.kind != "f" or dt.itemsize not in _NP_DTYPES:
        raise TypeError("softplus: %s has dtype %s; only float16, float32 and float64 (and uint16 with "
                        "dtype=\"bfloat16\") are supported" % (name, dt))
    if not dt.isnative:
        raise ValueError("softplus: %s is byte-swapped (dtype %s); convert it with "
                         "a.astype(a.dtype.newbyteorder('='))" % (name, dt.str))
    size = dt.itemsize
    ptr = a.__array_interface__["data"][0]
    if a.size:
        for dim, (n, s) in enumerate(zip(a.shape, a.strides)):
            if n > 1 and s % size:
                raise ValueError("softplus: %s has a stride of %d bytes in dimension %d, not a whole number "
                                 "of %d-byte elements" % (name, s, dim, size))
        if ptr % dt.alignment:
            raise ValueError("softplus: %s is misaligned: its data at 0x%x is not a multiple of %d bytes"
                             % (name, ptr, dt.alignment))
    strides = [s // size if n > 1 else 0 for n, s in zip(a.shape, a.strides)]
    return _View(a, ptr, a.shape, strides, "bf16" if bf16 else _NP_DTYPES[size])


def _torch_view(torch, t, name, output=False):
    if t.layout != torch.strided:
        raise ValueError("softplus: %s has layout %s; only dense (torch.strided) tensors are supported"
                         % (name, t.layout))
    if t.device.type != "cpu":
        raise ValueError("softplus: %s is on device %s; only CPU tensors are supported (move it with "
                         ".cpu())" % (name, t.device))
    if t.dtype == torch.float32:
        tag = "f32"
    elif t.dtype == torch.float64:
        tag = "f64"
    elif t.dtype == torch.float16:
        tag = "f16"
    elif t.dtype == torch.bfloat16:
        tag = "bf16"
    else:
        raise TypeError("softplus: %s has dtype %s; only torch.float16, torch.bfloat16, torch.float32 and "
                        "torch.float64 are supported" % (name, t.dtype))
    if getattr(t, "is_neg", lambda: False)():
        # A lazily negated view (torch._neg_view): its memory holds -t.
        if output:
            raise ValueError("softplus: %s is a lazily negated view; pass a tensor with its own memory"
                             % name)
        t = t.resolve_neg()
    if output and t.requires_grad:
        raise ValueError("softplus: %s requires grad; writing it would bypass autograd" % name)
    if t.requires_grad and torch.is_grad_enabled():
        # the library writes outside autograd: a result silently cut from the graph would train wrongly
        raise ValueError("softplus: %s requires grad, and the result would not track autograd history; "
                         "call under torch.no_grad() or pass %s.detach()" % (name, name))
    ptr = t.data_ptr()
    if t.numel() and ptr % t.element_size():
        raise ValueError("softplus: %s is misaligned: its data at 0x%x is not a multiple of %d bytes"
                         % (name, ptr, t.element_size()))
    # torch strides already count elements, as the library's do.
    return _View(t, ptr, t.shape, t.stride(), tag)


def _as_input(obj, name):
    """(kind, array) for an input: kind is 'numpy' or 'torch'.

    DLPack: objects implementing the protocol (__dlpack__ and __dlpack_device__) are taken through
    numpy.from_dlpack, which owns the exchange (it renames the capsule to "used_dltensor" and calls the
    producer's deleter exactly once, when the array dies) and gives a zero-copy, read-only view. Bare
    PyCapsules are not accepted: consuming one correctly needs those same Python C-API steps done by
    hand through ctypes.pythonapi, with no way to hand the deleter to an owner afterwards, and a
    consumed capsule cannot be reused. The arrays numpy makes are read-only, so DLPack objects are
    inputs only; the result is a numpy array."""
    if _torch_module(obj) is not None:
        return "torch", obj
    if isinstance(obj, np.ma.MaskedArray):
        raise TypeError("softplus: %s is a numpy masked array; the library would compute the masked "
                        "elements too and return no mask: pass %s.filled(value) or %s.data explicitly"
                        % (name, name, name))
    if isinstance(obj, np.ndarray):
        return "numpy", obj
    if isinstance(obj, np.generic):
        return "numpy", np.asarray(obj)
    if hasattr(obj, "__dlpack__") and hasattr(obj, "__dlpack_device__"):
        device = obj.__dlpack_device__()
        if int(device[0]) != 1:  # kDLCPU
            raise ValueError("softplus: %s is a DLPack tensor on device %r; only CPU memory is supported"
                             % (name, tuple(device)))
        try:
            return "numpy", np.from_dlpack(obj)
        except (TypeError, RuntimeError, BufferError) as err:
            raise TypeError("softplus: %s: numpy.from_dlpack refused it: %s" % (name, err)) from None
    raise TypeError("softplus: %s is a %s; expected a numpy.ndarray, a torch.Tensor or a DLPack tensor"
                    % (name, type(obj).__name__))


def _input_view(kind, a, name, bf16=False):
    if kind == "torch":
        if bf16:
            raise TypeError("softplus: dtype=\"bfloat16\" is for uint16 numpy arrays; pass torch.bfloat16 "
                            "tensors as they are")
        return _torch_view(_torch_module(a), a, name)
    return _numpy_view(a, name, bf16)


def _output_view(kind, out, shape, dtype_tag, like):
    """Allocate the result (out is None) or check the caller's out against shape and dtype."""
    if out is None:
        if kind == "torch":
            torch = _torch_module(like)
            out = torch.empty(shape, dtype=like.dtype, device="cpu")
        else:
            out = np.empty(shape, dtype=_NP_RESULT[dtype_tag])
        return _output_view(kind, out, shape, dtype_tag, like)
    if kind == "torch":
        torch = _torch_module(out)
        if torch is None:
            raise TypeError("softplus: out is a %s; tensor inputs need a torch.Tensor out"
                            % type(out).__name__)
        view = _torch_view(torch, out, "out", output=True)
    else:
        if not isinstance(out, np.ndarray):
            raise TypeError("softplus: out is a %s; array inputs need a numpy.ndarray out"
                            % type(out).__name__)
        view = _numpy_view(out, "out", dtype_tag == "bf16")
        if not out.flags.writeable:
            raise ValueError("softplus: out is read-only")
    if view.dtype != dtype_tag:
        raise TypeError("softplus: out has dtype %s but the inputs are %s"
                        % (out.dtype, _DTYPE_NAMES[dtype_tag]))
    if view.shape != tuple(shape):
        raise ValueError("softplus: out has shape %s; the result has shape %s" % (view.shape, tuple(shape)))
    return view


def _c_arrays(views):
    nd = len(views[0].shape)
    shape = (_lib.ctypes.c_size_t * max(nd, 1))(*views[0].shape)
    strides = [(_lib.ctypes.c_ssize_t * max(nd, 1))(*v.strides) for v in views]
    return nd, shape, strides


_SCALAR_CACHE = {}
_SCALAR_CACHE_LIMIT = 64


def _scalars(dtype_tag, beta, threshold):
    """beta and threshold as the dtype's C arguments, rounded as PyTorch rounds them (Scalar.to<T>()),
    independently of the caller's FP environment (_scalar.py). The conversion is exact and depends only
    on the values and their types, so results are cached (a model calls with the same few values)."""
    key = (dtype_tag, type(beta), beta, type(threshold), threshold)
    try:
        return _SCALAR_CACHE[key]
    except (KeyError, TypeError):  # TypeError: an unhashable beta, which _scalar refuses below
        pass
    value = _scalar.library_scalars(dtype_tag, beta, threshold)
    if len(_SCALAR_CACHE) >= _SCALAR_CACHE_LIMIT:
        _SCALAR_CACHE.clear()
    _SCALAR_CACHE[key] = value
    return value


# ---- the short path: contiguous numpy arrays of a library dtype, no out ---------------------------------
# A small call is mostly argument handling in Python; this path skips the general view machinery when
# nothing about the arrays needs it (the library still validates everything it is given).
_FAST_TAGS = {np.dtype(np.float16): "f16", np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
_address_of = _lib.ctypes.addressof
_char_from_buffer = _lib.ctypes.c_char.from_buffer
_size_t = _lib.ctypes.c_size_t
_byref = _lib.ctypes.byref


def _data_address(a):
    """The address of a's first element: through the buffer protocol when writable (cheap), else numpy's
    ctypes interface."""
    if a.flags.writeable:
        return _address_of(_char_from_buffer(a))
    return a.ctypes.data


def _fast_tag(a):
    """The dtype tag when a is a plain, C-contiguous, aligned, native float32/float64 ndarray with data,
    else None."""
    if type(a) is not np.ndarray or not a.size:
        return None
    flags = a.flags
    if not (flags.c_contiguous and flags.aligned):
        return None
    return _FAST_TAGS.get(a.dtype)


# ---- the public functions ----------------------------------------------------------------------------

def _fn(name, tag):
    return getattr(_LIB, name + "_" + tag)


def _one_input(name, x, beta, threshold, out, xname="x", dtype=None):
    """out = op(x) for an op of one tensor input (forward, inverse)."""
    bf16 = _bf16_flag(dtype)
    tag = _fast_tag(x) if out is None and not bf16 else None
    if tag is not None:
        fn = _fn(name, tag)
        b, t = _scalars(tag, beta, threshold)
        y = np.empty_like(x)
        code = fn(1, _byref(_size_t(x.size)), _data_address(x), None, _data_address(y), None, b, t)
        if code:
            raise SoftplusError("softplus_%s_%s" % (name, tag), code)
        return y
    kind, xa = _as_input(x, xname)
    xv = _input_view(kind, xa, xname, bf16)
    ov = _output_view(kind, out, xv.shape, xv.dtype, xa)
    fn = _fn(name, xv.dtype)
    b, t = _scalars(xv.dtype, beta, threshold)
    nd, shape, (xs, os_) = _c_arrays([xv, ov])
    _check("softplus_%s_%s" % (name, xv.dtype), fn(nd, shape, xv.ptr, xs, ov.ptr, os_, b, t))
    return ov.obj


def _two_inputs(name, dy, x, beta, threshold, out, dyname="dy", dtype=None):
    """out = op(dy, x) for an op of a multiplier and x (backward, double_backward, backward_beta); the
    two broadcast against each other."""
    bf16 = _bf16_flag(dtype)
    tag = _fast_tag(x) if out is None and not bf16 else None
    if tag is not None and _fast_tag(dy) == tag and dy.shape == x.shape:
        fn = _fn(name, tag)
        b, t = _scalars(tag, beta, threshold)
        dx = np.empty_like(x)
        code = fn(1, _byref(_size_t(x.size)), _data_address(dy), None, _data_address(x), None,
                  _data_address(dx), None, b, t)
        if code:
            raise SoftplusError("softplus_%s_%s" % (name, tag), code)
        return dx
    kind_dy, dya = _as_input(dy, dyname)
    kind_x, xa = _as_input(x, "x")
    if kind_dy != kind_x:
        raise TypeError("softplus: %s is a %s and x a %s; pass two numpy arrays or two torch tensors"
                        % (dyname, type(dy).__name__, type(x).__name__))
    dyv = _input_view(kind_x, dya, dyname, bf16)
    xv = _input_view(kind_x, xa, "x", bf16)
    if dyv.dtype != xv.dtype:
        raise TypeError("softplus: %s is %s and x is %s; both must have the same dtype"
                        % (dyname, dya.dtype, xa.dtype))
    if dyv.shape != xv.shape:
        # Broadcast views have zero strides, which the library accepts for inputs.
        try:
            if kind_x == "torch":
                torch = _torch_module(xa)
                shape = tuple(torch.broadcast_shapes(dyv.shape, xv.shape))
                dya, xa = dya.expand(shape), xa.expand(shape)
            else:
                shape = np.broadcast_shapes(dyv.shape, xv.shape)
                dya, xa = np.broadcast_to(dya, shape), np.broadcast_to(xa, shape)
        except (ValueError, RuntimeError):
            raise ValueError("softplus: %s of shape %s does not broadcast against x of shape %s"
                             % (dyname, dyv.shape, xv.shape)) from None
        dyv = _input_view(kind_x, dya, dyname, bf16)
        xv = _input_view(kind_x, xa, "x", bf16)
    ov = _output_view(kind_x, out, xv.shape, xv.dtype, xa)
    fn = _fn(name, xv.dtype)
    b, t = _scalars(xv.dtype, beta, threshold)
    nd, shape, (dys, xs, os_) = _c_arrays([dyv, xv, ov])
    _check("softplus_%s_%s" % (name, xv.dtype), fn(nd, shape, dyv.ptr, dys, xv.ptr, xs, ov.ptr, os_, b, t))
    return ov.obj


def forward(x, beta=1.0, threshold=20.0, out=None, dtype=None):
    """softplus(x; beta, threshold) elementwise: x where fl(beta*x) > threshold, else
    log(1 + exp(beta*x)) / beta. Returns out (allocated when None). dtype="bfloat16": x (and out) are
    uint16 arrays of bfloat16 bit patterns."""
    return _one_input("forward", x, beta, threshold, out, dtype=dtype)


def backward(dy, x, beta=1.0, threshold=20.0, out=None, dtype=None):
    """The gradient: dy where fl(beta*x) > threshold, else dy * sigmoid(beta*x). dy and x broadcast
    against each other. Returns out (allocated when None)."""
    return _two_inputs("backward", dy, x, beta, threshold, out, dtype=dtype)


def double_backward(g, x, beta=1.0, threshold=20.0, out=None, dtype=None):
    """The second derivative applied to g: +0 where fl(beta*x) > threshold, else
    g * beta * s * (1 - s), s = sigmoid(beta*x), accurate where s rounds to 1 (PyTorch's
    softplus_double_backward). g and x broadcast against each other. Returns out (allocated when None)."""
    return _two_inputs("double_backward", g, x, beta, threshold, out, dyname="g", dtype=dtype)


def inverse(y, beta=1.0, threshold=20.0, out=None, dtype=None):
    """The inverse of softplus: y where fl(beta*y) > threshold, else log(expm1(beta*y)) / beta, so that
    forward(inverse(y)) == y; NaN for beta*y < 0, -inf/beta at y = 0. Returns out (allocated when None)."""
    return _one_input("inverse", y, beta, threshold, out, xname="y", dtype=dtype)


def backward_beta(dy, x, beta=1.0, threshold=20.0, out=None, dtype=None):
    """The gradient with respect to beta, elementwise (sum it over the elements that share a beta):
    +0 where fl(beta*x) > threshold, else dy * (z*s - softplus(z)) / beta^2 with z = beta*x. dy and x
    broadcast against each other. Returns out (allocated when None)."""
    return _two_inputs("backward_beta", dy, x, beta, threshold, out, dtype=dtype)


def _isa_value(name):
    try:
        return _LIB.isa_by_name[name]
    except (KeyError, TypeError):
        raise ValueError("softplus: unknown instruction set %r; known: %s"
                         % (name, ", ".join(sorted(_LIB.isa_by_name)))) from None


def active_isa():
    """The name of the kernel set calls use now ("scalar", "sse41", "avx2", "avx512" or "neon")."""
    return _LIB.isa_name(_LIB.active_isa()).decode()


def set_isa(name):
    """Make the kernel set `name` active for every thread ("auto": the best this CPU runs).
    SoftplusError (SOFTPLUS_ERR_UNSUPPORTED) when it is not compiled in or the CPU lacks it."""
    _check("softplus_set_isa", _LIB.set_isa(_isa_value(name)))


def isa_supported(name):
    """True when the kernel set `name` is compiled in and this CPU runs it."""
    return bool(_LIB.isa_supported(_isa_value(name)))


def supported_isas():
    """The kernel sets this library and CPU can run, "scalar" first (never "auto")."""
    return [n for n, v in sorted(_LIB.isa_by_name.items(), key=lambda item: item[1])
            if n != "auto" and _LIB.isa_supported(v)]


def set_accuracy(name):
    """Make the accuracy tier `name` active for every thread: "strict" (the default, <= 1 ULP) or "fast"
    (float32 within 4 ULP where the kernel set has fast kernels; float64 stays strict)."""
    try:
        value = _lib.ACCURACY_VALUES[name]
    except (KeyError, TypeError):
        raise ValueError("softplus: unknown accuracy %r; known: %s"
                         % (name, ", ".join(sorted(_lib.ACCURACY_VALUES)))) from None
    _check("softplus_set_accuracy", _LIB.set_accuracy(value))


def accuracy_mode():
    """The name of the accuracy tier calls use now, "strict" or "fast"."""
    value = _LIB.accuracy_mode()
    for name, v in _lib.ACCURACY_VALUES.items():
        if v == value:
            return name
    raise SoftplusError("softplus_accuracy_mode returned an unknown tier %d" % value)


def set_num_threads(n):
    """Let large calls (2^18 elements or more) run on n threads of the library's pool, this one included:
    1 is serial (the default), 0 one thread per CPU this process may run on. Process-wide, from the next
    call on; results are the same bits whatever n. ValueError for a negative n or one above 1024."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("softplus: set_num_threads takes an int, not %s" % type(n).__name__)
    if n < 0 or n > 1024:
        raise ValueError("softplus: a thread count is 0..1024, not %d" % n)
    _check("softplus_set_num_threads", _LIB.set_num_threads(n))


def num_threads():
    """The number of threads a large call uses now (1: serial)."""
    return int(_LIB.num_threads())


def version():
    """The library's runtime version string, "MAJOR.MINOR.PATCH"."""
    return _LIB.version


def library_path():
    """The file (or SONAME) the library was loaded from."""
    return _LIB.path
