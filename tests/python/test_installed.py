# test_installed.py -- `import softplus` from a `cmake --install` prefix, with no PYTHONPATH into the build
# tree and no SOFTPLUS_LIBRARY: the installed package must find the library of its own prefix.
# SPDX-License-Identifier: MIT
#
# Usage (ctest runs it after the consumers.install fixture): test_installed.py <prefix> <python dir>
# <library dir>, the two directories relative to the prefix as CMake installed them.
import os
import subprocess
import sys
import unittest

try:
    import numpy  # noqa: F401
except ImportError:
    print("SKIP: numpy is not installed for %s (Debian: apt-get install python3-numpy)" % sys.executable)
    sys.exit(77)

PREFIX, PYDIR, LIBDIR = sys.argv[1:4]
del sys.argv[1:4]


class Installed(unittest.TestCase):
    def run_clean(self, code):
        """A fresh interpreter that sees only the installed package."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "SOFTPLUS_LIBRARY", "SOFTPLUS_PYTHONPATH", "LD_LIBRARY_PATH")}
        env["PYTHONPATH"] = os.path.join(PREFIX, PYDIR)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                              timeout=60, cwd=PREFIX)

    def test_import_loads_the_prefix_library(self):
        r = self.run_clean("import softplus, numpy\n"
                           "print(softplus.__file__)\n"
                           "print(softplus.library_path())\n"
                           "print(softplus.version())\n"
                           "y = softplus.forward(numpy.zeros(3))\n"
                           "print(abs(float(y[0]) - 0.6931471805599453) < 1e-15)\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        pkg, lib, ver, ok = r.stdout.split("\n")[:4]
        self.assertEqual(os.path.realpath(pkg),
                         os.path.realpath(os.path.join(PREFIX, PYDIR, "softplus", "__init__.py")))
        self.assertEqual(os.path.realpath(lib),
                         os.path.realpath(os.path.join(PREFIX, LIBDIR, "libsoftplus.so.1")),
                         "the installed package loaded %s, not its prefix's library" % lib)
        self.assertRegex(ver, r"^1\.\d+\.\d+$")
        self.assertEqual(ok, "True")

    def test_installed_package_has_no_build_tree_path(self):
        with open(os.path.join(PREFIX, PYDIR, "softplus", "_config.py")) as f:
            text = f.read()
        self.assertNotIn("/python/", text.split("LIBRARY")[1], "install config names a build path")
        self.assertFalse(os.path.isabs(text.split('"')[1]), "a relative path keeps the install relocatable")


if __name__ == "__main__":
    unittest.main()
