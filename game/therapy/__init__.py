"""Therapy logic with no display: filters, calibration, rep detection, difficulty.

Plain Python and numpy only, so it tests in microseconds and runs in the
simulated-patient harness and the command-line tools unchanged.
"""
