#!/bin/bash
# Online DDL under a write workload (issue 15), with the shardkit CLI only:
# a local topology (2 clusters, 1 replica each, 240 shards), the built-in schema, a fill, a baseline bench,
# then the same bench with `schema apply --sql` adding a nullable column to all 240 shards starting 1-3 s in.
# Usage, from the repository root after `dotnet build ShardKit.sln -c Release`:
#   benchmarks/online-ddl.sh OUTDIR [FILL_S] [BENCH_S] [DDL_DELAY_S]
set -u
D=${1:?output directory}; FILL=${2:-30}; BENCH=${3:-30}; DELAY=${4:-1}
mkdir -p "$D"
SK="dotnet src/ShardKit.Migrations/bin/Release/net10.0/ShardKit.Migrations.dll"
export NO_COLOR=1
echo "loadavg before: $(cat /proc/loadavg)" > "$D/log.txt"
$SK dev up --clusters 2 --replicas 1 --write-config "$D/topo.json" > "$D/devup.txt" 2>&1 &
DEV=$!
for _ in $(seq 1 240); do [ -s "$D/topo.json" ] && break; sleep 1; done
sleep 2
$SK schema apply --config "$D/topo.json" --parallel 8 > "$D/schema.txt" 2>&1; echo "built-in schema exit $?" >> "$D/log.txt"
$SK bench --config "$D/topo.json" --duration "$FILL" --concurrency 16 --read-ratio 0 --worker-id 211 --json > "$D/fill.json" 2>&1
$SK bench --config "$D/topo.json" --duration "$BENCH" --concurrency 16 --read-ratio 0 --worker-id 212 --json > "$D/before.json" 2>&1
echo "loadavg mid: $(cat /proc/loadavg)" >> "$D/log.txt"
echo "ALTER TABLE {orders} ADD COLUMN gift_note VARCHAR(200) NULL;" > "$D/add.sql"
$SK bench --config "$D/topo.json" --duration "$BENCH" --concurrency 16 --read-ratio 0 --worker-id 213 --json > "$D/during.json" 2>&1 &
B=$!
sleep "$DELAY"
S=$(date +%s.%N)
$SK schema apply --config "$D/topo.json" --sql "$D/add.sql" --parallel 4 > "$D/ddl.txt" 2>&1; echo "ddl exit $?" >> "$D/log.txt"
E=$(date +%s.%N)
echo "ddl wall seconds: $(echo "$E - $S" | bc)" >> "$D/log.txt"
wait $B
echo "loadavg after: $(cat /proc/loadavg)" >> "$D/log.txt"
$SK schema status --config "$D/topo.json" > "$D/status.txt" 2>&1; echo "status exit $?" >> "$D/log.txt"
kill $DEV; wait $DEV
