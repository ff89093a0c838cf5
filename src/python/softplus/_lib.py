# _lib.py -- find libsoftplus.so.1, load it with ctypes and bind its entry points at their version nodes.
# SPDX-License-Identifier: MIT
#
# Where the library comes from, first match wins:
#   1. SOFTPLUS_LIBRARY in the environment: a path to the shared library. When it is set and does not
#      load, import fails; an explicit choice is never silently replaced by another copy.
#   2. The copy this package was configured with (_config.py, written by CMake): the build tree's
#      libsoftplus.so.1 for the package the build places under <build>/python, or the library of the
#      same install prefix, as a path relative to the package, for an installed package (so
#      `cmake --install --prefix DIR` gives a package that finds DIR's library wherever DIR is).
#      A source-tree checkout has no _config.py and skips this step.
#   3. The dynamic loader's own search for the SONAME "libsoftplus.so.1" (ld.so.cache, LD_LIBRARY_PATH,
#      the default directories): an installed copy. The SONAME is named explicitly rather than through
#      ctypes.util.find_library("softplus"), which answers with whatever major version ldconfig lists
#      (a future libsoftplus.so.2 included) and runs a subprocess to find it.
#
# Symbol versions. The library exports every symbol at a version node (src/softplus.map): release 1.0's at
# SOFTPLUS_1.0, those added in 1.1 at SOFTPLUS_1.1 (SINCE below); each is bound at its own node.
# ctypes looks names up with dlsym, which returns the *default* version of a symbol: today that is
# SOFTPLUS_1.0, but if a later release (still libsoftplus.so.1) ever re-exported softplus_forward_f32 at
# a new node with a changed contract, dlsym would silently bind this package to it. The binding below
# asks for SOFTPLUS_1.0 by name with dlvsym, the C loader call a versioned consumer makes (the same one
# tests/consumers/dlopen_test.c checks), reached through ctypes from glibc (libc.so.6 since 2.34,
# libdl.so.2 before). C libraries without symbol versioning (musl) have no dlvsym; there the only
# definition is the one dlsym finds, and the SONAME's major version is the whole guarantee.
import ctypes
import os

SONAME = "libsoftplus.so.1"
VERSION_NODE = b"SOFTPLUS_1.0"
MAJOR = 1
# Symbols of later releases: name -> their version node (every other symbol is at VERSION_NODE).
SINCE = {
    "softplus_set_accuracy": b"SOFTPLUS_1.1",
    "softplus_accuracy_mode": b"SOFTPLUS_1.1",
    "softplus_double_backward_f32": b"SOFTPLUS_1.1",
    "softplus_double_backward_f64": b"SOFTPLUS_1.1",
    "softplus_inverse_f32": b"SOFTPLUS_1.1",
    "softplus_inverse_f64": b"SOFTPLUS_1.1",
    "softplus_backward_beta_f32": b"SOFTPLUS_1.1",
    "softplus_backward_beta_f64": b"SOFTPLUS_1.1",
    "softplus_set_num_threads": b"SOFTPLUS_1.1",
    "softplus_num_threads": b"SOFTPLUS_1.1",
}
# bfloat16 and float16 (release 1.1): every op, uint16_t bit patterns, float beta and threshold.
_HALF_OPS = {"forward": 1, "backward": 2, "double_backward": 2, "inverse": 1, "backward_beta": 2}
for _op in _HALF_OPS:
    for _tag in ("bf16", "f16"):
        SINCE["softplus_%s_%s" % (_op, _tag)] = b"SOFTPLUS_1.1"

# The enum values of include/softplus.h (part of the ABI: they never change).
STATUS_NAMES = {
    0: "SOFTPLUS_OK",
    1: "SOFTPLUS_ERR_NULL",
    2: "SOFTPLUS_ERR_RANK",
    3: "SOFTPLUS_ERR_PARAM",
    4: "SOFTPLUS_ERR_OVERFLOW",
    5: "SOFTPLUS_ERR_OVERLAP",
    6: "SOFTPLUS_ERR_UNSUPPORTED",
}
# softplus_accuracy (include/softplus.h; the names are SOFTPLUS_ACCURACY's values).
ACCURACY_VALUES = {"strict": 0, "fast": 1}
# softplus_isa_name answers "unknown" past the library's ISA list (src/lists.h): the names are read from
# the library up to there, so a new ISA needs no change here.
ISA_UNKNOWN_NAME = b"unknown"
ISA_VALUE_LIMIT = 256

_size_p = ctypes.POINTER(ctypes.c_size_t)
_stride_p = ctypes.POINTER(ctypes.c_ssize_t)  # ptrdiff_t: ssize_t has its size on every Linux ABI
_v = ctypes.c_void_p
_status = ctypes.c_int  # an enum is passed and returned as int

