"""What a checkpoint holds beside what a model expects, and rename rules that would fit.

``inspect(model, state)`` is the report of ``scripts/port.py --config.inspect=True``:
two aligned columns (the file's keys and shapes after the wrapper prefixes are
removed and the user's rename rules applied; the model's), the first row where
they differ marked, and, only when the two shape sequences agree one to one,
rename rules that map the file's names onto the model's. The rules are printed
for the user to check and pass back explicitly: nothing is ever mapped by
position silently.
"""
import re

from flax import nnx

from jaxrestore.porting import mapping, torch_io


def _fmt(shape) -> str:
  return str(tuple(int(d) for d in shape))


def suggest_renames(src: list[str], dst: list[str]) -> list[tuple[str, str]] | None:
  """Rules mapping ``src[i]`` to ``dst[i]`` for every i (``apply_renames`` semantics).

  Prefers one rule per differing module prefix (``^dncnn\\.`` -> ``model.``), falls
  back to one anchored rule per key; ``None`` if neither reproduces the pairing.
  """
  if len(src) != len(dst):
    return None
  pairs = [(a, b) for a, b in zip(src, dst) if a != b]
  if not pairs:
    return []
  prefixes = {}
  for a, b in pairs:
    pa, pb = a.split("."), b.split(".")
    n = 0  # common trailing components
    while n < min(len(pa), len(pb)) - 1 and pa[-1 - n] == pb[-1 - n]:
      n += 1
    prefixes.setdefault(".".join(pa[:len(pa) - n]) + ("." if n else ""),
                        set()).add(".".join(pb[:len(pb) - n]) + ("." if n else ""))
  candidates = []
  if all(len(v) == 1 for v in prefixes.values()):
    candidates.append([(f"^{re.escape(a)}" + ("" if a.endswith(".") else "$"), b.pop())
                       for a, b in sorted(prefixes.items(), key=lambda kv: -len(kv[0]))])
  candidates.append([(f"^{re.escape(a)}$", b) for a, b in pairs])
  want = dict(zip(src, dst))
  for rules in candidates:
    try:
      got = torch_io.apply_renames(torch_io.StateDict({k: None for k in src}), rules)
    except torch_io.CheckpointError:
      continue
    if dict(zip(src, got)) == want:
      return rules
  return None


def rules_literal(rules: list[tuple[str, str]]) -> str:
  """``rules`` as the Python literal a config flag takes, patterns as raw strings."""
  return "(" + "".join(f"(r{a!r}, {b!r}), " for a, b in rules).rstrip(" ") + ")"


def inspect(model: nnx.Module, state: dict) -> str:
  """The report described in the module docstring (``state``: after prefixes and renames)."""
  ours = mapping.torch_shapes(model)
  legacy_bn = (not any(k.endswith(mapping.COUNTER) for k in state)
               and all(v < 2 for v in getattr(state, "versions", {}).values()))
  notes = []
  if legacy_bn and any(k.endswith(mapping.COUNTER) for k in ours):
    ours = {k: s for k, s in ours.items() if not k.endswith(mapping.COUNTER)}
    notes.append("the checkpoint has no BatchNorm num_batches_tracked (saved before torch "
                 "0.4.1): porting sets them to 0, as torch does; they are left out below")
  theirs = [(k, tuple(v.shape)) for k, v in state.items()]
  mine = list(ours.items())
  left_w = max([len("checkpoint")] + [len(f"{k} {_fmt(s)}") for k, s in theirs]) + 2
  lines = notes + [f"  {'checkpoint':<{left_w}}{type(model).__name__}"]
  first = None
  for i in range(max(len(theirs), len(mine))):
    a = theirs[i] if i < len(theirs) else None
    b = mine[i] if i < len(mine) else None
    if first is None and a != b:
      first = i
    left = f"{a[0]} {_fmt(a[1])}" if a else "-"
    right = f"{b[0]} {_fmt(b[1])}" if b else "-"
    lines.append(f"{'>' if first == i else ' '} {left:<{left_w}}{right}")
  if first is None:
    lines.append(f"the checkpoint matches {type(model).__name__}: every key and shape")
    return "\n".join(lines)
  lines.append(f"first mismatch at row {first + 1} (marked '>'): "
               f"{len(theirs)} keys in the checkpoint, {len(mine)} in the model")
  if [s for _, s in theirs] != [s for _, s in mine]:
    lines.append("the shape sequences differ, so no rename rules are suggested")
    return "\n".join(lines)
  rules = suggest_renames([k for k, _ in theirs], [k for k, _ in mine])
  if rules is None:
    lines.append("the shapes agree one to one, but no rename rules reproduce the pairing")
  else:
    lines.append("the shapes agree one to one; these rules would map the checkpoint's names "
                 "onto the model's (check them, then pass them back explicitly):")
    lines.append(f"  --config.checkpoint_rename=\"{rules_literal(rules)}\"")
  return "\n".join(lines)
