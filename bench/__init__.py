"""Hotline's benchmarks (issue 6): each one measures us beside a peer in the same run.

Run ``python -m bench --help`` (or ``make bench``). Never part of the test
suite: tests/bench/ only checks, with tiny sizes, that each one still runs.
Results and the commands that produced them are in docs/performance.md.
"""
