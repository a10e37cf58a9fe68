"""``python scripts/launch_local.py --num_processes=2 --cpu_devices=2 -- <command ...>``.

Runs ``num_processes`` copies of a training command on this machine as one
multi-process JAX job (coordinator on 127.0.0.1, a free port), their output
prefixed ``[p0] ``, ``[p1] ``, ...; if one fails the others are stopped and its
exit code is returned. If the launcher dies, by any signal, they die with it.
"""
import sys

from absl import app, flags

from jaxrestore import cli, distributed

_NUM_PROCESSES = flags.DEFINE_integer("num_processes", 2, "Processes to start.", lower_bound=1)
_CPU_DEVICES = flags.DEFINE_integer(
    "cpu_devices", 0, "CPU devices per process (JAX_PLATFORMS=cpu, XLA_FLAGS="
    "--xla_force_host_platform_device_count); 0: leave the platform to JAX.", lower_bound=0)
_PORT = flags.DEFINE_integer("port", 0, "Coordinator port on 127.0.0.1; 0: a free one.")


def main(argv):
  if len(argv) < 2:
    raise app.UsageError("give the command after '--', e.g. -- python scripts/train.py ...")
  sys.exit(distributed.launch_local(argv[1:], _NUM_PROCESSES.value, _CPU_DEVICES.value,
                                    _PORT.value or None))


def run():
  cli.run(main)
