"""Versioned Jinja prompt templates, one folder per capability (shipped as ``adeptai_sagemaker.prompts``)."""
