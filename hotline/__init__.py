"""Composition root: configuration, the ``hotline`` command, and the wiring of
the packages into processes. Nothing imports it; it imports everything."""
