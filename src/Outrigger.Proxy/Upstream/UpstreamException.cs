namespace Outrigger.Proxy.Upstream;

/// <summary>Why an exchange with an upstream failed: no connection, or a connection that gave no usable response.</summary>
internal enum UpstreamFailure
{
    /// <summary>Connection refused or unreachable, name not resolved, connect timeout, TLS handshake failed.</summary>
    Connect,

    /// <summary>The connection closed or was reset, or the upstream sent something that is not HTTP (or breaks its framing).</summary>
    Exchange,
}

/// <summary>A failed exchange with an upstream; <see cref="Exception.Message"/> names the cause for the client's error body.</summary>
internal sealed class UpstreamException(UpstreamFailure kind, string message, Exception? inner = null) : IOException(message, inner)
{
    public UpstreamFailure Kind { get; } = kind;
}
