#!/usr/bin/env python3
"""Seed N orders into the built-in schema of a topology, fast, with SQL only (issue 15, online DDL at 1,000,000 orders).

Usage: benchmarks/online-ddl-seed.py TOPO_JSON N OUTDIR [--items-max 3] [--worker-id 250]

What it writes, as `shardkit bench` would have (minus the outbox, whose entries a finished copy no longer needs):
order i (0..N-1) of user i+1 and merchant (i*7919 mod 10000)+1 (the bench's user and merchant ranges) goes to
`orders` of its user shard and, as the merchant copy, to `orders` of its merchant shard, each with
1..items-max lines in `order_items` on both sides. The order ID follows src/ShardKit/Ids/OrderIdLayout.cs:
tick (10 ms since 2025-01-01, one tick per order, ending 2 days before now) << 25 | worker << 17 | sequence 0 << 14 |
user gene << 7 | merchant gene, the genes being ShardFunctions.UserShard / MerchantShard (ShardHash: splitmix64 of
id + salt, Lemire reduction; checked below against the golden values of tests/ShardKit.Tests/Routing/ShardFunctionsTests.cs).
The worker ID (250) is one no bench of benchmarks/online-ddl.sh uses, so no ID can collide.

How: per cluster primary, one `mariadb` session builds a scratch schema `sk_seed` outside the binlog (sql_log_bin = 0):
the user -> user shard and merchant -> merchant shard tables (computed here, LOAD DATA LOCAL) and the N orders
(INSERT ... SELECT from the SEQUENCE engine's seq_0_to_<N-1>); then, with the binlog on (ROW format, so the
replicas get plain rows and never need `sk_seed`), one INSERT ... SELECT per shard schema the primary holds
(`SHOW DATABASES LIKE 'sk\\_user\\_%'` / `'sk\\_merchant\\_%'`) for orders and one for items; then drops `sk_seed`
and waits until its replicas have applied everything (MASTER_GTID_WAIT). The primaries are seeded in parallel.
Prints the counts per dimension read back from every shard.
"""
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

M64 = (1 << 64) - 1
USER_SALT = 0x9E3779B97F4A7C15
MERCHANT_SALT = 0x3C6EF372FE94F82A
SHARDS = 120
MERCHANTS = 10_000  # WorkloadOptions.Merchants
EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def shard(id_, salt, count=SHARDS):
    return (mix((id_ + salt) & M64) * count) >> 64


# Golden values of ShardFunctionsTests.MapsIdsToTheGoldenShards: (id, user120, merchant120).
for gid, gu, gm in [(1, 67, 89), (42, 88, 19), (123456789, 16, 57), (9223372036854775807, 19, 113)]:
    assert shard(gid, USER_SALT) == gu and shard(gid, MERCHANT_SALT) == gm, f"hash differs from ShardHash for {gid}"


def endpoint(conn):
    d = dict(kv.split("=", 1) for kv in conn.split(";") if "=" in kv)
    args = ["mariadb", "-h", d["Server"], "-P", d["Port"], "-u", d["User ID"], f"-p{d['Password']}",
            "--batch", "--skip-column-names", "--local-infile=1"]
    if "SslCa" in d:
        args.append(f"--ssl-ca={d['SslCa']}")
    elif d.get("SslMode", "").lower() in ("none", "disabled"):
        args.append("--skip-ssl")
    return args


def run_sql(args, sql, log):
    p = subprocess.run(args, input=sql, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:5])}: exit {p.returncode}: {p.stderr.strip()[-2000:]}")
    if log:
        with open(log, "a") as f:
            f.write(p.stdout)
    return p.stdout


ORDER_COLS = "order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version, ext"
ORDER_VALS = "order_id, user_id, merchant_id, 'created', total_amount, 'USD', created_at, created_at, 1, NULL"


