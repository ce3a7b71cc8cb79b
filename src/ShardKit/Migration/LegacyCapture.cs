using System.Globalization;

namespace ShardKit.Migration;

/// <summary>
/// The legacy import's capture, enforced by the databases on both sides: triggers on every legacy table of the import
/// (<see cref="LegacyTables"/>) and on every table of every user shard that fence and log every write in the writer's own
/// transaction, whoever writes (ShardKit's stores, another service, a script with plain SQL). Applications only follow
/// the buckets' states.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The legacy root, before an update: an update that changes the order's user or merchant is refused
/// (<see cref="KeysFixed"/>); one that leaves the version as it was raises it by one. (The row's
/// bucket needs no trigger: <c>shardkit_bucket</c> is a generated column, <see cref="BucketOf"/>.)</item>
/// <item>The legacy root, after a write: the row's bucket is computed (<see cref="BucketOf"/>) and its fence row read
/// <c>LOCK IN SHARE MODE</c> (a cutover's exclusive lock holds the writer); a bucket the shards serve refuses the write
/// (<c>SIGNAL SQLSTATE '45000'</c>, <see cref="ShardFenceSignal"/>: <c>shardkit-fence user:17 shards: ...</c>); while capture is on, the legacy key is logged to
/// <c>shardkit_changes</c>. A delete leaves a tombstone with the next version.</item>
/// <item>A legacy child table: a change raises its order's version, so the root's own triggers fence and log it. A session
/// that versions its orders itself (<see cref="VersionedSession"/>: the store writes the order in the same transaction)
/// skips this.</item>
/// <item>A user shard's tables: the shard fence every migration job uses (<see cref="ShardFence"/>). While the legacy database
/// serves the bucket, every write is refused; once the shards serve it, each written order's ID is logged for the reverse flow.</item>
/// <item>A migrator's session (<see cref="MigratorSession"/>) passes untouched.</item>
/// </list>
/// </remarks>
internal static class LegacyCapture
{
    /// <summary>Every trigger's name on the legacy database starts with this.</summary>
    public const string TriggerPrefix = "shardkit_legacy_";

    /// <summary>
    /// The refusal of an update that changes an order's user or merchant on the legacy side while the import runs: the
    /// order's ShardKit ID routes by both (<see cref="LegacyOrderIds"/>), so it would become another order.
    /// </summary>
    public const string KeysFixed = "shardkit-import: the user and merchant of an order cannot change during the legacy import (its ShardKit ID routes by them)";

    /// <summary>Marks the session as one that raises its orders' versions itself (items changes then raise nothing).</summary>
    public const string VersionedSession = "SET @`shardkit_versioned` = 1";

    private static readonly string[] s_events = ["INSERT", "UPDATE", "DELETE"];

    private static readonly string[] s_rootTriggers = ["bu_root", "ai_root", "au_root", "ad_root"];

    /// <summary>The statements that (re)create every trigger of <paramref name="source"/> for <paramref name="buckets"/> buckets.</summary>
    public static IEnumerable<string> CreateTriggers(LegacySource source, int buckets)
    {
        foreach (var statement in DropTriggers(source))
        {
            yield return statement;
        }

        var user = source.UserColumn;
        var version = source.VersionColumn;
        var key = source.Key;
        var createdAt = source.Columns[0].FirstOrDefault(c => c.Equals("created_at", StringComparison.OrdinalIgnoreCase)) is { } created
            ? "IFNULL(OLD.`" + source.Tables.Root.ColumnOf(created) + "`, UTC_TIMESTAMP(6))"
            : "UTC_TIMESTAMP(6)";
        yield return source.Sql($$"""
            CREATE TRIGGER {{Name("bu_root")}} BEFORE UPDATE ON {root} FOR EACH ROW
            BEGIN
              IF {{MigratorSession.Unmarked}} THEN
                IF NOT (NEW.{{user}} <=> OLD.{{user}}) OR NOT (NEW.{{source.MerchantColumn}} <=> OLD.{{source.MerchantColumn}}) THEN
                  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{{KeysFixed}}';
                END IF;
                IF NEW.{{version}} = OLD.{{version}} THEN
                  SET NEW.{{version}} = OLD.{{version}} + 1;
                END IF;
              END IF;
            END
            """);
        // An insert or an update (which cannot change the user: the trigger before it refuses that) fences and logs the new row.
        foreach (var @event in new[] { "INSERT", "UPDATE" })
        {
            yield return source.Sql($$"""
                CREATE TRIGGER {{Name("a" + char.ToLowerInvariant(@event[0]) + "_root")}} AFTER {{@event}} ON {root} FOR EACH ROW
                BEGIN
                  {{Declarations}}
                  IF {{MigratorSession.Unmarked}} THEN
                    SET v_bucket = {{BucketOf($"NEW.{user}", buckets)}};
                    {{FenceAndLog(source, "v_bucket", $"NEW.{key}")}}
                  END IF;
                END
                """);
        }

        yield return source.Sql($$"""
            CREATE TRIGGER {{Name("ad_root")}} AFTER DELETE ON {root} FOR EACH ROW
            BEGIN
              {{Declarations}}
              IF {{MigratorSession.Unmarked}} THEN
                SET v_bucket = {{BucketOf($"OLD.{user}", buckets)}};
                {{FenceAndLog(source, "v_bucket", $"OLD.{key}")}}
                INSERT INTO {schema}.`shardkit_tombstones` (legacy_id, order_id, user_id, merchant_id, created_at, deleted_at, version)
                VALUES (OLD.{{key}}, OLD.`shardkit_order_id`, OLD.{{user}}, OLD.{{source.MerchantColumn}}, {{createdAt}}, UTC_TIMESTAMP(6), OLD.{{version}} + 1)
                ON DUPLICATE KEY UPDATE deleted_at = VALUES(deleted_at), version = GREATEST(version, VALUES(version));
              END IF;
            END
            """);
        for (var t = 1; t < source.Tables.Tables.Count; t++)
        {
            var child = source.Tables.Tables[t];
            var link = "`" + child.KeyColumn + "`";
            foreach (var @event in s_events)
            {
                // A child row change that keeps its order raises that order's version once.
                var touch = @event switch
                {
                    "INSERT" => Touch(source, "NEW", link),
                    "DELETE" => Touch(source, "OLD", link),
                    _ => $"""
                        {Touch(source, "NEW", link)}
                        IF OLD.{link} <> NEW.{link} THEN
                          {Touch(source, "OLD", link)}
                        END IF;
                        """,
                };
                yield return source.Sql($$"""
                    CREATE TRIGGER {{Name(ChildTrigger(@event, t))}} AFTER {{@event}} ON {{source.TableOf(child.Table)}} FOR EACH ROW
                    BEGIN
                      IF {{MigratorSession.Unmarked}} AND IFNULL(@`shardkit_versioned`, 0) <> 1 THEN
                        {{touch}}
                      END IF;
                    END
                    """);
            }
        }
    }

