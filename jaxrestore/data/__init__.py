"""Data: image files, noise synthesis, datasets."""
