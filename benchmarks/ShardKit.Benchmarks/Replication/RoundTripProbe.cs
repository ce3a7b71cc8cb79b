using System.Globalization;
using System.Text;
using MySqlConnector;

namespace ShardKit.Benchmarks.Replication;

/// <summary>
/// Counts what a benchmark row costs the server: runs each action <see cref="Runs"/> times on a server nobody else uses
/// and prints, per action, the change of the server's statement counters (<c>Questions</c> and the <c>Com_*</c> that
/// moved) divided by the runs, as a markdown table on the console (BenchmarkDotNet's log). A multi-statement command
/// counts once per statement, so the counters say what the server did, and the command texts say the round trips.
/// </summary>
internal sealed class RoundTripProbe(string connectionString)
{
    private const int Runs = 100;

    public async Task PrintAsync(IReadOnlyList<(string Name, Func<Task> Action)> actions)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        var rows = new List<(string Name, Dictionary<string, double> PerRun)>();
        var columns = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (name, action) in actions)
        {
            await action(); // warm: JIT and pool
            var before = await ReadCountersAsync(connection);
            for (var i = 0; i < Runs; i++)
            {
                await action();
            }

            var after = await ReadCountersAsync(connection);
            var perRun = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (counter, value) in after)
            {
                // The probe's own SHOW GLOBAL STATUS counts one question.
                var delta = value - before.GetValueOrDefault(counter) - (counter == "Questions" ? 1 : 0);
                if (delta > 0 && counter != "Com_show_status")
                {
                    perRun[counter] = (double)delta / Runs;
                    columns.Add(counter);
                }
            }

            rows.Add((name, perRun));
        }

        var text = new StringBuilder();
        text.AppendLine("// Server statements per write (" + Runs.ToString(CultureInfo.InvariantCulture) + " runs each):");
        text.Append("| Method | ").AppendJoin(" | ", columns).AppendLine(" |");
        text.Append("|---|").Append(string.Concat(Enumerable.Repeat("--:|", columns.Count))).AppendLine();
        foreach (var (name, perRun) in rows)
        {
            text.Append("| ").Append(name).Append(" | ")
                .AppendJoin(" | ", columns.Select(c => perRun.GetValueOrDefault(c).ToString("0.##", CultureInfo.InvariantCulture)))
                .AppendLine(" |");
        }

        Console.WriteLine(text.ToString());
    }

    private static async Task<Dictionary<string, long>> ReadCountersAsync(MySqlConnection connection)
    {
        await using var command = new MySqlCommand("SHOW GLOBAL STATUS WHERE Variable_name = 'Questions' OR Variable_name LIKE 'Com\\_%'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            if (long.TryParse(reader.GetString(1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                counters[reader.GetString(0)] = value;
            }
        }

        return counters;
    }
}
