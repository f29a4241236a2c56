"""Benchmarks and the side-by-side report (extra ``bench``).

- :mod:`.profiles`: published latency figures per backend, and the model that turns them into a delay.
- :mod:`.fake_apis`: OpenAI- and Anthropic-shaped servers on loopback, answering with the reference model.
- :mod:`.workload`: the measurements (overhead, cache, import, concurrency, side-by-side, quality).
- :mod:`.report`: markdown + PNG charts; :mod:`.cli`: the ``bench`` command.
"""
