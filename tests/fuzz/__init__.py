"""Fuzz harnesses of the decoders, one module per decoder (see docs/fuzzing.md).

``python -m tests.fuzz`` runs them with atheris (``make fuzz``); tests/unit/fuzz/ drives the same
oracles and mutators with hypothesis inside the unit suite.
"""
