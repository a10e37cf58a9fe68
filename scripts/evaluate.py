"""Evaluates a model on its task's test data.

    python scripts/evaluate.py --config=configs/evaluate_kair_dncnn25.py
"""
from jaxrestore.cli import evaluate

if __name__ == "__main__":
  evaluate.run()
