namespace Outrigger.Coordination;

/// <summary>Why a coordination call failed.</summary>
public enum CoordinationError
{
    /// <summary>The request is malformed or over a limit; retrying it will not help.</summary>
    InvalidArgument,

    /// <summary>The lease does not exist (never granted, expired or revoked).</summary>
    LeaseNotFound,

    /// <summary>The requested revision has been compacted away.</summary>
    Compacted,

    /// <summary>The requested revision is newer than the store's.</summary>
    FutureRevision,

    /// <summary>The store cannot serve the call now (no member reachable, log not writable). A write's outcome is unknown.</summary>
    Unavailable,

    /// <summary>The store was disposed.</summary>
    Closed,
}

/// <summary>A failed coordination call; <see cref="Error"/> says why.</summary>
public class CoordinationException : Exception
{
    public CoordinationException(CoordinationError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    public CoordinationError Error { get; }
}

/// <summary>A watch or read asked for history older than the compacted revision.</summary>
public sealed class CompactedException : CoordinationException
{
    public CompactedException(long requestedRevision, long compactRevision)
        : this(requestedRevision, compactRevision, $"revision {requestedRevision} has been compacted; history starts at {compactRevision}")
    {
    }

    public CompactedException(long requestedRevision, long compactRevision, string message)
        : base(CoordinationError.Compacted, message)
    {
        RequestedRevision = requestedRevision;
        CompactRevision = compactRevision;
    }

    /// <summary>The revision asked for (0 when the backend did not say).</summary>
    public long RequestedRevision { get; }

    /// <summary>The oldest revision still available; 0 when the backend did not say (etcd reports it for watches, not for reads).</summary>
    public long CompactRevision { get; }
}