def seed_cluster(name, cluster, n, items_max, worker, base_tick, users_file, merchants_file, outdir):
    primary = endpoint(cluster["Primary"])
    started = time.monotonic()
    schemas = run_sql(primary, "SHOW DATABASES LIKE 'sk\\_user\\_%'; SHOW DATABASES LIKE 'sk\\_merchant\\_%';", None).split()
    user = sorted(s for s in schemas if s.startswith("sk_user_"))
    merchant = sorted(s for s in schemas if s.startswith("sk_merchant_"))
    sql = [
        "SET SESSION sql_log_bin = 0;",
        "DROP DATABASE IF EXISTS sk_seed;",
        "CREATE DATABASE sk_seed;",
        "USE sk_seed;",
        "CREATE TABLE users (user_id BIGINT NOT NULL PRIMARY KEY, ushard SMALLINT NOT NULL) ENGINE = InnoDB;",
        "CREATE TABLE merchants (merchant_id BIGINT NOT NULL PRIMARY KEY, mshard SMALLINT NOT NULL) ENGINE = InnoDB;",
        f"LOAD DATA LOCAL INFILE '{users_file}' INTO TABLE users;",
        f"LOAD DATA LOCAL INFILE '{merchants_file}' INTO TABLE merchants;",
        """CREATE TABLE orders (
             order_id BIGINT NOT NULL PRIMARY KEY, user_id BIGINT NOT NULL, merchant_id BIGINT NOT NULL,
             ushard SMALLINT NOT NULL, mshard SMALLINT NOT NULL, items TINYINT NOT NULL, price DECIMAL(18,2) NOT NULL,
             total_amount DECIMAL(18,2) NOT NULL, created_at DATETIME(6) NOT NULL,
             KEY ix_u (ushard), KEY ix_m (mshard)) ENGINE = InnoDB;""",
        # order i: tick base+i, the worker, sequence 0, the genes of its user and merchant
        f"""INSERT INTO orders
            SELECT ({base_tick} + s.seq) * 33554432 + {worker} * 131072 + u.ushard * 128 + m.mshard,
                   u.user_id, m.merchant_id, u.ushard, m.mshard,
                   1 + s.seq % {items_max}, 1.00 + (s.seq % 9900) / 100,
                   (1 + s.seq % {items_max}) * (1.00 + (s.seq % 9900) / 100),
                   TIMESTAMP'2025-01-01 00:00:00' + INTERVAL (({base_tick} + s.seq) * 10000) MICROSECOND
            FROM seq_0_to_{n - 1} s
            JOIN users u ON u.user_id = s.seq + 1
            JOIN merchants m ON m.merchant_id = (s.seq * 7919) % {MERCHANTS} + 1;""",
        "SET SESSION sql_log_bin = 1;",
    ]
    for dim, names, key in (("user", user, "ushard"), ("merchant", merchant, "mshard")):
        for schema in names:
            no = int(schema.rsplit("_", 1)[1])
            sql.append(f"INSERT INTO `{schema}`.`orders` ({ORDER_COLS}) "
                       f"SELECT {ORDER_VALS} FROM sk_seed.orders WHERE {key} = {no};")
            sql.append(f"INSERT INTO `{schema}`.`order_items` (order_id, line_no, sku, quantity, unit_price) "
                       f"SELECT o.order_id, k.seq, CONCAT('SKU-', LPAD((o.order_id DIV 33554432 + k.seq) % 5000 + 1, 5, '0')), 1, o.price "
                       f"FROM sk_seed.orders o JOIN seq_1_to_{items_max} k ON k.seq <= o.items WHERE o.{key} = {no};")
    sql += ["SET SESSION sql_log_bin = 0;", "DROP DATABASE sk_seed;", "SET SESSION sql_log_bin = 1;",
            "SELECT @@gtid_binlog_pos;"]
    out = run_sql(primary, "\n".join(sql), None).split()
    gtid = out[-1] if out else ""
    written = time.monotonic() - started
    for replica in cluster.get("Replicas", []):
        r = run_sql(endpoint(replica), f"SELECT MASTER_GTID_WAIT('{gtid}', 1800);", None).strip()
        if r != "0":
            raise RuntimeError(f"{name}: a replica did not apply {gtid} within 1800 s (MASTER_GTID_WAIT = {r})")
    return name, len(user), len(merchant), written, time.monotonic() - started


def count(cluster):
    primary = endpoint(cluster["Primary"])
    schemas = run_sql(primary, "SHOW DATABASES LIKE 'sk\\_user\\_%'; SHOW DATABASES LIKE 'sk\\_merchant\\_%';", None).split()
    totals = {}
    for prefix in ("sk_user_", "sk_merchant_"):
        names = sorted(s for s in schemas if s.startswith(prefix))
        for table in ("orders", "order_items"):
            q = " UNION ALL ".join(f"SELECT COUNT(*) c FROM `{s}`.`{table}`" for s in names)
            totals[(prefix, table)] = int(run_sql(primary, f"SELECT SUM(c) FROM ({q}) t;", None).strip())
    return totals


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    topo, n, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    items_max = int(sys.argv[sys.argv.index("--items-max") + 1]) if "--items-max" in sys.argv else 3
    worker = int(sys.argv[sys.argv.index("--worker-id") + 1]) if "--worker-id" in sys.argv else 250
    if not 1 <= n <= 100_000_000:
        sys.exit("N must be 1..100,000,000")
    clusters = json.load(open(topo))["ShardKit"]["Clusters"]
    os.makedirs(outdir, exist_ok=True)
    started = time.monotonic()
    users_file = os.path.abspath(os.path.join(outdir, "seed-users.tsv"))
    merchants_file = os.path.abspath(os.path.join(outdir, "seed-merchants.tsv"))
    with open(users_file, "w") as f:
        f.writelines(f"{u}\t{shard(u, USER_SALT)}\n" for u in range(1, n + 1))
    with open(merchants_file, "w") as f:
        f.writelines(f"{m}\t{shard(m, MERCHANT_SALT)}\n" for m in range(1, MERCHANTS + 1))
    # the last order 2 days before now: every ID decodes (after 2025-01-02, not in the future) and sorts before the bench's
    last = datetime.now(timezone.utc) - timedelta(days=2)
    base_tick = int((last - EPOCH).total_seconds() * 100) - n
    print(f"seed: {n} orders, 1..{items_max} items each, worker {worker}, ticks {base_tick}..{base_tick + n - 1}; "
          f"hash tables {time.monotonic() - started:.1f} s", flush=True)
    with ThreadPoolExecutor(len(clusters)) as pool:
        futures = [pool.submit(seed_cluster, c["Name"], c, n, items_max, worker, base_tick, users_file, merchants_file, outdir)
                   for c in clusters]
        for fut in futures:
            name, nu, nm, written, total = fut.result()
            print(f"seed: cluster {name}: {nu} user and {nm} merchant shard schemas written in {written:.1f} s, "
                  f"replicas caught up at {total:.1f} s", flush=True)
    totals = {}
    for c in clusters:
        for k, v in count(c).items():
            totals[k] = totals.get(k, 0) + v
    print(f"seed: total {time.monotonic() - started:.1f} s; on the shards now: "
          f"user orders {totals[('sk_user_', 'orders')]}, user order_items {totals[('sk_user_', 'order_items')]}, "
          f"merchant orders {totals[('sk_merchant_', 'orders')]}, merchant order_items {totals[('sk_merchant_', 'order_items')]}",
          flush=True)
    os.remove(users_file)


if __name__ == "__main__":
    main()
