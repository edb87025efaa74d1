namespace Outrigger.Proxy.Routing;

/// <summary>Matches the request's host (port ignored, case-insensitive) against names and <c>*.suffix</c> wildcards.</summary>
internal sealed class HostMatcher(IReadOnlyList<string> hosts)
{
    private readonly string[] _exact = [.. hosts.Where(h => !h.StartsWith("*.", StringComparison.Ordinal)).Select(StripPort)];
    private readonly string[] _suffixes = [.. hosts.Where(h => h.StartsWith("*.", StringComparison.Ordinal)).Select(h => StripPort(h)[1..])];

    public bool IsEmpty => _exact.Length == 0 && _suffixes.Length == 0;

    public bool Matches(string host)
    {
        foreach (var exact in _exact)
        {
            if (string.Equals(exact, host, StringComparison.OrdinalIgnoreCase))
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

    private static string StripPort(string host)
    {
        var colon = host.LastIndexOf(':');
        return colon > 0 && !host.EndsWith(']') ? host[..colon] : host;
    }
}
