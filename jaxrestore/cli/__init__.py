"""absl entry points (console scripts); scripts/*.py call these."""
