namespace Outrigger.Proxy.Upstream;

/// <summary>
/// An upstream's response whose headers have arrived; the body is read with <see cref="ReadAsync"/>. Disposing it releases
/// the connection: back to its pool when the exchange ended cleanly (body read to its end, request body sent in full,
/// no <c>Connection: close</c>), else closed.
/// </summary>
internal abstract class UpstreamResponse : IDisposable
{
    public int StatusCode { get; protected set; }

    /// <summary>The version the upstream answered with (1.0, 1.1 or 2.0).</summary>
    public Version Version { get; protected set; } = System.Net.HttpVersion.Version11;

    /// <summary>Header fields as received, in order, hop-by-hop ones included; a repeated name is a separate entry.</summary>
    public abstract IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>Trailer fields; complete once <see cref="ReadAsync"/> returned 0. Empty when there are none.</summary>
    public abstract IReadOnlyList<KeyValuePair<string, string>> Trailers { get; }

    /// <summary>Reads the next piece of the body; 0 at its end. Throws <see cref="UpstreamException"/> when the upstream breaks it off or frames it wrongly.</summary>
    public abstract ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken token);

    /// <summary>After a <c>101 Switching Protocols</c> to an upgrade request: the connection as a byte stream, both ways.</summary>
    public abstract Stream OpenTunnel();

    /// <summary>The first value of header <paramref name="name"/>, or null.</summary>
    public string? Header(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);
}
