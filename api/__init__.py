"""Faces of the product: the service layer, the HTTP API and the ``gex`` command (to come)."""
