using System.Collections.Concurrent;
using System.Data;
using System.Text.RegularExpressions;

namespace ShardKit.Tests.Fakes;

/// <summary>
/// Stands in for every MySQL server of a topology: records each statement with the connection string it
/// ran on, keeps the schema log rows the applier writes, and fails statements or endpoints on request.
/// </summary>
public sealed partial class FakeServer
{
    private readonly ConcurrentQueue<(string ConnectionString, string Sql)> _executed = new();
    private readonly ConcurrentDictionary<(string ConnectionString, string Dimension, int Shard, string Checksum), bool> _log = new();

    /// <summary>Returns an error message to make a statement fail, or null to let it succeed.</summary>
    public Func<string, string, string?> FailStatement { get; set; } = (_, _) => null;

    /// <summary>The value ExecuteScalar returns for a statement (connection string, SQL); null unless set.</summary>
    public Func<string, string, object?> Scalar { get; set; } = (_, _) => null;

    /// <summary>The rows a query returns (connection string, SQL); null for the default (the schema log's rows).</summary>
    public Func<string, string, DataTable?> Rows { get; set; } = (_, _) => null;

    /// <summary>Connection strings whose server refuses connections.</summary>
    public ConcurrentDictionary<string, bool> Down { get; } = new();

    public IReadOnlyList<(string ConnectionString, string Sql)> Executed => _executed.ToList();

    public int LogCount => _log.Count;

    private int _opened;

    public int Opened => Volatile.Read(ref _opened);

    internal void Open(string connectionString)
    {
        if (Down.ContainsKey(connectionString))
        {
            throw new FakeDbException("Unable to connect to any of the specified MySQL hosts.");
        }

        Interlocked.Increment(ref _opened);
    }

    internal int Execute(string connectionString, string sql)
    {
        if (FailStatement(connectionString, sql) is { } error)
        {
            throw new FakeDbException(error);
        }

        _executed.Enqueue((connectionString, sql));
        var insert = LogInsert().Match(sql);
        if (insert.Success)
        {
            _log[(connectionString, insert.Groups[1].Value, int.Parse(insert.Groups[2].Value), insert.Groups[3].Value)] = true;
        }

        return 0;
    }

    internal IDataReader Query(string connectionString, string sql)
    {
        Execute(connectionString, sql);
        if (Rows(connectionString, sql) is { } rows)
        {
            return rows.CreateDataReader();
        }

        var table = new DataTable();
        table.Columns.Add("dimension", typeof(string));
        table.Columns.Add("shard", typeof(int));
        var select = LogSelect().Match(sql);
        if (select.Success)
        {
            foreach (var key in _log.Keys.Where(k => k.ConnectionString == connectionString && k.Checksum == select.Groups[1].Value))
            {
                table.Rows.Add(key.Dimension, key.Shard);
            }
        }

        return table.CreateDataReader();
    }

    [GeneratedRegex(@"INSERT IGNORE INTO `shardkit`\.`shardkit_schema_log` .* VALUES \('(\w+)', (\d+), '([0-9a-f]{64})'")]
    private static partial Regex LogInsert();

    [GeneratedRegex(@"FROM `shardkit`\.`shardkit_schema_log` WHERE checksum = '([0-9a-f]{64})'")]
    private static partial Regex LogSelect();
}
