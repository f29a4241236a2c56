"""Helpers shared by the test suite (``from support.<module> import ...``; ``tests/`` is on ``sys.path``
because ``tests/conftest.py`` lives there). Fixtures every part uses are in ``tests/conftest.py``;
``tests/README.md`` maps the parts to their folders."""
