"""Runs every peer of bench/run.sh against one emulator process and writes
target/bench/results.json (then report.py turns it into docs/).

Each peer runs in a process of its own, one scenario per process, so its CPU
(the peer's own getrusage over the measured phase, and wait4's figure for the
whole process) and memory are its own. Peers run one after another: on a
2-core machine, side by side would mean measuring each other.

The emulator serves HTTPS with HTTP/2 offered by ALPN, as Bedrock does, under a
CA it makes at start; every peer trusts that CA the way its users would trust a
private one: AWS_CA_BUNDLE (the component's host, boto3; the native core and the
AWS SDK for Rust build their clients' trust stores from it) and
NODE_EXTRA_CA_CERTS (the AWS SDK for JavaScript, pi-ai). `--plain` runs over
plain HTTP instead, for comparison.
"""

import argparse
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "target"
BENCH = TARGET / "release" / "bedrock-bench"
EMULATOR = TARGET / "release" / "bedrock-emulator"
COMPONENT = TARGET / "wasm32-wasip2" / "release" / "bedrock_guest.wasm"
DECODE_GUEST = TARGET / "wasm32-wasip2" / "release" / "bedrock_decode_bench_guest.wasm"
CACHE = TARGET / "code-cache"
CA_FILE = TARGET / "bench" / "emulator-ca.pem"

FULL = {"ttfe_runs": 50, "ttfe_rounds": 5, "long_words": 100_000, "long_runs": 5, "levels": [1, 100, 1000], "words": 100,
        "slow_ms": 20, "decode_bytes": 200_000_000}
QUICK = {"ttfe_runs": 10, "ttfe_rounds": 2, "long_words": 20_000, "long_runs": 3, "levels": [1, 100, 1000], "words": 50,
         "slow_ms": 20, "decode_bytes": 50_000_000}

PEERS = {
    "wasm component": [str(BENCH), "wasm", "--component", str(COMPONENT), "--cache", str(CACHE)],
    "native core": [str(BENCH), "native"],
    "aws-sdk-rust": [str(BENCH), "sdk"],
    "aws-sdk-js": ["node", str(ROOT / "bench/node/peer.mjs"), "js-sdk"],
    "pi-ai": ["node", str(ROOT / "bench/node/peer.mjs"), "pi-ai"],
    "boto3": [sys.executable, str(ROOT / "bench/python/boto3_peer.py")],
}


def start_emulator(tls):
    """The emulator process and its endpoint; with `tls`, its CA is in CA_FILE."""
    command = [str(EMULATOR), "--port", "0"]
    if tls:
        CA_FILE.parent.mkdir(parents=True, exist_ok=True)
        command += ["--tls", "--ca-out", str(CA_FILE)]
    emulator = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = emulator.stdout.readline()
    endpoint = line.strip().rsplit(" ", 1)[-1]
    if not endpoint.startswith("https://" if tls else "http://"):
        emulator.kill()
        sys.exit(f"the emulator did not start: {line!r}")
    return emulator, endpoint


def peer_env(tls):
    """The environment of every peer: the example keys, no proxy, and over TLS
    the emulator's CA where each client looks for an extra one."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_REGION="us-east-1",
               AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "AWS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"):
        env.pop(name, None)
    if tls:
        env.update(AWS_CA_BUNDLE=str(CA_FILE), NODE_EXTRA_CA_CERTS=str(CA_FILE))
    return env


def run(command, env, timeout=900):
    """Runs one peer process in `env`; its JSON report (the last JSON line of stdout)."""
    started = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        stdout, stderr = child.communicate()
        return {"error": f"timed out after {timeout} s", "stderr": stderr[-2000:]}
    wall = time.monotonic() - started
    if child.returncode != 0:
        return {"error": f"exit {child.returncode}", "stderr": stderr[-2000:]}
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    report = json.loads(lines[-1])
    report["process_wall_s"] = wall
    return report


def children_usage():
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1e3


def measure(command, env, timeout=900):
    """`run`, plus the whole process's CPU (start-up included): peers run one
    at a time, so the growth of RUSAGE_CHILDREN is this child's."""
    before = children_usage()
    report = run(command, env, timeout)
    report["process_cpu_ms"] = children_usage() - before
    return report