# name -> (restype, argtypes), exactly the prototypes of include/softplus.h.
PROTOTYPES = {
    "softplus_forward_f32": (_status, (ctypes.c_size_t, _size_p, _v, _stride_p, _v, _stride_p,
                                       ctypes.c_float, ctypes.c_float)),
    "softplus_forward_f64": (_status, (ctypes.c_size_t, _size_p, _v, _stride_p, _v, _stride_p,
                                       ctypes.c_double, ctypes.c_double)),
    "softplus_backward_f32": (_status, (ctypes.c_size_t, _size_p, _v, _stride_p, _v, _stride_p, _v,
                                        _stride_p, ctypes.c_float, ctypes.c_float)),
    "softplus_backward_f64": (_status, (ctypes.c_size_t, _size_p, _v, _stride_p, _v, _stride_p, _v,
                                        _stride_p, ctypes.c_double, ctypes.c_double)),
    "softplus_double_backward_f32": (_status, (ctypes.c_size_t, _size_p, _v, _stride_p, _v, _stride_p, _v,
                                               _stride_p, ctypes.c_float, ctypes.c_float)),
    "softplus_double_backward_f64": (_status, (ctypes.c_size_t, _size_p, _v, _stride_p, _v, _stride_p, _v,
                                               _stride_p, ctypes.c_double, ctypes.c_double)),
    "softplus_inverse_f32": (_status, (ctypes.c_size_t, _size_p, _v, _stride_p, _v, _stride_p,
                                       ctypes.c_float, ctypes.c_float)),
    "softplus_inverse_f64": (_status, (ctypes.c_size_t, _size_p, _v, _stride_p, _v, _stride_p,
                                       ctypes.c_double, ctypes.c_double)),
    "softplus_backward_beta_f32": (_status, (ctypes.c_size_t, _size_p, _v, _stride_p, _v, _stride_p, _v,
                                             _stride_p, ctypes.c_float, ctypes.c_float)),
    "softplus_backward_beta_f64": (_status, (ctypes.c_size_t, _size_p, _v, _stride_p, _v, _stride_p, _v,
                                             _stride_p, ctypes.c_double, ctypes.c_double)),
    **{"softplus_%s_%s" % (op, tag): (_status, (ctypes.c_size_t, _size_p) + (_v, _stride_p) * (inputs + 1) +
                                      (ctypes.c_float, ctypes.c_float))
       for op, inputs in _HALF_OPS.items() for tag in ("bf16", "f16")},
    "softplus_status_string": (ctypes.c_char_p, (_status,)),
    "softplus_version_string": (ctypes.c_char_p, ()),
    "softplus_active_isa": (_status, ()),
    "softplus_isa_supported": (ctypes.c_int, (ctypes.c_int,)),
    "softplus_set_isa": (_status, (ctypes.c_int,)),
    "softplus_isa_name": (ctypes.c_char_p, (ctypes.c_int,)),
    "softplus_set_accuracy": (_status, (ctypes.c_int,)),
    "softplus_accuracy_mode": (ctypes.c_int, ()),
    "softplus_set_num_threads": (_status, (ctypes.c_size_t,)),
    "softplus_num_threads": (ctypes.c_size_t, ()),
}


def _configured_library():
    """The library path _config.py names (absolute, or relative to this package), or None."""
    try:
        from . import _config
    except ImportError:
        return None
    path = getattr(_config, "LIBRARY", None)
    if not path:
        return None
    if not os.path.isabs(path):
        path = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), path))
    return path


def _candidates():
    """(how it was chosen, what to dlopen, must it load) in search order."""
    env = os.environ.get("SOFTPLUS_LIBRARY")
    if env:
        return [("SOFTPLUS_LIBRARY", env, True)]
    found = []
    configured = _configured_library()
    if configured is not None and os.path.exists(configured):
        found.append(("configured", configured, False))
    found.append(("loader", SONAME, False))
    return found


def _find_dlvsym():
    """glibc's dlvsym as a ctypes function, or None where the C library has none."""
    for libname in ("libc.so.6", "libdl.so.2"):
        try:
            libc = ctypes.CDLL(libname)
            fn = libc.dlvsym
        except (OSError, AttributeError):
            continue
        fn.restype = ctypes.c_void_p
        fn.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p)
        return fn
    return None


class Library:
    """The loaded library and its entry points, each bound at its version node."""

    def __init__(self):
        tried = []
        self.cdll = None
        for how, target, must in _candidates():
            try:
                # RTLD_LOCAL (ctypes' default): the library's symbols stay out of the global namespace.
                self.cdll = ctypes.CDLL(target)
            except OSError as err:
                if must:
                    raise ImportError("softplus: SOFTPLUS_LIBRARY=%r does not load: %s" % (target, err))
                tried.append("%s (%s): %s" % (target, how, err))
                continue
            self.path = target
            self.found_by = how
            break
        if self.cdll is None:
            raise ImportError("softplus: cannot load %s; tried\n  %s\nSet SOFTPLUS_LIBRARY to the path of "
                              "the library, or install it." % (SONAME, "\n  ".join(tried)))
        dlvsym = _find_dlvsym()
        self.versioned = dlvsym is not None
        for name, (restype, argtypes) in PROTOTYPES.items():
            if dlvsym is not None:
                node = SINCE.get(name, VERSION_NODE)
                addr = dlvsym(self.cdll._handle, name.encode(), node)
                if not addr:
                    raise ImportError("softplus: %s has no symbol %s@%s (not a libsoftplus 1.x library, or "
                                      "older than this package?)" % (self.path, name, node.decode()))
            else:
                try:
                    addr = ctypes.cast(getattr(self.cdll, name), ctypes.c_void_p).value
                except AttributeError:
                    raise ImportError("softplus: %s has no symbol %s" % (self.path, name)) from None
            # CFUNCTYPE functions release the GIL for the call: other Python threads run meanwhile.
            fn = ctypes.CFUNCTYPE(restype, *argtypes)(addr)
            setattr(self, name[len("softplus_"):], fn)
        ver = self.version_string().decode()
        if ver.split(".")[0] != str(MAJOR):
            raise ImportError("softplus: %s reports version %s; this package needs %d.x" % (self.path, ver, MAJOR))
        self.version = ver
        # The name table comes from the library itself, so it cannot drift from softplus_isa_name.
        self.isa_by_name = {}
        for value in range(ISA_VALUE_LIMIT):
            name = self.isa_name(value)
            if name == ISA_UNKNOWN_NAME:
                break
            self.isa_by_name[name.decode()] = value
