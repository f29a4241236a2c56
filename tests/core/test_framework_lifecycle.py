"""A framework's threads, files and sockets end with it: counted before and after, never timed.

Each framework starts the mode refresher (``core/routing.py``), the evidence writer
(``observers/evidence.py``), the teacher-capture writer (``student/capture.py``), the response-cache writer
(``core/cache.py``) and, in shadow mode,
the shadow pool (``core/shadow.py``); its calls open HTTP connections to the endpoint, the state store's
SQLite file and a capture shard. ``Framework.close()`` must end every one of them; a framework dropped
without ``close()`` must not keep its threads (and the store connection they reopen) for the rest of
the process.
"""

from __future__ import annotations

import gc
import threading

import pytest

psutil = pytest.importorskip("psutil", reason="resource counts need psutil (dev extra)")

from adeptai_sagemaker.core.framework import Framework  # noqa: E402
from adeptai_sagemaker.core.settings import load_settings  # noqa: E402
from support.adapters import endpoint_name  # noqa: E402
from support.reliability import request_for  # noqa: E402

#: job_parser is captured (off: legacy answers and teaches), query_enhancer shadows, behavioral_analyzer is on
MODES = {"job_parser": "off", "query_enhancer": "shadow", "behavioral_analyzer": "on"}
CYCLES = 6
#: fds the in-process endpoint may still hold for a moment: the server end of a socket the client just closed
SERVER_SIDE_LAG = 2


def legacy_job():
    return {"mandatory_skills": ["Python"], "location": "Boston, MA"}


def build_and_use(url, tmp_path):
    caps = {c: {"endpoint": endpoint_name(c), "mode": mode, "max_attempts": 1, "max_reasks": 0,
                "capture": c == "job_parser", "cache": True} for c, mode in MODES.items()}
    settings = load_settings(env_file=None, aws_region="us-east-1", sagemaker_endpoint_url=url,
                             adeptai_sagemaker_cache_dir=tmp_path / "cache", adeptai_sagemaker_plugins="",
                             adeptai_sagemaker_state_dir=tmp_path / "state", capabilities=caps)
    fw = Framework(settings, load_entrypoints=False, cache=True)
    fw.call("job_parser", request_for("job_parser", "Python engineer in Boston"), legacy=legacy_job)
    fw.call("query_enhancer", request_for("query_enhancer", "python aws"), legacy=lambda: {"original_query": "x"})
    fw.call("behavioral_analyzer", request_for("behavioral_analyzer", "Seven years of Python and AWS"))
    fw.evidence.flush()  # the store's SQLite file is open now
    return fw


#: the names of the threads a framework starts (the local endpoint's server thread is not one of them)
FRAMEWORK_THREADS = ("adeptai-modes", "adeptai-evidence", "adeptai-capture", "adeptai-cache", "adeptai-shadow")


#: framework threads that were running before a test began: frameworks other tests still hold (a session's
#: fixtures) keep theirs, and those are not this test's to count
_OTHERS: set = set()


def ours():
    return [t for t in threading.enumerate() if t.name.startswith(FRAMEWORK_THREADS) and t not in _OTHERS]


@pytest.fixture(autouse=True)
def _only_this_tests_threads():
    gc.collect()  # frameworks other tests dropped: their threads end now
    _OTHERS.clear()
    _OTHERS.update(t for t in threading.enumerate() if t.name.startswith(FRAMEWORK_THREADS))
    yield
    _OTHERS.clear()


def counts(port):
    gc.collect()
    proc = psutil.Process()
    client = [c for c in proc.net_connections(kind="tcp") if c.raddr and c.raddr.port == port]
    return {"threads": threading.active_count(), "os_threads": proc.num_threads(), "fds": proc.num_fds(),
            "ours": len(ours()), "client_sockets": len(client)}


@pytest.fixture
def url_port(local_endpoint, aws_env):
    return local_endpoint.url, local_endpoint.port


def test_closed_frameworks_leave_no_thread_fd_or_socket(url_port, tmp_path):
    url, port = url_port
    build_and_use(url, tmp_path / "warm").close()  # lazy imports, the endpoint's own threads, logging handlers
    before = counts(port)
    for i in range(CYCLES):
        fw = build_and_use(url, tmp_path / str(i))
        assert {t.name.rstrip("_0123456789") for t in ours()} == set(FRAMEWORK_THREADS)
        assert counts(port)["client_sockets"] > 0
        fw.close()
        assert not ours(), [t.name for t in ours()]  # close() waited for every thread it started
        assert counts(port)["client_sockets"] == 0  # the runtime's connection pools are closed
    after = counts(port)
    assert after["threads"] <= before["threads"], (before, after)  # other tests' dropped frameworks may still end
    assert after["os_threads"] <= before["os_threads"], (before, after)
    # a leak costs at least one fd per cycle (SQLite file, shard, socket); the lag does not grow with cycles
    assert after["fds"] <= before["fds"] + SERVER_SIDE_LAG, (before, after)
    assert not [f.path for f in psutil.Process().open_files() if f.path.startswith(str(tmp_path))]


def test_a_dropped_framework_stops_its_threads_and_keeps_its_evidence(url_port, tmp_path):
    url, port = url_port
    fw = build_and_use(url, tmp_path)
    fw.call("job_parser", request_for("job_parser", "Go engineer"), legacy=legacy_job)  # buffered, not flushed
    fw.capture.flush()  # the capture writer is idle: it holds no answer of this framework
    store_path = fw.state_store.describe()
    threads = ours()
    assert threads
    del fw
    gc.collect()  # the framework is in reference cycles (its hooks): a collection finalizes it
    for thread in threads:
        thread.join(timeout=30)  # a bound for a stuck thread, not a timing claim
    assert not [t.name for t in threads if t.is_alive()]
    gc.collect()  # what the stopped threads held (the store and its SQLite connection) is garbage now
    assert not [f.path for f in psutil.Process().open_files() if f.path.startswith(str(tmp_path))]
    from adeptai_sagemaker.rollout.state.sqlite import SqliteStateStore

    store = SqliteStateStore(store_path.rsplit("/", 1)[0])
    try:  # the last call was written by the stopping writer, not lost with the framework
        assert store._read("SELECT COUNT(*) FROM calls WHERE capability = 'job_parser'")[0][0] == 2
    finally:
        store.close()