def criterion_median_ns(group, name):
    for path in glob.glob(str(TARGET / "criterion" / group / "*" / "new" / "estimates.json")):
        if Path(path).parts[-3].replace("_", "+").replace(" ", "+") == name:
            with open(path) as f:
                return json.load(f)["median"]["point_estimate"]
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--plain", action="store_true", help="plain HTTP instead of TLS, for comparison")
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    peers = [p for p in args.peers.split(",") if p]
    emulator, endpoint = start_emulator(tls=not args.plain)
    env = peer_env(tls=not args.plain)
    results = {"settings": settings, "quick": args.quick, "tls": not args.plain, "endpoint": endpoint,
               "peers": {}}
    try:
        expected = lambda words: int(subprocess.check_output([str(BENCH), "reply-len", str(words)]))
        for peer in peers:
            command = PEERS[peer]
            print(f"==> {peer}", file=sys.stderr)
            entry = results["peers"][peer] = {}
            entry["concurrent"] = {}
            for n in settings["levels"]:
                c = measure(command + ["concurrent", endpoint, str(n), str(settings["words"]), str(settings["slow_ms"])], env)
                if "streams" in c:
                    c["kib_per_stream"] = (c["rss_peak_kib"] - c["rss_before_kib"]) / n
                    c["pss_kib_per_stream"] = (c["pss_peak_kib"] - c["pss_before_kib"]) / n
                    c["text_intact"] = c["chars"] == expected(settings["words"]) * c["completed"]
                    c["events_per_s"] = c["events"] / c["wall_s"]
                entry["concurrent"][str(n)] = c
                print(f"    x{n}: {c.get('kib_per_stream', c.get('error'))} KiB/stream, "
                      f"{c.get('completed')}/{n} complete", file=sys.stderr)
        first_events(peers, endpoint, env, settings, results)
        long_stream(peers, endpoint, env, settings, expected, results)
        print("==> decode throughput", file=sys.stderr)
        results["decode"] = measure([str(BENCH), "decode", endpoint, "--guest", str(DECODE_GUEST),
                                     "--total-bytes", str(settings["decode_bytes"])], env)
    finally:
        emulator.terminate()
        emulator.wait()
    results["component_bytes"] = COMPONENT.stat().st_size
    results["micro"] = {
        "instantiate_ns": criterion_median_ns("host", "instantiate+info"),
        "load_cached_ns": criterion_median_ns("host", "load-cached"),
        "load_compile_ns": criterion_median_ns("host", "load-compile"),
        "decode_native_ns": criterion_median_ns("decode", "native"),
    }
    results["machine"] = machine()
    results["date"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    out = TARGET / "bench" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"==> {out}", file=sys.stderr)


def first_events(peers, endpoint, env, settings, results):
    """Time to first event, warm (sequential calls of one client, over its
    pooled connection) and cold (a fresh client, connection and handshake per
    call): `ttfe_runs` streams per peer in `ttfe_rounds` rounds, the peers in
    turn in each round, so that no peer gets a quieter minute of the machine
    than the others. The median is over all of a peer's streams."""
    per_round = settings["ttfe_runs"] // settings["ttfe_rounds"]
    for key, scenario in (("ttfe", "ttfe"), ("ttfe_cold", "ttfe-cold")):
        rounds = {peer: [] for peer in peers}
        for turn in range(settings["ttfe_rounds"]):
            print(f"==> {scenario}, round {turn + 1} of {settings['ttfe_rounds']}", file=sys.stderr)
            for peer in peers:
                run = measure(PEERS[peer] + [scenario, endpoint, str(per_round)], env)
                if "ttfe_ms" not in run:
                    results["peers"][peer].setdefault(key, run)
                    continue
                rounds[peer].append(run["ttfe_ms"])
                print(f"    {peer}: {statistics.median(run['ttfe_ms'])} ms", file=sys.stderr)
        for peer, done in rounds.items():
            ms = [t for round_ms in done for t in round_ms]
            if ms and key not in results["peers"][peer]:
                results["peers"][peer][key] = {"ttfe_ms": ms, "median_ms": statistics.median(ms),
                                               "round_medians_ms": [statistics.median(r) for r in done]}


def long_stream(peers, endpoint, env, settings, expected, results):
    """The long stream, `long_runs` times per peer, the peers in turn in each
    round so that a slower moment of the machine falls on all of them; each
    peer keeps its median run by CPU, with every run's CPU beside it."""
    words = settings["long_words"]
    runs = {peer: [] for peer in peers}
    for turn in range(settings["long_runs"]):
        print(f"==> long stream, round {turn + 1} of {settings['long_runs']}", file=sys.stderr)
        for peer in peers:
            long = measure(PEERS[peer] + ["throughput", endpoint, str(words)], env)
            if "events" in long:
                long["events_per_s"] = long["events"] / long["wall_s"]
                long["cpu_ms_per_1000_events"] = long["cpu_ms"] / long["events"] * 1000
                long["text_intact"] = long["chars"] == expected(words)
            runs[peer].append(long)
            print(f"    {peer}: {long.get('cpu_ms_per_1000_events', long.get('error'))} CPU ms / 1,000 events",
                  file=sys.stderr)
    for peer, done in runs.items():
        failed = [run for run in done if "events" not in run]
        if failed:
            results["peers"][peer]["throughput"] = failed[0]
            continue
        by_round = [run["cpu_ms_per_1000_events"] for run in done]
        done.sort(key=lambda run: run["cpu_ms"])
        median = dict(done[len(done) // 2])
        median["text_intact"] = all(run["text_intact"] for run in done)
        median["cpu_ms_per_1000_events_by_round"] = by_round
        results["peers"][peer]["throughput"] = median


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    nproc = subprocess.check_output(["nproc"], text=True).strip()
    free = subprocess.check_output(["free", "-m"], text=True)
    versions = {
        "kernel": platform.release(),
        "rustc": subprocess.check_output(["rustc", "--version"], text=True).strip(),
        "node": subprocess.check_output(["node", "--version"], text=True).strip(),
        "python": platform.python_version(),
    }
    return {"cpu": model, "nproc": nproc, "free": free, **versions}


if __name__ == "__main__":
    main()
