using System.Collections.Frozen;
using Microsoft.Extensions.Primitives;

namespace Outrigger.Proxy.Forwarding;

/// <summary>Connection-specific headers (RFC 9110 §7.6.1) that a proxy must not forward, plus those a message names in <c>Connection</c>.</summary>
internal static class HopByHop
{
    private static readonly FrozenSet<string> Names = new[]
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade", "HTTP2-Settings",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    public static bool IsHopByHop(string name) => Names.Contains(name);

    /// <summary>The extra header names listed in a <c>Connection</c> header (e.g. <c>Connection: close, X-Foo</c>); null when none.</summary>
    public static HashSet<string>? NamedInConnection(StringValues connection)
    {
        HashSet<string>? result = null;
        foreach (var value in connection)
        {
            var rest = value.AsSpan();
            while (rest.Length > 0)
            {
                var comma = rest.IndexOf(',');
                var token = (comma < 0 ? rest : rest[..comma]).Trim();
                rest = comma < 0 ? [] : rest[(comma + 1)..];
                if (token.Length > 0 && !token.Equals("close", StringComparison.OrdinalIgnoreCase) && !token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
                    && !token.Equals("upgrade", StringComparison.OrdinalIgnoreCase))
                {
                    (result ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase)).Add(token.ToString());
                }
            }
        }

        return result;
    }
}
