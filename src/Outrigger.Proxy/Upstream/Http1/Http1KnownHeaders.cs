using System.Text;

namespace Outrigger.Proxy.Upstream.Http1;

/// <summary>
/// Response header names common enough to keep one string each: a received name that matches one (case-insensitively)
/// costs no allocation, and its id indexes the connection's cache of last values.
/// </summary>
internal static class Http1KnownHeaders
{
    public const int ContentLength = 0;
    public const int TransferEncoding = 1;
    public const int Connection = 2;

    /// <summary>The names, canonical casing; the first three are the framing fields above.</summary>
    public static readonly string[] Names =
    [
        "Content-Length", "Transfer-Encoding", "Connection",
        "Accept-Ranges", "Access-Control-Allow-Credentials", "Access-Control-Allow-Headers", "Access-Control-Allow-Methods",
        "Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Access-Control-Max-Age", "Age", "Allow", "Alt-Svc",
        "Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Location", "Content-Range",
        "Content-Security-Policy", "Content-Type", "Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy", "Date", "ETag",
        "Expires", "Grpc-Message", "Grpc-Status", "Keep-Alive", "Last-Modified", "Link", "Location", "Pragma",
        "Proxy-Authenticate", "Referrer-Policy", "Retry-After", "Sec-WebSocket-Accept", "Sec-WebSocket-Extensions",
        "Sec-WebSocket-Protocol", "Server", "Server-Timing", "Set-Cookie", "Strict-Transport-Security", "Trailer", "Upgrade",
        "Vary", "Via", "WWW-Authenticate", "X-Content-Type-Options", "X-Frame-Options", "X-Powered-By", "X-Request-Id",
        "X-XSS-Protection", "traceparent",
    ];

    private static readonly int[][] ByLength = Group();

    /// <summary>The id of <paramref name="name"/> in <see cref="Names"/>, or -1.</summary>
    public static int Find(ReadOnlySpan<byte> name)
    {
        if (name.Length >= ByLength.Length)
        {
            return -1;
        }

        foreach (var id in ByLength[name.Length])
        {
            if (Ascii.EqualsIgnoreCase(name, Names[id]))
            {
                return id;
            }
        }

        return -1;
    }

    private static int[][] Group()
    {
        var longest = 0;
        foreach (var name in Names)
        {
            longest = Math.Max(longest, name.Length);
        }

        var groups = new List<int>[longest + 1];
        for (var i = 0; i < groups.Length; i++)
        {
            groups[i] = [];
        }

        for (var id = 0; id < Names.Length; id++)
        {
            groups[Names[id].Length].Add(id);
        }

        var result = new int[groups.Length][];
        for (var i = 0; i < groups.Length; i++)
        {
            result[i] = [.. groups[i]];
        }

        return result;
    }
}
