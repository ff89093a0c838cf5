# setup.py -- the build step behind pyproject.toml: libsoftplus.so.1 built with CMake, carried in the package.
# SPDX-License-Identifier: MIT
#
# The package itself is pure Python (src/python/softplus, ctypes); what makes the wheel platform-specific
# is the library it carries. build_py configures this source tree with CMake in <build_base>/cmake (no
# tests, no benchmarks: a compiler and CMake are all it needs), builds the shared library, copies it into
# the package under its SONAME, and writes a _config.py naming it relative to the package, so the installed
# package loads its own copy and no other (SOFTPLUS_LIBRARY still overrides, as documented).
# The version is the library's, read from CMakeLists.txt's project(). CMAKE in the environment names the
# cmake to run.
import os
import re
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

ROOT = os.path.dirname(os.path.abspath(__file__))


def library_version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        m = re.search(r"project\(softplus VERSION (\d+\.\d+\.\d+)", f.read())
    if not m:
        raise RuntimeError("setup.py: no project(softplus VERSION x.y.z) in CMakeLists.txt")
    return m.group(1)


class CarriesALibrary(Distribution):
    def has_ext_modules(self):
        return True  # a compiled library inside: the wheel gets a platform tag


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        cmake = os.environ.get("CMAKE", "cmake")
        build_base = self.get_finalized_command("build").build_base
        cmake_dir = os.path.abspath(os.path.join(build_base, "cmake"))
        subprocess.check_call([cmake, "-S", ROOT, "-B", cmake_dir, "-DCMAKE_BUILD_TYPE=Release",
                               "-DSOFTPLUS_BUILD_TESTS=OFF", "-DSOFTPLUS_BUILD_BENCH=OFF",
                               "-DSOFTPLUS_INSTALL_PYTHON=OFF"])
        subprocess.check_call([cmake, "--build", cmake_dir, "--target", "softplus",
                               "-j", str(os.cpu_count() or 2)])
        soname = "libsoftplus.so.%s" % library_version().split(".")[0]
        package_dir = os.path.join(self.build_lib, "softplus")
        # the real file under the SONAME (wheels hold no symlinks)
        shutil.copyfile(os.path.realpath(os.path.join(cmake_dir, soname)), os.path.join(package_dir, soname))
        with open(os.path.join(package_dir, "_config.py"), "w") as f:
            f.write("# _config.py -- written by setup.py: the library this package carries, relative to it.\n"
                    "LIBRARY = %r\n" % soname)


setup(
    version=library_version(),
    package_dir={"": "src/python"},
    packages=["softplus"],
    distclass=CarriesALibrary,
    cmdclass={"build_py": BuildPyWithLibrary},
    options={"build": {"build_base": "build-python"}},
    zip_safe=False,
)
