"""The configurable workflow engine (definitions, operators, forms, actions).

Import from the submodules (or the short surface in ``ticketing``); this
package file stays empty so ``ticketing.sla`` can import the condition helpers
without pulling in the engine.
"""
