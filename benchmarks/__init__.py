"""Side-by-side speed measurements of the JAX code and its PyTorch twins.

Like porting, it touches both trees, so it lives beside the package, not in it: the
JAX core never imports it and ``pip install`` does not ship it.
Each section returns ``Measurement`` rows timed in this process with the same
shapes, dtype and thread count on both sides (and ``Skipped`` rows for an
implementation that failed on the machine).
"""
from benchmarks.core import (SECTIONS, Measurement, Skipped, format_table, measure, mfu,
                             run_sections)

__all__ = ["SECTIONS", "Measurement", "Skipped", "format_table", "measure", "mfu", "run_sections"]
