# test_pip_install.py -- `pip install .` from a copy of the source tree into a throwaway virtual environment.
# SPDX-License-Identifier: MIT
#
# What a user does, offline: python3 -m venv --system-site-packages (numpy from the system), then
# pip install --no-build-isolation --no-index <source>. The installed package must carry its own
# libsoftplus.so.1 (built by setup.py with CMake), load that copy and no other, report the library's
# version, and compute. The source is copied first so the source tree gets no build products.
# Exit code 77 (ctest: skipped) when venv, pip, setuptools, wheel or numpy is missing, with the reason.
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ.get("SOFTPLUS_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# found, not imported: importing pip and setuptools into one process makes them fight over distutils
missing = [m for m in ("venv", "pip", "setuptools", "wheel", "numpy", "ensurepip")
           if importlib.util.find_spec(m) is None]
if missing:
    print("%s lacks %s: skipped (Debian: python3-venv python3-pip python3-setuptools python3-wheel "
          "python3-numpy)" % (sys.executable, ", ".join(missing)))
    sys.exit(77)


def copy_source(dst):
    ignore = shutil.ignore_patterns(".git", "build*", "__pycache__", "*.egg-info", "*.pyc")
    shutil.copytree(SOURCE, dst, ignore=ignore, symlinks=True)


class PipInstall(unittest.TestCase):
    def test_pip_install_carries_and_loads_its_own_library(self):
        with open(os.path.join(SOURCE, "CMakeLists.txt")) as f:
            version = re.search(r"project\(softplus VERSION (\d+\.\d+\.\d+)", f.read()).group(1)
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src")
            venv = os.path.join(tmp, "venv")
            copy_source(src)
            subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True)
            py = os.path.join(venv, "bin", "python")
            env = {k: v for k, v in os.environ.items()
                   if k not in ("SOFTPLUS_LIBRARY", "PYTHONPATH", "SOFTPLUS_PYTHONPATH", "LD_LIBRARY_PATH")}
            env["PIP_NO_INPUT"] = "1"
            env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
            r = subprocess.run([py, "-m", "pip", "install", "--no-build-isolation", "--no-index", src],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.assertEqual(r.returncode, 0, "pip install failed:\n" + r.stdout[-4000:])
            probe = ("import numpy as np, softplus, math\n"
                     "x = np.array([-3.0, 0.0, 3.0])\n"
                     "y = softplus.forward(x)\n"
                     "want = [math.log1p(math.exp(-3.0)), math.log(2.0), 3.0 + math.log1p(math.exp(-3.0))]\n"
                     "assert all(abs(a - b) <= 1e-15 * abs(b) for a, b in zip(y, want)), y\n"
                     "print(softplus.library_path()); print(softplus.version()); print(softplus.__file__)\n")
            r = subprocess.run([py, "-c", probe], env=env, cwd=tmp, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            self.assertEqual(r.returncode, 0, r.stdout)
            lib, got_version, package = r.stdout.split("\n")[:3]
            site = os.path.dirname(package)
            self.assertTrue(site.startswith(venv), "imported %s, not the venv's package" % package)
            self.assertEqual(os.path.realpath(lib), os.path.realpath(os.path.join(site, "libsoftplus.so.1")),
                             "the package loaded %s, not its own copy" % lib)
            self.assertEqual(got_version, version)
            self.assertFalse(os.path.exists(os.path.join(SOURCE, "build-python")),
                             "pip wrote into the source tree")


if __name__ == "__main__":
    unittest.main()
