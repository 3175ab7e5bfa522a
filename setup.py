"""The optional C accelerator of the AMI hot path (``cti.ami._speedups``); everything else is in
pyproject.toml. ``optional=True``: without a C compiler or Python's headers the build skips it and
the pure Python implementation runs (``cti.ami.speedups.IMPLEMENTATION`` says which one)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "cti.ami._speedups",
            sources=["cti/ami/_speedups.c"],
            optional=True,
            extra_compile_args=["-O2", "-std=c11", "-Wall"],
        )
    ]
)
