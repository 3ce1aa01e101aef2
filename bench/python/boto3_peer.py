"""The boto3 peer of bench/run.sh: one scenario per run, one JSON line on
stdout with the same fields as `bedrock-bench` and bench/node/peer.mjs.

usage: boto3_peer.py ttfe ENDPOINT RUNS
       boto3_peer.py ttfe-cold ENDPOINT RUNS
       boto3_peer.py throughput ENDPOINT WORDS
       boto3_peer.py concurrent ENDPOINT STREAMS WORDS SLOW_MS

boto3 is synchronous, so concurrent streams run on a thread each (a pool of
STREAMS threads and as many pooled connections), the way a Python service
using boto3 would have to. Over TLS, botocore trusts the emulator's CA through
AWS_CA_BUNDLE, as its users trust a private one. ttfe-cold makes a fresh client
(a fresh connection pool) per stream, before its timer starts.
"""

import json
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"


def prompt(words, slow=0):
    if slow:
        return f"Hello [emulator words={words} slow={slow}]"
    return f"Hello [emulator words={words}]"


def cpu_ms():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1e3


def proc_kib(path, field):
    with open(path) as lines:
        for line in lines:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def rss_kib():
    return proc_kib("/proc/self/status", "VmRSS:")


def pss_kib():
    """Proportional set size (see bench/src/measure.rs)."""
    return proc_kib("/proc/self/smaps_rollup", "Pss:")


def client(endpoint, pool):
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 1}, max_pool_connections=pool, read_timeout=300),
    )


def stream(c, text):
    out = {"events": 0, "text": "", "first_event_ms": None, "error": None}
    start = time.perf_counter()
    try:
        response = c.converse_stream(
            modelId=MODEL,
            system=[{"text": "You are terse."}],
            messages=[{"role": "user", "content": [{"text": text}]}],
            inferenceConfig={"temperature": 0.5},
        )
        pieces = []
        for event in response["stream"]:
            if out["first_event_ms"] is None:
                out["first_event_ms"] = (time.perf_counter() - start) * 1e3
            out["events"] += 1
            delta = event.get("contentBlockDelta")
            if delta is not None:
                pieces.append(delta["delta"].get("text", ""))
        out["text"] = "".join(pieces)
    except (EventStreamError, ClientError) as e:
        out["error"] = e.response["Error"]["Code"]
    except Exception as e:  # a thread that cannot connect, say: tallied, not fatal
        out["error"] = type(e).__name__
    return out


def warm_up(c):
    out = stream(c, prompt(8))
    if out["error"]:
        sys.exit(f"warm-up stream failed: {out['error']}")


def ttfe(endpoint, runs, cold):
    """First-event times of `runs` sequential streams after 3 warm-ups: on the
    warmed client, or (`cold`) each on a fresh one made before its timer."""
    c = client(endpoint, 10)
    for _ in range(3):
        warm_up(c)
    ms = []
    for _ in range(runs):
        fresh = client(endpoint, 1) if cold else c
        out = stream(fresh, prompt(24))
        if cold:
            fresh.close()
        if out["error"]:
            sys.exit(f"ttfe stream failed: {out['error']}")
        ms.append(out["first_event_ms"])
    return ms


def main():
    mode, endpoint, *rest = sys.argv[1:]
    if mode in ("ttfe", "ttfe-cold"):
        report = {"ttfe_ms": ttfe(endpoint, int(rest[0]), cold=mode == "ttfe-cold")}
    elif mode == "throughput":
        words = int(rest[0])
        c = client(endpoint, 10)
        warm_up(c)
        cpu, start = cpu_ms(), time.perf_counter()
        out = stream(c, prompt(words))
        wall, cpu = time.perf_counter() - start, cpu_ms() - cpu
        if out["error"]:
            sys.exit(f"throughput stream failed: {out['error']}")
        report = {"events": out["events"], "chars": len(out["text"]), "wall_s": wall, "cpu_ms": cpu}
    elif mode == "concurrent":
        streams, words, slow = map(int, rest)
        c = client(endpoint, streams)
        warm_up(c)
        time.sleep(0.2)
        before, pss_before = rss_kib(), pss_kib()
        peak = [before, pss_before]
        sampler_cpu = [0.0]
        done = threading.Event()

        def sample():
            n = 0
            while not done.is_set():
                peak[0] = max(peak[0], rss_kib())
                if n % 10 == 0:
                    peak[1] = max(peak[1], pss_kib())
                n += 1
                time.sleep(0.005)
            # The sampling's own CPU is not the peer's (bench/src/measure.rs).
            sampler_cpu[0] = time.thread_time() * 1e3

        sampler = threading.Thread(target=sample)
        sampler.start()
        cpu, start = cpu_ms(), time.perf_counter()
        with ThreadPoolExecutor(max_workers=streams) as pool:
            outs = list(pool.map(lambda _: stream(c, prompt(words, slow)), range(streams)))
        wall, cpu = time.perf_counter() - start, cpu_ms() - cpu
        done.set()
        sampler.join()
        errors = {}
        for out in outs:
            if out["error"]:
                errors[out["error"]] = errors.get(out["error"], 0) + 1
        ok = [o for o in outs if not o["error"]]
        report = {
            "streams": streams,
            "completed": len(ok),
            "failed": streams - len(ok),
            "errors": errors,
            "events": sum(o["events"] for o in outs),
            "chars": sum(len(o["text"]) for o in ok),
            "rss_before_kib": before,
            "rss_peak_kib": max(peak[0], rss_kib()),
            "pss_before_kib": pss_before,
            "pss_peak_kib": max(peak[1], pss_kib()),
            "wall_s": wall,
            "cpu_ms": cpu - sampler_cpu[0],
            "sampler_cpu_ms": sampler_cpu[0],
        }
    else:
        sys.exit(f"unknown mode {mode}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
