"""The SageMaker transport: the boto3 runtime, async inference, bearer tokens, sticky sessions and the container codecs."""
