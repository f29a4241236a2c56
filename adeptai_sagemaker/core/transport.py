"""The one set of transport defaults: every backend, setting and runtime client starts from these.

``settings.CapabilitySettings`` (what ``SAGEMAKER_<STEM>_*`` leaves unset),
``backends.base.Target``, ``backends.sagemaker.runtime.RuntimeConfig``, the
external-API backends and ``core.retry.RetryPolicy`` all read them here, so a
default changes in one line. Why these values:

- ``READ_TIMEOUT_S``: a real-time SageMaker container has 60 s to answer
  InvokeEndpoint; 70 s leaves room for the response to arrive.
- ``CONNECT_TIMEOUT_S``: a TCP/TLS connect that takes longer than 2 s is a
  network problem, better answered by a retry or the fallback.
- ``MAX_POOL_CONNECTIONS``: botocore's default of 10 would queue requests
  under the monolith's thread pools.
- Retry timing (``MAX_ATTEMPTS``, ``MAX_RETRY_TIME_S``, ``BACKOFF_*``): a few
  quick full-jitter retries; beyond that the fallback answers faster.
"""

from __future__ import annotations

CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 70.0
MAX_ATTEMPTS = 3
MAX_POOL_CONNECTIONS = 32
MAX_RETRY_TIME_S = 10.0  # seconds from the first attempt after which no new attempt starts
BACKOFF_BASE_S = 0.1
BACKOFF_MAX_S = 2.0
