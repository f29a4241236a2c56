"""Where a rendered prompt is sent: SageMaker (real-time, streaming, async, the OpenAI-compatible route) or an external API (OpenAI, Anthropic)."""
