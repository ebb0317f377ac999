#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-only
# Online relay (scenario a) against Svyaz and its peers in one go on this machine, RUNS times each,
# interleaved (svyaz, peer, peer, ..., svyaz, ...) so a change in the machine's load hits all
# systems alike. Prints every run's JSON to WORK and a table of medians with the ratio of Svyaz to
# each peer. Everything on loopback; each peer is started fresh for each run and stopped after it.
#   bench/compare.sh [USERS] [MESSAGES] [SIZE] [WINDOW] [RUNS]
# SYSTEMS (default "svyaz mosquitto ejabberd prosody") picks the systems; KEEP=1 keeps WORK.
# WARMUP=N first relays N messages through each freshly started server, unmeasured, so a JVM's JIT
# has compiled the hot paths (a long-running server's steady state); 0 (default) measures cold.
# RATE=N offers N msgs/s in all on a fixed schedule (open loop, `bench relay --rate`), so latency is
# compared at the same offered load; unset, every system runs as fast as its window allows.
# Svyaz runs as `./svyaz server` on the embedded store, as a user starts it (bench/peers/svyaz.sh).
set -eu
cd "$(dirname "$0")/.."
USERS=${1:-1000}; MESSAGES=${2:-200000}; SIZE=${3:-256}; WINDOW=${4:-16}; RUNS=${5:-3}
WARMUP=${WARMUP:-0}
SYSTEMS=${SYSTEMS:-svyaz mosquitto ejabberd prosody}
WORK=$(mktemp -d /tmp/svyaz-compare.XXXXXX)
PEER_DIR=""
PEER=""
cleanup() {
    if [ -n "$PEER_DIR" ]; then bench/peers/"$PEER".sh stop "$PEER_DIR" >/dev/null 2>&1 || true; fi
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
OPTIONS="--users $USERS --messages $MESSAGES --size $SIZE --window $WINDOW --json"
if [ -n "${RATE:-}" ]; then OPTIONS="$OPTIONS --rate $RATE"; fi

# warm_up TARGET-OPTIONS...: an unmeasured relay through the server just started, when WARMUP > 0.
warm_up() {
    [ "$WARMUP" -gt 0 ] || return 0
    ./svyaz bench relay "$@" --users "$USERS" --messages "$WARMUP" --size "$SIZE" --window "$WINDOW" \
        --seed 0 > /dev/null
}

run_one() {  # system, run number; writes WORK/system-run.json
    system=$1; run=$2; out="$WORK/$system-$run.json"
    echo "== $system, run $run (load average $(cut -d' ' -f1 /proc/loadavg))" >&2
    case "$system" in
        svyaz)
            PEER=svyaz; PEER_DIR="$WORK/svyaz-$run"; port=$(free_port)
            pid=$(bench/peers/svyaz.sh start "$PEER_DIR" "$port")
            link=$(cat "$PEER_DIR/data/invite.txt")
            warm_up --server "$link"
            # shellcheck disable=SC2086
            ./svyaz bench relay --server "$link" --server-pid "$pid" $OPTIONS --seed "$run" > "$out"
            bench/peers/svyaz.sh stop "$PEER_DIR" >/dev/null; PEER_DIR="" ;;
        mosquitto)
            PEER=mosquitto; PEER_DIR="$WORK/mosquitto-$run"; port=$(free_port)
            pid=$(bench/peers/mosquitto.sh start "$PEER_DIR" "$port" "$USERS")
            warm_up --mqtt "127.0.0.1:$port" --ca "$PEER_DIR/broker-cert.pem"
            # shellcheck disable=SC2086
            ./svyaz bench relay --mqtt "127.0.0.1:$port" --ca "$PEER_DIR/broker-cert.pem" --server-pid "$pid" \
                --peer-name mosquitto $OPTIONS --seed "$run" > "$out"
            bench/peers/mosquitto.sh stop "$PEER_DIR" >/dev/null; PEER_DIR="" ;;
        ejabberd|prosody)
            PEER=$system; PEER_DIR="$WORK/$system-$run"; port=$(free_port)
            pid=$(bench/peers/"$system".sh start "$PEER_DIR" "$port")
            warm_up --xmpp "127.0.0.1:$port" --ca "$PEER_DIR/cert.pem"
            # shellcheck disable=SC2086
            ./svyaz bench relay --xmpp "127.0.0.1:$port" --ca "$PEER_DIR/cert.pem" --server-pid "$pid" \
                --peer-name "$system" $OPTIONS --seed "$run" > "$out"
            bench/peers/"$system".sh stop "$PEER_DIR" >/dev/null; PEER_DIR="" ;;
        *) echo "unknown system $system" >&2; exit 1 ;;
    esac
}

run=1
while [ "$run" -le "$RUNS" ]; do
    for system in $SYSTEMS; do run_one "$system" "$run"; done
    run=$((run + 1))
done

# Medians per system, then Svyaz's ratio to each peer (msgs/s: Svyaz ÷ peer; CPU: peer ÷ Svyaz,
# so above 1 means Svyaz is better on both).
python3 - "$WORK" $SYSTEMS <<'PY'
import json, statistics, sys, glob, os
work, systems = sys.argv[1], sys.argv[2:]
rows = {}
for system in systems:
    reports = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(work, system + "-*.json")))]
    if not reports:
        continue
    med = lambda f: statistics.median(f(r) for r in reports)
    usage = [r["serverUsage"] for r in reports if r.get("serverUsage")]
    rows[system] = {
        "runs": len(reports),
        "msgs": med(lambda r: r["deliveredPerSecond"]),
        "p50": med(lambda r: r["latency"]["p50"]),
        "p99": med(lambda r: r["latency"]["p99"]),
        "p999": med(lambda r: r["latency"]["p999"]),
        "cpu": statistics.median(u["cpuMicrosPerDelivered"] for u in usage) if usage else None,
        "rss": statistics.median(u["rssPerConnection"] for u in usage) / 1024 if usage else None,
        "lost": sum(r["ledger"]["lost"] for r in reports),
        "dup": sum(r["ledger"]["duplicates"] for r in reports),
        "rejected": sum(r["ledger"]["rejected"] for r in reports),
        "all": ", ".join("%.0f" % r["deliveredPerSecond"] for r in reports),
    }
print("| system | runs | msgs/s (median; each run) | p50 ms | p99 ms | p99.9 ms | server CPU µs/msg | RSS/conn KiB | lost | dup | rejected |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for system, r in rows.items():
    cpu = "%.1f" % r["cpu"] if r["cpu"] is not None else "-"
    rss = "%.1f" % r["rss"] if r["rss"] is not None else "-"
    print("| %s | %d | %.0f (%s) | %.1f | %.1f | %.1f | %s | %s | %d | %d | %d |" % (system, r["runs"], r["msgs"],
          r["all"], r["p50"], r["p99"], r["p999"], cpu, rss, r["lost"], r["dup"], r["rejected"]))
if "svyaz" in rows:
    s = rows["svyaz"]
    print()
    for system, r in rows.items():
        if system == "svyaz":
            continue
        cpu = "%.2f" % (r["cpu"] / s["cpu"]) if r["cpu"] and s["cpu"] else "-"
        print("- Svyaz ÷ %s: msgs/s %.2f×, p99 latency %.2f× (below 1 is better), server CPU per message: %s× "
              "(peer ÷ Svyaz, above 1 is better)" % (system, s["msgs"] / r["msgs"], s["p99"] / r["p99"], cpu))
PY
