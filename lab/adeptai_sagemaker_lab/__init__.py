"""The lab: what runs beside the product, never inside the monolith.

The local endpoint (``lab.server``: the SageMaker container contract, the
runtime API and the real containers' wire dialects), the rule-based reference
model (``lab.reference_model``, a stand-in labelled as such in every answer),
the benchmark workloads and fake external APIs (``lab.bench``), the demo and
the evaluation harness. Installed with the ``lab`` extra; the product path
(settings, framework, pipeline, runtime, codecs, adapters) never imports it.
"""
