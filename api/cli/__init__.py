"""The ``gex`` command line: commands (``app``), options, rendering, scan, store and watch.

The console script is ``api.cli.app:main``; this package imports nothing itself, so that
``gex --help`` loads only what the command line needs.
"""
