namespace Outrigger.Proxy.Routing;

/// <summary>Matches the request's host (port ignored, case-insensitive) against names and <c>*.suffix</c> wildcards.</summary>
internal sealed class HostMatcher(IReadOnlyList<string> hosts)
{
    private readonly string[] _exact = [.. hosts.Where(h => !h.StartsWith("*.", StringComparison.Ordinal)).Select(StripPort)];
    private readonly string[] _suffixes = [.. hosts.Where(h => h.StartsWith("*.", StringComparison.Ordinal)).Select(h => StripPort(h)[1..])];

    public bool IsEmpty => _exact.Length == 0 && _suffixes.Length == 0;

    /// <summary>Whether the <c>Host</c> header value <paramref name="hostHeader"/> (port allowed) matches.</summary>
    public bool Matches(string hostHeader)
    {
        var host = WithoutPort(hostHeader);
        foreach (var exact in _exact)
        {
            if (host.Equals(exact, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        foreach (var suffix in _suffixes)
        {
            if (host.Length > suffix.Length && host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The host part of a Host header value, without allocating: <c>[::1]:80</c> → <c>[::1]</c>, <c>a:80</c> → <c>a</c>.</summary>
    private static ReadOnlySpan<char> WithoutPort(ReadOnlySpan<char> value)
    {
        if (value.StartsWith('['))
        {
            var end = value.IndexOf(']');
            return end < 0 ? value : value[..(end + 1)];
        }

        var colon = value.IndexOf(':');
        return colon < 0 ? value : value[..colon];
    }

    private static string StripPort(string host)
    {
        var colon = host.LastIndexOf(':');
        return colon > 0 && !host.EndsWith(']') ? host[..colon] : host;
    }
}
