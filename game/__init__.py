"""Squeeze Quest: hand-therapy exercise as play."""

__version__ = "0.1.0"
