"""See jaxrestore/cli/restore.py: python scripts/restore.py --config=configs/... [--config.key=value]"""
from jaxrestore.cli import restore

if __name__ == "__main__":
  restore.run()
