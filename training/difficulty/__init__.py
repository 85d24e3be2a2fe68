"""Training and evaluation of the difficulty model (issue #5)."""
