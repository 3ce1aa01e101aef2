"""Writes docs/benchmarks.md, docs/benchmarks.png and
docs/benchmarks-headline.md from target/bench/results.json (bench/run.sh)
and target/bench/soak.json (bench/soak.sh), whichever exist."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "target/bench/results.json"
SOAK = ROOT / "target/bench/soak.json"
DOCS = ROOT / "docs"
WASM, NATIVE, JS = "wasm component", "native core", "aws-sdk-js"
MIB = 1024 * 1024


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def ratio(a, b):
    return a / b if a and b else None


def per_stream(peer, level, key="pss_kib_per_stream"):
    """Memory per stream at `level` concurrent streams (PSS by default, see
    the report's text), or None when not every stream completed."""
    c = peer.get("concurrent", {}).get(str(level), {})
    return c.get(key) if c.get("completed") == c.get("streams") else None


def first_event(peer, key="ttfe"):
    """Median time to first event: warm (`ttfe`, a pooled connection) or cold
    (`ttfe_cold`, a fresh client and connection per call)."""
    return peer.get(key, {}).get("median_ms")


def by_round(a, b, series):
    """The component's figure over a peer's in each round of the run, from
    `series(peer)` (one figure per round), or None without them. The peers
    took turns within a round, minutes apart at most, so a slow spell of the
    machine falls on both sides of a round's ratio; the spread of the ratios
    says how far the run's verdict can be trusted."""
    xs, ys = series(a), series(b)
    if not xs or not ys or len(xs) != len(ys):
        return None
    return [x / y for x, y in zip(xs, ys) if x and y] or None


def round_medians(key="ttfe"):
    return lambda peer: peer.get(key, {}).get("round_medians_ms")


def cpu_by_round(peer):
    return peer.get("throughput", {}).get("cpu_ms_per_1000_events_by_round")


def trickling_cpu(peer, level):
    """CPU ms per 1,000 events of the memory run at `level` streams: each
    event arrives on its own, so each pays the whole way from the socket to
    the caller, as a model's tokens do."""
    c = peer.get("concurrent", {}).get(str(level), {})
    return c.get("events") and c["cpu_ms"] / c["events"] * 1000


def best(peers, figure):
    """The lowest `figure(peer)` among `peers` and whose it is, as
    (figure, name); (None, None) when no peer has one."""
    figures = ((figure(p), n) for n, p in peers.items())
    return min(((v, n) for v, n in figures if v), default=(None, None))


def top_level(results):
    levels = results["settings"]["levels"]
    return max(levels)


# Why a target is missed, as far as the measurements show; printed under the
# targets table for each one a run misses.
WHY_MISSED = {
    "Warm first event vs aws-sdk-rust":
        "Sequential streams of one configuration start on the instance the last one left idle, so a warm "
        "call does not instantiate. Host timestamps along 303 warm streams (medians, by hand on a release "
        "build, the scenario in a runtime task) show where the rest goes: the start reached the instance's "
        "driver in 2 µs; the guest's `converse-stream` took 68 µs (credentials, request body, SigV4, the "
        "request and its body handed to the host; 18 µs of it in its 19 host calls, against 20 µs for the "
        "native core's same work; SHA-256 in software, wasm having no SHA instructions, is about 9 µs of it); "
        "the host's request task ran 6 µs after it; the round trip to the response head took 270 µs (the "
        "same for every peer); and the first batch reached the caller 48 µs after the head. Of those 48: "
        "the driver woke 11 µs after the body's first bytes (wasmtime-wasi-http's `handle` spawns one more "
        "task per response, for the connection, before the response is ready), the guest's first `next` "
        "took 18 to 20 µs, and in 258 of 303 streams it already had the events, since what comes with the "
        "head is read with it. The figure moves between runs and with the machine's load: in interleaved "
        "rounds on one build the component's median ranged from 0.39 to 0.47 ms, aws-sdk-rust's from 0.33 "
        "to 0.39.",
    "Cold first event vs the best peer":
        "A cold call is a new client in a running process: for the component, the loaded plugin under a host "
        "with a connection pool and instances of its own (`Host::with_outbound`). It pays the TLS handshake "
        "and HTTP/2 set-up, as every peer does, and a new instance. Host timestamps along 153 cold streams "
        "(medians, by hand on a release build, the scenario in a runtime task) put the request in the host's "
        "client 140 µs after the call began: 42 µs to a running instance (instantiation 28, a third of it "
        "type-checking the plugin's exports, and 13 in spawning its driver task), then the guest's first "
        "`converse-stream`, 90 µs (68 on a warm instance). TCP, TLS and the round trip to the response head "
        "then took 881 µs, and the first event came 61 µs after the head. The native core prepares its "
        "request in about 20 µs and connects at once; the component cannot connect before the guest has "
        "chosen the endpoint and signed the request, so its start comes before the handshake rather than "
        "beside it. The instance pool keeps an ended instance's dirty pages (up to 256 KiB) resident for the "
        "next instance in its slot, which took away the page faults (about 55 µs a new instance) and the "
        "`madvise` with its TLB shootdown (about 73 µs); a cold stream now takes 0.35 page faults.",
    "CPU per 1,000 events, long stream, vs the best peer":
        "The cost is user CPU in the guest: the host's wake-ups are few (for 100,000 events 57 futex and 187 "
        "epoll_wait calls, against aws-sdk-rust's 22 and 241). The scenario runs in a task on the runtime, as "
        "a gateway's handler does; when it ran on the main thread, every peer's body reader woke it across "
        "threads, which cost the native peers more than the component (five interleaved runs each, CPU ms "
        "per 1,000 events, main thread then task: aws-sdk-rust 2.11 and 1.63, the native core 1.14 and "
        "0.87, the component 1.66 and 1.53). Within one run the two are close, and the machine's load "
        "moves either by more than their difference. A profile of the component's long stream (300,000 "
        "events, the scenario in a runtime task) put 41% of samples in guest code, 25% in the host, 20% in "
        "the kernel and 14% in libc (memmove 9.6%).",
    "CPU per 1,000 events, long stream, vs native Rust (same core)":
        "The guest's decoding: the same decoder runs slower inside the component than natively, by about "
        "the same factor (the decode figures below: about 1.7 to 2 times fewer bytes a second in the guest). With the "
        "scenario in a runtime task, the native core reads and decodes in its caller's own task, the way a "
        "native client runs in production, and the ratio shows the sandbox's whole cost: it was 1.22 when "
        "the native core's reads woke a caller on the main thread. The same profile, with the guest's "
        "functions named (`HostConfig::perf_map`): software CRC32 7.5% of all samples "
        "(`crc32fast::baseline`; wasm has no carry-less multiply, the native core's uses `pclmulqdq`, "
        "2.2% of its own), header parsing 6.4% and the UTF-8 checks of header names and values under it "
        "4.3%, serde_json about 13%, the frame decoder's own loop 2.4%. Since that profile the decoder walks "
        "each frame's headers once instead of three times (`bedrock-bench decode` inside the component: "
        "270 to 311 MB/s, medians of five interleaved runs) and checks each payload's UTF-8 once instead of "
        "once per JSON string (315 to 327 MB/s, eleven runs); the native core gained more from the first "
        "(512 to 642 MB/s). wasmtime compiles a `memory.copy` "
        "of unknown length into a call out of the guest, but building the guest without bulk memory (its "
        "copies are then loops in wasm) did not make it decode faster: 258 to 272 MB/s with bulk memory, 245 "
        "to 265 without, four interleaved runs each of `bedrock-bench decode`.",
    "CPU per 1,000 events, trickling":
        "Each trickled event crosses the sandbox on its own. Its bytes wake the host's read-ahead task, which "
        "wakes the instance's driver; the driver polls the stream's pollable, drops the two pollables the "
        "guest handed out, and calls the guest's `next`, which reads the body and checks its clock through "
        "about six host calls and decodes the event; the batch goes to the caller's task, and the driver "
        "calls the guest's `subscribe`, which makes two new pollables (the body's and its between-bytes "
        "deadline's). A profile with DWARF call graphs of 1,000 trickling streams (profiling build, the "
        "guest's functions named) put 29% of the samples in the instances' driver tasks (polling pollables, "
        "which also moves the body's bytes, 10.4%; dropping them 5.0%, of which wasmtime's "
        "`ResourceTable::delete_entry` 3.0%; the driver's own code 6.1%), about 7% in the guest's calls, 11% "
        "in h2's connection task, 5.5% in the read-ahead tasks and 5% in the callers. The component makes no "
        "more system calls than the native core (`strace -c`: 5,847 futex and 4,261 `epoll_wait` calls "
        "against 8,359 and 4,452; `perf stat`: 10,799 context switches against 20,721): the extra is user "
        "CPU in that per-event machinery. Two host-side changes made no difference (interleaved runs, CPU "
        "ms per 1,000 events): polling waiting streams for their deadlines every second instead of every "
        "100 ms (14.8, 14.0, 15.2 against 15.5, 13.7, 13.7), and reading the body without the read-ahead "
        "task (10.2, 12.4, 13.5, 15.2 against 10.9, 11.9, 12.9, 12.5). The WIT has the host drop the "
        "pollables before each `next`, because they are children of the body stream, which the guest drops "
        "when the stream ends. Keeping them across events, or fusing `next` and `subscribe`, is a change of "
        "the contract, and it would not halve the cost: with the driver calling `subscribe` twice for each "
        "event (an experiment; the first call's pollables dropped unpolled), 1,000 trickling streams took "
        "14.1 ms of CPU per 1,000 events against 11.6 (medians of five interleaved runs, aws-sdk-rust 5.0 "
        "in the same rounds), so a `subscribe` with its two pollables costs about 2.5 of them. A guest that "
        "handed out the body's pollable without its deadline's took 11.0, within the noise. WASI 0.3's "
        "streams would do without the pollables altogether.",
    "Memory (PSS) per concurrent stream":
        "Streams of one configuration share an instance (64 each by default), and what each stream holds was "
        "cut: the host's read-ahead hands its data over in buffers of the data's size instead of keeping a "
        "burst's capacity, the stream's channels and futures are boxed, and the guest drops the request and "
        "credentials once the first event is out. Before that, per stream at 1,000: guest memory about "
        "9.5 KiB, read-ahead buffers 8.2, channels 4.5, the caller's future 2.8, h2's receive buffer 2.4. "
        "The figure rises when the machine is busy: late readers build a backlog in the read-ahead and in "
        "the guest's decoder buffer, which keeps its largest capacity.",
    "Instantiation (warm pre-instance, + `info` call)":
        "The figure includes a call into the guest and a fresh WASI context: 67 µs in the previous run, "
        "49 µs on 2026-11-22 with a 903 KB component. A stream on a kept instance does not pay it. Not "
        "profiled.",
}


def why_missed(rows):
    notes = [f"- **{name}**: {WHY_MISSED[key]}" for name, _, _, _, verdict in rows if verdict != "met"
             for key in WHY_MISSED if name.startswith(key)]
    return ["Where a target is missed, why:", "", *notes, ""] if notes else []


def targets(results):
    peers = results["peers"]
    wasm, native = peers.get(WASM, {}), peers.get(NATIVE, {})
    cpu = lambda p: p.get("throughput", {}).get("cpu_ms_per_1000_events")
    top = top_level(results)
    micro = results.get("micro", {})
    c1000 = wasm.get("concurrent", {}).get("1000", {})
    # The cold first event is judged against the native core too; the others
    # against the clients the component replaces.
    cold_ms, cold_peer = best({n: p for n, p in peers.items() if n != WASM},
                              lambda p: first_event(p, "ttfe_cold"))
    sdks = {n: p for n, p in peers.items() if n not in (WASM, NATIVE)}
    cpu_best, cpu_peer = best(sdks, cpu)
    sdk_rust, cold_best, cpu_best_peer = (peers.get(n, {}) for n in ("aws-sdk-rust", cold_peer, cpu_peer))
    trickle_best, trickle_peer = best(sdks, lambda p: trickling_cpu(p, top))
    pss_best, pss_peer = best(sdks, lambda p: per_stream(p, top))
    rows = [
        ("Warm first event vs aws-sdk-rust", "within 1.2x",
         ratio(first_event(wasm), first_event(sdk_rust)), lambda r: r <= 1.2,
         "component ÷ aws-sdk-rust = {:.2f}", by_round(wasm, sdk_rust, round_medians())),
        ("Cold first event vs the best peer" + (f" ({cold_peer})" if cold_peer else ""), "within 1.2x",
         ratio(first_event(wasm, "ttfe_cold"), cold_ms), lambda r: r <= 1.2, "component ÷ best = {:.2f}",
         by_round(wasm, cold_best, round_medians("ttfe_cold"))),
        ("CPU per 1,000 events, long stream, vs the best peer" + (f" ({cpu_peer})" if cpu_peer else ""), "at most 1x",
         ratio(cpu(wasm), cpu_best), lambda r: r <= 1, "component ÷ best = {:.2f}",
         by_round(wasm, cpu_best_peer, cpu_by_round)),
        (f"CPU per 1,000 events, trickling ({top:,} streams), vs the best peer"
         + (f" ({trickle_peer})" if trickle_peer else ""), "at most 1x",
         ratio(trickling_cpu(wasm, top), trickle_best), lambda r: r <= 1, "component ÷ best = {:.2f}", None),
        (f"Memory (PSS) per concurrent stream vs the best peer ({pss_peer}, at {top})", "at most 1x",
         ratio(per_stream(wasm, top), pss_best), lambda r: r <= 1, "component ÷ best = {:.2f}", None),
        ("CPU per 1,000 events, long stream, vs native Rust (same core)", "within 1.5x",
         ratio(cpu(wasm), cpu(native)), lambda r: r <= 1.5, "component ÷ native = {:.2f}",
         by_round(wasm, native, cpu_by_round)),
        ("Instantiation (warm pre-instance, + `info` call)", "< 50 µs",
         micro.get("instantiate_ns") and micro["instantiate_ns"] / 1e3, lambda v: v < 50, "{:.1f} µs", None),
        ("Cached load (`Host::new`, warm code cache)", "< 20 ms",
         micro.get("load_cached_ns") and micro["load_cached_ns"] / 1e6, lambda v: v < 20, "{:.2f} ms", None),
        ("Component size", "< 2 MiB", results["component_bytes"] / MIB, lambda v: v < 2, "{:.2f} MiB", None),
        ("1,000 concurrent streams, every one complete", "1000/1000",
         c1000.get("completed"), lambda v: v == 1000 and c1000.get("text_intact"), "{}/1000", None),
    ]
    out = []
    for name, goal, value, ok, form, rounds in rows:
        shown = form.format(value) if value is not None else "not measured"
        spread = "–" if not rounds else (f"{min(rounds):.2f} to {max(rounds):.2f}, "
                                         f"met in {sum(1 for r in rounds if ok(r))} of {len(rounds)}")
        verdict = "–" if value is None else ("met" if ok(value) else "**missed**")
        out.append((name, goal, shown, spread, verdict))
    return out


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def peer_rows(results):
    peers = results["peers"]
    native_ttfe = first_event(peers.get(NATIVE, {}))
    top = top_level(results)
    rows = []
    for name, p in peers.items():
        th = p.get("throughput", {})
        trickle = trickling_cpu(p, top)
        row = [name, fmt(first_event(p), 2), fmt(ratio(first_event(p), native_ttfe), 2),
               fmt(first_event(p, "ttfe_cold"), 2),
               fmt(th.get("events_per_s"), 0), fmt(th.get("cpu_ms_per_1000_events"), 2), fmt(trickle, 1),
               "yes" if th.get("text_intact") else ("–" if "error" in th else "no")]
        for n in results["settings"]["levels"]:
            c = p.get("concurrent", {}).get(str(n), {})
            if "streams" not in c:
                row.append("failed: " + c.get("error", "?"))
            else:
                done = "" if c["completed"] == n else f" ({c['completed']}/{n} complete)"
                row.append(fmt(c["kib_per_stream"], 0) + " / " + fmt(c.get("pss_kib_per_stream"), 0) + done)
        rows.append(row)
    return rows


def long_runs(results):
    """Every long-stream run's CPU per 1,000 events, for the spread behind each median."""
    runs = [f"{name} {', '.join(fmt(v, 2) for v in sorted(cpu_by_round(p)))}"
            for name, p in results["peers"].items() if cpu_by_round(p)]
    return ["Long stream, CPU ms per 1,000 events in every run, lowest first: " + "; ".join(runs) + ".", ""] \
        if runs else []


def plot(results):
    levels = results["settings"]["levels"]
    fig, (mem, thr) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, p in results["peers"].items():
        xs, kib, eps = [], [], []
        for n in levels:
            c = p.get("concurrent", {}).get(str(n), {})
            if "streams" in c:
                xs.append(n)
                kib.append(max(c.get("pss_kib_per_stream") or 0, 0.1))
                eps.append(c["events_per_s"])
        mem.plot(xs, kib, marker="o", label=name)
        thr.plot(xs, eps, marker="o", label=name)
    for ax, title, unit in ((mem, "Peak PSS per concurrent stream", "KiB per stream"),
                            (thr, "Events delivered per second", "events/s")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("concurrent streams")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    mem.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(DOCS / "benchmarks.png", dpi=110)


def soak_section(soak):
    rss = soak.get("rss", [])
    kib = [s["rss_kib"] for s in rss]
    # Growth is judged while streams are still being started: once the last
    # one has started, the host drains and RSS falls, which is not a trend.
    steady = [s["rss_kib"] for s in rss if s["started"] < soak["started"]] or kib
    third = max(len(steady) // 3, 1)
    early, late = steady[third:2 * third] or steady[:1], steady[-third:]
    growth = (sum(late) / len(late) - sum(early) / len(early)) / 1024 if steady else None
    swaps = soak.get("swaps", [])
    failed = ", ".join(f"{k}: {v:,}" for k, v in soak.get("failed", {}).items()) or "none"
    lines = [
        "## Soak",
        "",
        f"{soak['concurrency']:,} concurrent streams through one `Host` for {soak['duration_s'] / 60:.1f} min"
        + (" over TLS (the host's pooled connection, HTTP/2 by ALPN), "
           if soak.get("endpoint", "").startswith("https://") else " over plain HTTP, ") +
        f"{soak['words']} words each, one every {soak['slow_ms']} ms; one stream in "
        f"{round(1 / soak['fault_share'])} carries a fault, in turn: {', '.join('`' + f + '`' for f in soak['faults'])}.",
        "",
        table(["figure", "value"], [
            ["streams started", fmt(soak["started"])],
            ["completed (text equal to `reply_text(n)`)", fmt(soak["completed"])],
            ["failed with a typed error, by kind", failed],
            ["events lost or duplicated (streams whose text was not the script's)", fmt(soak["lost_or_duplicated"])],
            ["hot swaps (ok / attempted)", f"{sum(1 for s in swaps if not s['error'])} / {len(swaps)}"],
            ["RSS min / max", f"{min(kib) / 1024:.1f} / {max(kib) / 1024:.1f} MiB" if kib else "–"],
            ["RSS growth under load, last third vs middle third", f"{growth:+.1f} MiB" if growth is not None else "–"],
        ]),
        "",
        "RSS over time (MiB): " + ", ".join(f"{s['t_s']:.0f}s {s['rss_kib'] / 1024:.0f}" for s in rss[:: max(len(rss) // 24, 1)]),
        "",
    ]
    return "\n".join(lines)


def main():
    DOCS.mkdir(exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else None
    soak = json.loads(SOAK.read_text()) if SOAK.exists() else None
    parts = ["# Benchmarks", "",
             "Generated by `bash bench/run.sh` (and `bash bench/soak.sh` for the soak); do not edit by hand.", ""]
    if results:
        s, m = results["settings"], results["machine"]
        micro, decode = results.get("micro", {}), results.get("decode", {})
        target_rows = targets(results)
        parts += [
            f"Run {results['date']}{' in quick mode (`--quick`)' if results['quick'] else ''} on "
            f"{m['cpu']}, {m['nproc']} cores, kernel {m['kernel']}; {m['rustc']}, Node {m['node']}, Python {m['python']}.",
            "", "```", m["free"].rstrip(), "```", "",
            "Every peer ran in its own process against the project's emulator (`bedrock-emulator`, a process of its "
            "own on loopback), one peer at a time, with the same scripted streams. CPU is the peer's own getrusage "
            "(user + sys) over the measured phase; memory is the peer's RSS sampled every 5 ms and PSS every 50 ms, "
            "and the CPU of that sampling (measured on its own) is taken out of the peer's.",
            "",
            ("Transport: HTTPS, as Bedrock serves it: TLS with HTTP/2 offered by ALPN, under a CA the emulator made "
             "at start, which every peer trusts the way its users trust a private one (`AWS_CA_BUNDLE` for the "
             "component's host and boto3, the same file in the HTTP client's trust store for the native core and "
             "the AWS SDK for Rust, `NODE_EXTRA_CA_CERTS` for the AWS SDK for JavaScript and pi-ai)."
             if results.get("tls", False) else
             "Transport: plain HTTP on loopback (`--plain`): no TLS handshake, and HTTP/2 only where a client "
             "speaks h2c."),
            "",
            "## Targets", "",
            table(["target", "goal", "measured", "round by round", ""], target_rows), "",
            "Round by round: the same ratio within each round of the run (the peers took turns in every "
            "round), lowest to highest, and in how many rounds it met the goal. The verdict is the whole "
            "run's; the rounds say how far the machine's noise could have moved it.", "",
            *why_missed(target_rows),
            "## Peers", "",
            f"Time to first event: median of {s['ttfe_runs']} sequential streams, taken in "
            f"{s.get('ttfe_rounds', 1)} rounds with the peers in turn (each round after 3 warm-ups), warm (one "
            "client, its pooled connection; with its ratio to the native core) and cold (a fresh client per "
            "stream, made before the timer starts: a new connection and handshake, not a process start; for the "
            "component, the loaded plugin under a host with a connection pool and instances of its own, "
            "`Host::with_outbound`; pi-ai "
            f"builds a client per call, so its warm figure is cold too). Long stream: one reply of {s['long_words']:,} one-word deltas, "
            f"streamed {s.get('long_runs', 1)} times by each peer, the peers taking turns in each round; the run "
            "with each peer's median CPU is shown, and its CPU per 1,000 events is the long-stream targets'. Trickling: the CPU of the memory run at "
            f"{max(s['levels']):,} streams per 1,000 of its events, each arriving on its own as a model's tokens do, "
            "so that every event pays the whole way from the socket to the caller (the trickling target's figure). Memory: "
            f"(peak − before) / N for N overlapping streams of {s['words']} deltas, one every {s['slow_ms']} ms, "
            "as RSS / PSS. PSS (proportional set size) counts a page mapped several times once, which is the "
            "memory the machine really spends; RSS counts it once per mapping, and wasmtime maps the "
            "component's copy-on-write memory image into every instance (with 1,000 instances, RssShmem "
            "alone grew by about 90 MB for pages that exist once). The memory target is judged on PSS.",
            "",
            table(["peer", "first event, warm (ms)", "warm vs native", "first event, cold (ms)", "events/s",
                   "CPU ms / 1,000 events", f"CPU ms / 1,000 events, {max(s['levels']):,} trickling", "text intact"]
                  + [f"KiB / stream at {n:,} (RSS / PSS)" for n in s["levels"]], peer_rows(results)),
            "", *long_runs(results),
            "![memory and throughput against concurrency](benchmarks.png)", "",
            "## Host and decoder", "",
            table(["figure", "value"], [
                ["component size", f"{results['component_bytes']:,} bytes ({results['component_bytes'] / MIB:.2f} MiB)"],
                ["instantiate from the warm pre-instance + `info` call (criterion median)",
                 fmt(micro.get("instantiate_ns") and micro["instantiate_ns"] / 1e3, 2) + " µs"],
                ["`Host::new`, warm code cache", fmt(micro.get("load_cached_ns") and micro["load_cached_ns"] / 1e6, 2) + " ms"],
                ["`Host::new`, first compile (no cache)", fmt(micro.get("load_compile_ns") and micro["load_compile_ns"] / 1e6, 0) + " ms"],
                ["event-stream decode, native", fmt(decode.get("native", {}).get("mb_per_s"), 0) + " MB/s"],
                ["event-stream decode, inside the component", fmt(decode.get("guest", {}).get("mb_per_s"), 0) + " MB/s"],
            ]), "",
            "Decode throughput: a ConverseStream body captured from the emulator, decoded in 64 KiB chunks by "
            "bedrock-core's decoder, natively and inside `test-guests/decode-bench` (timed with the guest's "
            "monotonic clock), over the same bytes.", "",
        ]
        failures = [(n, k, v) for n, p in results["peers"].items() for k, v in
                    [("ttfe", p.get("ttfe", {})), ("ttfe cold", p.get("ttfe_cold", {})),
                     ("throughput", p.get("throughput", {}))]
                    + [(f"concurrent {l}", c) for l, c in p.get("concurrent", {}).items()]
                    if "error" in v or (v.get("failed") or 0) > 0]
        if failures:
            parts += ["## Failures", ""]
            for name, what, v in failures:
                detail = v.get("error") or json.dumps(v.get("errors"))
                parts.append(f"- {name}, {what}: {detail} {v.get('stderr', '')[-300:].strip()}".rstrip())
            parts.append("")
        plot(results)
        (DOCS / "benchmarks-headline.md").write_text(headline(results) + "\n")
    if soak:
        parts.append(soak_section(soak))
    parts += ["## Commands", "", "```", "bash bench/run.sh          # full run (bench/run.sh --quick: a smaller one)",
              "bash bench/soak.sh 10      # the soak (bench/soak.sh --quick: one minute)", "```", ""]
    (DOCS / "benchmarks.md").write_text("\n".join(parts))


def headline(results):
    peers = results["peers"]
    top = top_level(results)
    rows = []
    for name in (WASM, NATIVE, "aws-sdk-rust", JS, "pi-ai", "boto3"):
        p = peers.get(name)
        if not p:
            continue
        th = p.get("throughput", {})
        rows.append([name, fmt(first_event(p), 2), fmt(first_event(p, "ttfe_cold"), 2),
                     fmt(th.get("cpu_ms_per_1000_events"), 1), fmt(trickling_cpu(p, top), 1),
                     fmt(per_stream(p, top, "kib_per_stream"), 0), fmt(per_stream(p, top), 0)])
    return table(["client", "first event, warm (ms)", "first event, cold (ms)", "CPU ms / 1,000 events, long stream",
                  f"CPU ms / 1,000 events, {top:,} trickling",
                  f"RSS KiB / stream at {top:,} streams", f"PSS KiB / stream at {top:,} streams"], rows) + \
        f"\n\nComponent {results['component_bytes'] / MIB:.2f} MiB. Details: [docs/benchmarks.md](docs/benchmarks.md)."


if __name__ == "__main__":
    main()
