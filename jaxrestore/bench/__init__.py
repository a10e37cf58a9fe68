"""Side-by-side speed measurements of the JAX code and its PyTorch twins.

Like porting, this package touches both trees; the JAX core never imports it.
Each section returns ``Measurement`` rows timed in this process with the same
shapes, dtype and thread count on both sides.
"""
from jaxrestore.bench.core import Measurement, format_table, measure, run_sections, SECTIONS

__all__ = ["Measurement", "SECTIONS", "format_table", "measure", "run_sections"]
