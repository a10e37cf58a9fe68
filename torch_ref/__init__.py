"""PyTorch twins of the jaxrestore models, losses and metrics.

Reference implementations only: NCHW tensors, the original PyTorch module and
argument names, no dependency on jaxrestore.
"""
