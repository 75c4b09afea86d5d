"""Benchmarks: ``python -m benchmarks`` runs them all (see run_all.py); each also runs alone."""
