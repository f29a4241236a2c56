"""The console command, held at a barrier right after its first read of the live modes (a racer of the race tests).

``promote`` reads a module's record (and so its version), decides, then writes naming that version. Run as
``python racing_cli.py ARGS...`` with ``RACE_BARRIER_DIR`` and ``RACE_PARTIES`` set, it writes the versions it
read to ``RACE_BARRIER_DIR/<pid>.json`` after that first read and waits until every party has done the same,
so all racers have read the same version before any of them writes. Nothing else in the command changes.
"""

import json
import os
import sys
import time
from pathlib import Path

from adeptai_sagemaker.cli import main
from adeptai_sagemaker.rollout.state.dynamodb import DynamoStateStore
from adeptai_sagemaker.rollout.state.sqlite import SqliteStateStore

BARRIER = Path(os.environ["RACE_BARRIER_DIR"])
PARTIES = int(os.environ["RACE_PARTIES"])
held = []


def _at_the_barrier(found: dict) -> None:
    (BARRIER / f"{os.getpid()}.tmp").write_text(json.dumps({cap: r.version for cap, r in found.items()}))
    (BARRIER / f"{os.getpid()}.tmp").rename(BARRIER / f"{os.getpid()}.json")  # whole or not at all
    deadline = time.monotonic() + 120
    while len(list(BARRIER.glob("*.json"))) < PARTIES:
        if time.monotonic() > deadline:
            sys.exit("racing_cli: the other racers never read")
        time.sleep(0.002)


def hold_after_first_read(cls) -> None:
    original = cls.modes

    def modes(self):
        found = original(self)
        if not held:
            held.append(True)
            _at_the_barrier(found)
        return found

    cls.modes = modes


hold_after_first_read(SqliteStateStore)
hold_after_first_read(DynamoStateStore)
sys.argv[0] = "adeptai-sagemaker"
main()
