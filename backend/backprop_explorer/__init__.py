"""Backprop Explorer: see backpropagation happen."""

__version__ = "0.1.0"
