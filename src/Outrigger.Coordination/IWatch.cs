using System.Runtime.CompilerServices;

namespace Outrigger.Coordination;

public enum WatchEventType
{
    Put = 0,
    Delete = 1,
}

/// <summary>A change to one key. For deletes, <see cref="Kv"/> holds the key and the deletion's revision as <see cref="KeyValue.ModRevision"/>.</summary>
public sealed record WatchEvent(WatchEventType Type, KeyValue Kv);

/// <summary>Events of one or more whole revisions, in order.</summary>
public sealed record WatchResponse(IReadOnlyList<WatchEvent> Events);

/// <summary>An established watch. Read it until disposed; a revision is never split across two responses.</summary>
public interface IWatch : IAsyncDisposable
{
    /// <summary>
    /// The next events. Throws <see cref="CompactedException"/> when the watch fell behind compaction (or started
    /// below it) and <see cref="CoordinationException"/> with <see cref="CoordinationError.Closed"/> once disposed.
    /// </summary>
    ValueTask<WatchResponse> ReadAsync(CancellationToken cancellationToken = default);
}

public static class WatchExtensions
{
    /// <summary>Reads responses until cancelled or the watch fails.</summary>
    public static async IAsyncEnumerable<WatchResponse> ReadAllAsync(this IWatch watch, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            yield return await watch.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
