using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ShardKit.Tests.Fakes;

/// <summary>Captures log entries (level, event ID, formatted message) in memory.</summary>
public sealed class ListLoggerProvider : ILoggerProvider, ILoggerFactory
{
    private readonly ConcurrentQueue<(LogLevel Level, EventId EventId, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, EventId EventId, string Message)> Entries => _entries.ToList();

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue((logLevel, eventId, formatter(state, exception)));
    }
}
