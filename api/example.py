"""The Quick start's main job until the ``gex`` command exists: a worked example.

Builds a small synthetic SPX-like chain (deterministic), computes the greeks with the
compiled kernels, the dealer exposures per contract, and prints the totals and the
largest strikes. ``python -m api.example``.
"""
