"""adeptai-sagemaker: move AdeptAI's LLM work to SageMaker endpoints, module by module.

Importing this package is cheap and never imports boto3; the runtime client
loads it on first use.
"""

__version__ = "0.1.0"
