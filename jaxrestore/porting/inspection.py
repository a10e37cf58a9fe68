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


def _prefix_rules(pairs) -> list[tuple[str, str]] | None:
  """One rule per differing leading part (``^dncnn\\.`` -> ``model.``), longest first;
  ``None`` when one source prefix would need two replacements."""
  prefixes = {}
  for a, b in pairs:
    pa, pb = a.split("."), b.split(".")
    n = 0  # common trailing components
    while n < min(len(pa), len(pb)) - 1 and pa[-1 - n] == pb[-1 - n]:
      n += 1
    prefixes.setdefault(".".join(pa[:len(pa) - n]) + ("." if n else ""),
                        set()).add(".".join(pb[:len(pb) - n]) + ("." if n else ""))
  if any(len(v) > 1 for v in prefixes.values()):
    return None
  return [(f"^{re.escape(a)}" + ("" if a.endswith(".") else "$"), b.pop())
          for a, b in sorted(prefixes.items(), key=lambda kv: -len(kv[0]))]


def _renames_to(src: list[str], rules) -> list[str] | None:
  try:
    return list(torch_io.apply_renames(torch_io.StateDict({k: None for k in src}), rules))
  except torch_io.CheckpointError:
    return None


def suggest_renames(src: list[str], dst: list[str]) -> list[tuple[str, str]] | None:
  """Rules mapping ``src[i]`` to ``dst[i]`` for every i (``apply_renames`` semantics:
  each rule sees the keys the rules before it made).

  Prefers one rule per differing leading part, else one anchored rule per key.
  Where rules would feed each other (renumbering ``model.1`` -> ``model.2`` while
  ``model.2`` -> ``model.4``), each renamed key is first marked with a prefix no
  key has, which a last rule removes. Every candidate is checked by applying it;
  ``None`` if none reproduces the pairing.
  """
  if len(src) != len(dst):
    return None
  pairs = [(a, b) for a, b in zip(src, dst) if a != b]
  if not pairs:
    return []
  plain = [r for r in (_prefix_rules(pairs), [(f"^{re.escape(a)}$", b) for a, b in pairs]) if r]
  marker = next(m for m in ("@", "#", "~", "%") if not any(m in k for k in src + dst))
  marked = [[(p, marker + r) for p, r in rules] + [(f"^{re.escape(marker)}", "")]
            for rules in plain]
  for rules in plain + marked:
    if _renames_to(src, rules) == list(dst):
      return rules
  return None


def rules_literal(rules) -> str:
  """``rules`` as the Python literal a config flag takes: patterns as raw strings where
  that writes them verbatim, so ``r'^dncnn\\.'`` reads as the rule it is."""
  def pattern(a):
    return f"r'{a}'" if "'" not in a and not a.endswith("\\") else repr(a)
  return "(" + "".join(f"({pattern(a)}, {b!r}), " for a, b in rules).rstrip(" ") + ")"


def inspect(model: nnx.Module, raw: dict, rename: torch_io.RenameRules = ()) -> str:
  """The report described in the module docstring. ``raw``: the file's state dict with
  wrapper prefixes removed; ``rename``: the user's rules, applied here. Suggested rules
  extend the user's (the printed flag holds all of them)."""
  state = torch_io.apply_renames(raw, rename)
  ours = mapping.torch_shapes(model)
  legacy_bn = (not any(k.endswith(mapping.COUNTER) for k in state)
               and all(v < 2 for v in getattr(state, "versions", {}).values()))
  notes = []
  if legacy_bn and any(k.endswith(mapping.COUNTER) for k in ours):
    ours = {k: s for k, s in ours.items() if not k.endswith(mapping.COUNTER)}
    notes.append("the checkpoint has no BatchNorm num_batches_tracked (as files saved before "
                 "torch 0.4.1): porting adds them as torch does; they are left out below")
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
  target = [k for k, _ in mine]
  rules = suggest_renames([k for k, _ in theirs], target)
  if rules is not None:
    rules = list(rename) + rules
    if _renames_to(list(raw), rules) != target:  # the user's rules and ours interfere
      rules = suggest_renames(list(raw), target)
  if rules is None:
    lines.append("the shapes agree one to one, but no rename rules reproduce the pairing")
  else:
    lines.append("the shapes agree one to one; these rules would map the checkpoint's names "
                 "onto the model's (check them, then pass them back explicitly):")
    lines.append(f"  --config.checkpoint_rename=\"{rules_literal(rules)}\"")
  return "\n".join(lines)
