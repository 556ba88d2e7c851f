#!/usr/bin/env bash
# scripts/bench.d/dkim.sh: DKIM verifications per second (authsink dkim
# bench: one reused verifier, the key record answered from memory, no DNS),
# for a 10 KB message with one rsa-sha256-2048 and with one ed25519-sha256
# signature, and a 5 KB rsa-sha256 message for the project's goal (3x
# libopendkim's 7500/s), printed beside `openssl speed -seconds 3 rsa2048
# ed25519` verify figures from the same machine, with the ratio ours/openssl.
# Single-threaded on both sides, both counted per CPU second (openssl speed's
# default), so a loaded machine does not skew the ratio.  Bounded: each run
# is 3 CPU seconds, under `timeout`.  Env: AUTHSINK (the release binary);
# DKIM_BENCH_SECONDS.
set -euo pipefail
: "${AUTHSINK:?AUTHSINK must name the authsink binary}"
secs=${DKIM_BENCH_SECONDS:-3}

speed=$(timeout 120 openssl speed -seconds "$secs" rsa2048 ed25519 2>/dev/null)
# "rsa 2048 bits 0.000383s 0.000022s 2610.0 46205.4": verify/s is the last field.
ossl_rsa=$(awk '/^rsa 2048 bits/ {print $NF}' <<<"$speed")
ossl_ed=$(awk '/Ed25519/ {print $NF}' <<<"$speed")

ours() {  # ALGORITHM SIZE -> verifications/s
  timeout 120 "$AUTHSINK" dkim bench --algorithm "$1" --size "$2" --seconds "$secs" |
    sed -n 's/.*: \([0-9.]*\) verifications\/s/\1/p'
}
rsa10=$(ours rsa-sha256 10240)
ed10=$(ours ed25519-sha256 10240)
rsa5=$(ours rsa-sha256 5120)

printf '%-36s %14s %16s %8s\n' "case" "authsink/s" "openssl verify/s" "ratio"
row() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%-36s %14.0f %16.0f %8.2f\n", n, a, b, a / b }'; }
row "10 KB, rsa-sha256 2048" "$rsa10" "$ossl_rsa"
row "10 KB, ed25519-sha256" "$ed10" "$ossl_ed"
row "5 KB, rsa-sha256 2048" "$rsa5" "$ossl_rsa"
awk -v a="$rsa5" 'BEGIN { printf "goal: 5 KB rsa-sha256 at 3 x 7500/s = 22500/s per process: %.0f/s (%.2f of the goal)\n", a, a / 22500 }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (figures are per process, one thread)"
