"""Training and evaluation of the learned capability classifier (issue #5)."""
