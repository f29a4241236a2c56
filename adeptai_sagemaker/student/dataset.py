"""``dataset build``: captured teacher answers -> train / validation / test files and a card.

- **Deduplicated by input hash** (the unredacted request's, taken at capture):
  the newest answer of an input is kept, the others are counted as duplicates.
- **Split by hash, deterministically**: the input hash alone decides the part
  (``split_of``), so a rebuild with more data never moves an input to another
  part, and no input is ever in two parts: the test part never reaches training.
- **A card** (``card.md`` and, with matplotlib, ``card.png``): counts,
  duplicates removed, redactions, invalid teacher answers and capture drops
  (from the shards' ``counts`` lines), template versions and schema hashes
  seen, and prompt-length percentiles against the model's maximum input.
- **A manifest** (``dataset.json``): capability, format, counts and a content
  hash ``finetune`` records, so a deployed endpoint names the dataset it came from.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

from adeptai_sagemaker.observers.metrics import percentile  # the metrics nearest-rank percentile of samples, one copy
from adeptai_sagemaker.student import formats
from adeptai_sagemaker.student.capture import iter_lines

SPLITS = ("train", "validation", "test")
#: Per 100 hash buckets: 0-9 test, 10-19 validation, the rest train.
TEST_PERCENT, VALIDATION_PERCENT = 10, 10
#: Prompt tokens are estimated at 4 characters each (English text under Llama 3's tokenizer); the card says so.
CHARS_PER_TOKEN = 4
DEFAULT_MAX_INPUT_TOKENS = 4096
MANIFEST = "dataset.json"


def split_of(input_hash: str) -> str:
    """The part an input belongs to, from its hash alone."""
    bucket = int(input_hash[:8], 16) % 100
    if bucket < TEST_PERCENT:
        return "test"
    return "validation" if bucket < TEST_PERCENT + VALIDATION_PERCENT else "train"


def estimated_tokens(system: Optional[str], user: Optional[str]) -> int:
    return math.ceil((len(system or "") + len(user or "")) / CHARS_PER_TOKEN)


@dataclass
class DatasetCard:
    capability: str
    format: str
    examples_read: int = 0
    duplicates_removed: int = 0
    invalid_teacher_answers: int = 0
    dropped_at_capture: int = 0
    sampled_out: int = 0
    redactions: dict[str, int] = field(default_factory=dict)
    splits: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SPLITS})
    template_versions: dict[str, int] = field(default_factory=dict)
    schema_hashes: dict[str, int] = field(default_factory=dict)
    max_input_tokens: int = DEFAULT_MAX_INPUT_TOKENS
    prompt_tokens: dict[str, Optional[int]] = field(default_factory=dict)
    over_max_input: int = 0
    dataset_id: str = ""
    chart: Optional[str] = None  # "card.png", or why there is none

    def to_dict(self) -> dict:
        return asdict(self)


def build(location: str, capability: str, out_dir: str | Path, fmt: str = "jumpstart", *,
          max_input_tokens: int = DEFAULT_MAX_INPUT_TOKENS, client: Any = None) -> DatasetCard:
    """Write ``out_dir/{train,validation,test}.jsonl`` (+ ``template.json`` for jumpstart), the card and manifest."""
    if fmt not in formats.FORMATS:
        raise ValueError(f"unknown dataset format {fmt!r}; known: {', '.join(formats.FORMATS)}")
    card = DatasetCard(capability, fmt, max_input_tokens=max_input_tokens)
    latest: dict[str, dict] = {}
    redactions: Counter = Counter()
    for line in iter_lines(location, capability, client=client):
        if line.get("capability") != capability:
            continue
        if line.get("kind") == "counts":
            card.invalid_teacher_answers += int(line.get("invalid", 0))
            card.dropped_at_capture += int(line.get("dropped", 0))
            card.sampled_out += int(line.get("sampled_out", 0))
            continue
        if line.get("kind") != "example" or not line.get("input_hash"):
            continue
        card.examples_read += 1
        redactions.update(line.get("redactions") or {})
        previous = latest.get(line["input_hash"])
        if previous is not None:
            card.duplicates_removed += 1
            if previous.get("time", 0) > line.get("time", 0):
                continue
        latest[line["input_hash"]] = line
    card.redactions = dict(redactions)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(f"{capability}:{fmt}".encode())
    lengths: list[int] = []
    handles = {s: open(out / f"{s}.jsonl", "w", encoding="utf-8") for s in SPLITS}
    try:
        for input_hash in sorted(latest):  # a stable order: the same captures give the same files
            record = latest[input_hash]
            part = split_of(input_hash)
            text = formats.line_for(fmt, record.get("system"), record.get("user"), record["output"])
            handles[part].write(text + "\n")
            digest.update(f"{part}:{text}\n".encode())
            card.splits[part] += 1
            tokens = estimated_tokens(record.get("system"), record.get("user"))
            lengths.append(tokens)
            card.over_max_input += tokens > max_input_tokens
            for key, name in (("template_version", "template_versions"), ("schema_hash", "schema_hashes")):
                counts = getattr(card, name)
                counts[str(record.get(key))] = counts.get(str(record.get(key)), 0) + 1
    finally:
        for handle in handles.values():
            handle.close()
    if fmt == "jumpstart":
        (out / "template.json").write_text(json.dumps(formats.JUMPSTART_TEMPLATE, indent=2) + "\n", encoding="utf-8")
    card.prompt_tokens = {f"p{q}": percentile(lengths, q) for q in (50, 90, 95, 99)} | {"max": max(lengths, default=None)}
    card.dataset_id = digest.hexdigest()[:16]
    card.chart = _chart(card, lengths, out / "card.png")
    (out / "card.md").write_text(card_markdown(card), encoding="utf-8")
    (out / MANIFEST).write_text(json.dumps(card.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return card


def read_manifest(directory: str | Path) -> dict:
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: build the dataset with `adeptai-sagemaker dataset build` first")
    return json.loads(path.read_text(encoding="utf-8"))


def _chart(card: DatasetCard, lengths: list[int], path: Path) -> str:
    """``card.png``: prompt-length histogram against the maximum input, and the split sizes."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        return "no chart: matplotlib is not installed (pip install 'adeptai-sagemaker[report]')"
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    left.hist(lengths or [0], bins=30, color="#4C72B0")
    left.axvline(card.max_input_tokens, color="#C44E52", linestyle="--", label=f"max input {card.max_input_tokens}")
    left.set_xlabel(f"prompt tokens (estimated, {CHARS_PER_TOKEN} chars/token)")
    left.set_ylabel("examples")
    left.legend()
    right.bar(list(card.splits), list(card.splits.values()), color=["#4C72B0", "#55A868", "#8172B2"])
    right.set_title("examples per part")
    fig.suptitle(f"{card.capability} student dataset ({card.format})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name


def card_markdown(card: DatasetCard) -> str:
    total = sum(card.splits.values())
    rows = "\n".join(f"| {part} | {n} |" for part, n in card.splits.items())
    tokens = ", ".join(f"{k} {v}" for k, v in card.prompt_tokens.items())
    redactions = ", ".join(f"{k} {v}" for k, v in sorted(card.redactions.items())) or "none"
    chart = f"![prompt lengths and parts]({card.chart})" if card.chart == "card.png" else f"_{card.chart}_"
    versions = ", ".join(f"`{k}` ({v})" for k, v in sorted(card.template_versions.items())) or "-"
    schemas = ", ".join(f"`{k}` ({v})" for k, v in sorted(card.schema_hashes.items())) or "-"
    return f"""# Student dataset: {card.capability}

Format `{card.format}`, dataset id `{card.dataset_id}`. Teacher: the legacy side's answers, captured by
`SAGEMAKER_<STEM>_CAPTURE` and redacted before they were written.

| part | examples |
|---|---|
{rows}
| **total** | **{total}** |

- captured examples read: {card.examples_read}; duplicates removed (same input hash, newest kept): {card.duplicates_removed}
- invalid teacher answers (did not fit the output schema; never stored): {card.invalid_teacher_answers}
- dropped at capture (queue full): {card.dropped_at_capture}; sampled out: {card.sampled_out}
- redactions: {redactions}
- template versions: {versions}; schema hashes: {schemas}
- prompt tokens (estimated at {CHARS_PER_TOKEN} characters per token): {tokens}; over the maximum input of
  {card.max_input_tokens}: {card.over_max_input}

The part of an example is decided by its input hash alone (10% test, 10% validation, 80% train), so
no input is in two parts and the test part never reaches training.

{chart}
"""
