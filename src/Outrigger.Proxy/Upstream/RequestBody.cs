using Microsoft.Extensions.Primitives;

namespace Outrigger.Proxy.Upstream;

/// <summary>The body of an upstream request: the client's, streamed as it arrives, or a buffered copy that can be sent again.</summary>
internal abstract class RequestBody
{
    /// <summary>The body's length when known in advance (sent as <c>Content-Length</c>); null means chunked over HTTP/1.1.</summary>
    public abstract long? Length { get; }

    /// <summary>Whether <see cref="WriteToAsync"/> may be called again (a buffered body); a streamed body can be sent once.</summary>
    public abstract bool CanReplay { get; }

    /// <summary>Set when reading the client's body failed (bad framing, too large, too slow, client gone): not the upstream's fault.</summary>
    public Exception? ClientError { get; protected set; }

    /// <summary>
    /// Whether <see cref="WriteToAsync"/> started reading the client's body. Until then nothing of it is lost, so an exchange
    /// that failed before may be sent again on another connection.
    /// </summary>
    public bool Started { get; protected set; }

    /// <summary>
    /// Writes the whole body to <paramref name="destination"/>, flushing it whenever the source has nothing more ready, so
    /// that streams (gRPC, uploads) flow. Throws what reading the client or writing the destination throws.
    /// </summary>
    public abstract Task WriteToAsync(Stream destination, CancellationToken token);

    /// <summary>The client's trailer fields, once <see cref="WriteToAsync"/> completed; empty when there are none.</summary>
    public virtual IReadOnlyList<KeyValuePair<string, StringValues>> Trailers => [];
}