    /// <summary>The statements that drop every trigger of <paramref name="source"/> (idempotent).</summary>
    public static IEnumerable<string> DropTriggers(LegacySource source) =>
        s_rootTriggers
            .Concat(Enumerable.Range(1, source.Tables.Tables.Count - 1).SelectMany(t => s_events.Select(e => ChildTrigger(e, t))))
            .Select(n => source.Sql($"DROP TRIGGER IF EXISTS {Name(n)}"));

    /// <summary>
    /// The bucket of the user ID <paramref name="userId"/> (a SQL value) among <paramref name="buckets"/>, as one SQL
    /// expression: <see cref="ShardFunctions.UserShard"/>'s frozen hash (<see cref="ShardSql"/>).
    /// </summary>
    public static string BucketOf(string userId, int buckets) => ShardSql(userId, ShardHash.UserSalt, buckets);

    /// <summary>
    /// <see cref="ShardHash.Shard"/> as one SQL expression over the ID <paramref name="id"/> (a SQL value): splitmix64 of
    /// (ID + <paramref name="salt"/>), reduced by multiply-high. The wrapping 64-bit products are computed exactly as
    /// <c>DECIMAL(65,0)</c> modulo 2^64 (a <c>BIGINT UNSIGNED</c> product that overflows is an error on the server), the
    /// shifts and XORs as <c>BIGINT UNSIGNED</c>. Deterministic and built-in only, so it can define a generated column.
    /// </summary>
    public static string ShardSql(string id, ulong salt, int count)
    {
        const string Wrap = "18446744073709551616";
        static string Decimal(string x) => $"CAST({x} AS DECIMAL(65,0))";
        static string Unsigned(string x) => $"CAST({x} AS UNSIGNED)";
        static string XorShift(string z, int shift) => string.Create(CultureInfo.InvariantCulture, $"({z} ^ ({z} >> {shift}))");
        static string Times(string z, ulong factor) => Unsigned(string.Create(CultureInfo.InvariantCulture, $"MOD({Decimal(z)} * {factor}, {Wrap})"));
        var z = Unsigned(string.Create(CultureInfo.InvariantCulture, $"MOD({Decimal(id)} + {salt}, {Wrap})"));
        z = Times(XorShift(z, 30), ShardHash.MixMultiplier1);
        z = Times(XorShift(z, 27), ShardHash.MixMultiplier2);
        return string.Create(CultureInfo.InvariantCulture, $"FLOOR({Decimal(XorShift(z, 31))} * {count} / {Wrap})");
    }

    /// <summary>The local variables the fence check uses; first in a trigger body.</summary>
    public const string Declarations = """
        DECLARE v_bucket SMALLINT;
          DECLARE v_authority VARCHAR(8);
          DECLARE v_capture TINYINT;
          DECLARE v_message VARCHAR(128);
        """;

    private static string FenceAndLog(LegacySource source, string bucket, string legacyId) => $$"""
        SET v_authority = NULL;
        SELECT authority, capture INTO v_authority, v_capture FROM {schema}.`shardkit_fence` WHERE bucket = {{bucket}} LOCK IN SHARE MODE;
        IF v_authority IS NULL OR v_authority <> 'source' THEN
          SET v_message = LEFT(CONCAT('{{ShardFenceSignal.Prefix}}user:', {{bucket}}, ' {{ShardFenceSignal.Shards}}: the shards serve bucket ', {{bucket}}, ' of the legacy orders of `{{source.Database.Replace("'", "''", StringComparison.Ordinal)}}` now; write there'), 128);
          SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
        END IF;
        IF v_capture = 1 THEN
          INSERT INTO {schema}.`shardkit_changes` (bucket, legacy_id) VALUES ({{bucket}}, {{legacyId}});
        END IF;
        """;

    private static string Touch(LegacySource source, string row, string link) =>
        $"UPDATE {{root}} SET {source.VersionColumn} = {source.VersionColumn} + 1 WHERE {source.Key} = {row}.{link};";

    /// <summary>A child table's trigger, by its position in the declaration (a legacy table's name may be too long for one).</summary>
    private static string ChildTrigger(string @event, int table) => $"a{char.ToLowerInvariant(@event[0])}_child{table}";

    private static string Name(string suffix) => "{schema}.`" + TriggerPrefix + suffix + "`";
}
