"""The built-in reference model: deterministic rules over a real skill taxonomy.

``ReferenceModel().generate(prompt_text)`` answers a rendered capability prompt
with one schema-valid JSON object, labelled with ``PROVENANCE`` so nobody
mistakes it for an LLM. ``ReferenceModel().answer(task, blocks)`` does the same
from already-parsed data blocks.
"""

from adeptai_sagemaker_lab.reference_model.model import PROVENANCE, ReferenceModel, ReferenceModelInputError

__all__ = ["PROVENANCE", "ReferenceModel", "ReferenceModelInputError"]
