#!/bin/bash
# Online DDL under a write workload (issue 15), with the shardkit CLI only:
# a local topology (2 clusters, 1 replica each, 240 shards), the built-in schema, optionally SEED orders written
# straight into the shards' tables by benchmarks/online-ddl-seed.py (SQL INSERT ... SELECT from MariaDB's SEQUENCE
# engine: order IDs with the right genes, the merchant copy and the items; 1,000,000 orders in a few minutes instead of
# the ~50 minutes a bench fill would take), a fill (a bench of FILL_S seconds; 0 skips it), a baseline bench, then the
# same bench with `schema apply --sql` adding a nullable column to all 240 shards starting DDL_DELAY_S s in, then the
# same bench again after the roll-out.
# Usage, from the repository root after `dotnet build ShardKit.sln -c Release`:
#   benchmarks/online-ddl.sh OUTDIR [FILL_S] [BENCH_S] [DDL_DELAY_S] [SEED_ORDERS] [ROUNDS]
#   benchmarks/online-ddl.sh /tmp/online-ddl-1m 10 40 1 1000000 3   # the issue's 1,000,000 orders, 3 rounds
# ROUNDS > 1 repeats (baseline bench, bench with a roll-out) adding gift_note_2, gift_note_3, ...: on a shared machine
# each round's during/before ratio compares two adjacent windows. With CONTROL=1 in the environment each round also
# rolls out `DO R;` (no change) the same way: the roll-out's cost to the writers without the ALTER itself.
# OUTDIR/log.txt gets the load (uptime) at the start, before the roll-out bench and at the end, the seed's report, the
# roll-out's wall time and exit codes, OUTDIR/load.txt the load every 5 s; fill/before/during/after.json are the bench reports, ddl.txt the roll-out's report.
set -u
D=${1:?output directory}; FILL=${2:-30}; BENCH=${3:-30}; DELAY=${4:-1}; SEED=${5:-0}; ROUNDS=${6:-1}
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 8 ] || { echo "ROUNDS is 1 to 8 (bench worker IDs 212..249; the seed uses 250)" >&2; exit 2; }
mkdir -p "$D"
SK="dotnet src/ShardKit.Migrations/bin/Release/net10.0/ShardKit.Migrations.dll"
export NO_COLOR=1
echo "start $(date -u +%FT%TZ) loadavg: $(cat /proc/loadavg) uptime: $(uptime)" > "$D/log.txt"
( while :; do echo "$(date -u +%T) $(cat /proc/loadavg)"; sleep 5; done ) > "$D/load.txt" &   # the load every 5 s
LOAD=$!
$SK dev up --clusters 2 --replicas 1 --write-config "$D/topo.json" > "$D/devup.txt" 2>&1 &
DEV=$!
for _ in $(seq 1 240); do [ -s "$D/topo.json" ] && break; sleep 1; done
sleep 2
$SK schema apply --config "$D/topo.json" --parallel 8 > "$D/schema.txt" 2>&1; echo "built-in schema exit $?" >> "$D/log.txt"
if [ "$SEED" -gt 0 ]; then
  S=$(date +%s.%N)
  python3 benchmarks/online-ddl-seed.py "$D/topo.json" "$SEED" "$D" > "$D/seed.txt" 2>&1; echo "seed exit $?" >> "$D/log.txt"
  echo "seed wall seconds: $(echo "$(date +%s.%N) - $S" | bc)" >> "$D/log.txt"
  cat "$D/seed.txt" >> "$D/log.txt"
  echo "after seed $(date -u +%FT%TZ) loadavg: $(cat /proc/loadavg) uptime: $(uptime)" >> "$D/log.txt"
fi
[ "$FILL" -gt 0 ] && $SK bench --config "$D/topo.json" --duration "$FILL" --concurrency 16 --read-ratio 0 --worker-id 211 --json > "$D/fill.json" 2>&1
# pair TAG SQLFILE WORKER: a baseline bench (before$TAG.json), then the same bench (during$TAG.json) with the roll-out
# of SQLFILE (ddl$TAG.txt) starting DDL_DELAY_S s in; bench worker IDs WORKER and WORKER + 1
pair() {
  local X=$1 F=$2 W=$3 B BS S E
  echo "pair $X before bench $(date -u +%FT%TZ) loadavg: $(cat /proc/loadavg) uptime: $(uptime)" >> "$D/log.txt"
  $SK bench --config "$D/topo.json" --duration "$BENCH" --concurrency 16 --read-ratio 0 --worker-id "$W" --json > "$D/before$X.json" 2>&1
  echo "pair $X mid (before the roll-out bench) $(date -u +%FT%TZ) loadavg: $(cat /proc/loadavg) uptime: $(uptime)" >> "$D/log.txt"
  $SK bench --config "$D/topo.json" --duration "$BENCH" --concurrency 16 --read-ratio 0 --worker-id $((W + 1)) --json > "$D/during$X.json" 2>&1 &
  B=$!
  BS=$(date +%s.%N)
  sleep "$DELAY"
  S=$(date +%s.%N)
  $SK schema apply --config "$D/topo.json" --sql "$F" --parallel 4 > "$D/ddl$X.txt" 2>&1; echo "pair $X ddl exit $?" >> "$D/log.txt"
  E=$(date +%s.%N)
  echo "pair $X at the end of the roll-out $(date -u +%FT%TZ) loadavg: $(cat /proc/loadavg) uptime: $(uptime)" >> "$D/log.txt"
  echo "pair $X ddl wall seconds: $(echo "$E - $S" | bc) (from $(echo "$S - $BS" | bc) s after the bench process started)" >> "$D/log.txt"
  wait $B
}
for R in $(seq 1 "$ROUNDS"); do
  # round 1 writes before.json / during.json / ddl.txt and adds gift_note; round R > 1 the same names with -R, gift_note_R
  X=""; C=gift_note; [ "$R" -gt 1 ] && X="-$R" && C="gift_note_$R"
  echo "ALTER TABLE {orders} ADD COLUMN $C VARCHAR(200) NULL;" > "$D/add$X.sql"
  pair "$X" "$D/add$X.sql" $((210 + 2 * R))
  if [ -n "${CONTROL:-}" ]; then
    # the control: the same roll-out machinery on every shard (canary, waves, started mark, log record, lag checks)
    # with a statement that changes nothing, so during-control/before-control is the roll-out's cost without the ALTER
    echo "DO $R;" > "$D/control$X.sql"
    pair "-control$X" "$D/control$X.sql" $((230 + 2 * R))
  fi
done
# the same bench once more after the roll-out: on a shared machine, before -> during -> after shows load drift
$SK bench --config "$D/topo.json" --duration "$BENCH" --concurrency 16 --read-ratio 0 --worker-id 209 --json > "$D/after.json" 2>&1
echo "end $(date -u +%FT%TZ) loadavg: $(cat /proc/loadavg) uptime: $(uptime)" >> "$D/log.txt"
$SK schema status --config "$D/topo.json" > "$D/status.txt" 2>&1; echo "status exit $?" >> "$D/log.txt"
$SK verify dimensions --config "$D/topo.json" > "$D/verify.txt" 2>&1; echo "verify dimensions exit $?" >> "$D/log.txt"
kill $DEV; wait $DEV
kill $LOAD
