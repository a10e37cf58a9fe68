"""See jaxrestore/cli/port.py: python scripts/port.py --config=configs/... [--config.key=value]"""
from jaxrestore.cli import port

if __name__ == "__main__":
  port.run()
