"""The core: one framework object that routes every call (modes, kill switch, canary, shadow, fallback) and runs the model side (prompt, cache, breaker, retry, structured output)."""
