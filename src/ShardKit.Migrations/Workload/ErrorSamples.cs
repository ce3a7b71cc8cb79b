using System.Collections.Concurrent;

namespace ShardKit.Migrations.Workload;

/// <summary>Counts failures by message, keeping at most <see cref="MaxDistinct"/> distinct messages.</summary>
internal sealed class ErrorSamples
{
    public const int MaxDistinct = 10;
    private const int MaxLength = 300;
    private const string Other = "(other errors)";
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Add(WorkloadOperation operation, Exception exception)
    {
        var message = $"{operation.ToString().ToLowerInvariant()}: {exception.GetType().Name}: {Migrations.Commands.TopologyCommand.OneLine(exception)}";
        if (message.Length > MaxLength)
        {
            message = message[..MaxLength] + "...";
        }

        if (!_counts.ContainsKey(message) && _counts.Count >= MaxDistinct)
        {
            message = Other;
        }

        _counts.AddOrUpdate(message, 1, (_, count) => count + 1);
    }

    public IReadOnlyList<ErrorSample> ToList() =>
        _counts.OrderByDescending(e => e.Value).Select(e => new ErrorSample(e.Key, e.Value)).ToList();
}
