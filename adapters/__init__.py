"""Drop-in replacements for the five AdeptAI monolith modules (shipped as ``adeptai_sagemaker.adapters``)."""
