"""Builds the wheel with the shared library inside: `cargo build --release --lib` of the crate
two folders up (cargo must be on PATH), and libvidkompy.so copied into the package, where
vidkompy/__init__.py looks first. The wheel is marked platform-specific, as it carries a
native library."""

import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
CRATE = os.path.normpath(os.path.join(HERE, "..", ".."))


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        manifest = os.path.join(CRATE, "Cargo.toml")
        # VIDKOMPY_BUILD_PROFILE=dev reuses a debug build (CI's); release otherwise.
        profile = os.environ.get("VIDKOMPY_BUILD_PROFILE", "release")
        command = ["cargo", "build", "--lib", "--profile", profile, "--manifest-path", manifest]
        subprocess.run(command, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(CRATE, "target"))
        library = os.path.join(target, "debug" if profile == "dev" else profile, "libvidkompy.so")
        package = os.path.join(self.build_lib, "vidkompy")
        os.makedirs(package, exist_ok=True)
        shutil.copyfile(library, os.path.join(package, "libvidkompy.so"))


class NativeDistribution(Distribution):
    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=NativeDistribution)
