namespace Outrigger.Grpc;

/// <summary>
/// A call that ended with a non-OK status. Thrown by the client for failed calls; thrown by a server handler to
/// answer with <see cref="Status"/> and <see cref="Trailers"/>.
/// </summary>
public sealed class RpcException : Exception
{
    public RpcException(Status status)
        : this(status, Metadata.Empty)
    {
    }

    public RpcException(Status status, Metadata trailers)
        : this(status, trailers, null)
    {
    }

    public RpcException(Status status, Metadata trailers, Exception? innerException)
        : base(status.ToString(), innerException)
    {
        Status = status;
        Trailers = trailers;
    }

    public RpcException()
        : this(new Status(StatusCode.Unknown, string.Empty))
    {
    }

    public RpcException(string message)
        : this(new Status(StatusCode.Unknown, message))
    {
    }

    public RpcException(string message, Exception innerException)
        : this(new Status(StatusCode.Unknown, message), Metadata.Empty, innerException)
    {
    }

    public Status Status { get; }

    public StatusCode StatusCode => Status.StatusCode;

    /// <summary>The trailing metadata of the call (empty when the call never got a response).</summary>
    public Metadata Trailers { get; }
}
