using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ingress.Gateway.Tests.Common;

/// <summary>Keeps every log entry, so tests can assert what was logged and how often.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(LogLevel Level, int EventId, string Message)> _entries = new();

    public IReadOnlyCollection<(LogLevel Level, int EventId, string Message)> Entries => _entries;

    public int Count(LogLevel level) => _entries.Count(e => e.Level == level);

    public int CountEvent(int eventId) => _entries.Count(e => e.EventId == eventId);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((logLevel, eventId.Id, formatter(state, exception)));
}
