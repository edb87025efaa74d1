using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Upstream;

namespace Outrigger.Proxy.Forwarding;

/// <summary>Copies the upstream's response headers and trailers to the client's response, minus hop-by-hop ones.</summary>
internal static class ResponseHeaders
{
    public static void Copy(UpstreamResponse response, HttpResponse target, bool upgrade, bool via, RouteTransformOptions transforms)
    {
        var fields = response.Headers;
        var namedInConnection = NamedInConnection(fields);
        var headers = target.Headers;
        var targetWasEmpty = headers.Count == 0;
        for (var i = 0; i < fields.Count; i++)
        {
            var (name, value) = fields[i];
            if ((HopByHop.IsHopByHop(name) && !(upgrade && name.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase)))
                || (namedInConnection is not null && namedInConnection.Contains(name)))
            {
                continue;
            }

            // A repeated field (Set-Cookie, Vary, …) is added to, not replaced.
            if ((!targetWasEmpty || Repeated(fields, i)) && headers.TryGetValue(name, out var existing))
            {
                headers[name] = StringValues.Concat(existing, value);
            }
            else
            {
                headers[name] = value;
            }
        }

        if (via)
        {
            var hop = RequestHeaders.ViaEntry(response.Version);
            headers.Via = headers.Via.Count == 0 ? hop : $"{headers.Via}, {hop}";
        }

        if (transforms.ChangesResponseHeaders)
        {
            foreach (var name in transforms.RemoveResponseHeaders)
            {
                headers.Remove(name);
            }

            foreach (var (name, value) in transforms.SetResponseHeaders)
            {
                headers[name] = value;
            }
        }
    }

    /// <summary>Copies trailers when the client's protocol can carry them (HTTP/2); returns whether any were copied.</summary>
    public static bool CopyTrailers(UpstreamResponse response, HttpResponse target)
    {
        var trailers = response.Trailers;
        if (trailers.Count == 0 || !target.SupportsTrailers())
        {
            return false;
        }

        foreach (var (name, value) in trailers)
        {
            if (!HopByHop.IsHopByHop(name))
            {
                target.AppendTrailer(name, value);
            }
        }

        return true;
    }

    private static HashSet<string>? NamedInConnection(IReadOnlyList<KeyValuePair<string, string>> fields)
    {
        HashSet<string>? named = null;
        foreach (var (name, value) in fields)
        {
            if (name.Equals(HeaderNames.Connection, StringComparison.OrdinalIgnoreCase) && HopByHop.NamedInConnection(value) is { } some)
            {
                if (named is null)
                {
                    named = some;
                }
                else
                {
                    named.UnionWith(some);
                }
            }
        }

        return named;
    }

    /// <summary>Whether a field before index <paramref name="index"/> has the same name.</summary>
    private static bool Repeated(IReadOnlyList<KeyValuePair<string, string>> fields, int index)
    {
        var name = fields[index].Key;
        for (var i = 0; i < index; i++)
        {
            if (fields[i].Key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
