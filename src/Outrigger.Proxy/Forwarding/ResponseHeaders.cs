using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Outrigger.Proxy.Configuration;

namespace Outrigger.Proxy.Forwarding;

/// <summary>Copies the upstream's response headers and trailers to the client's response, minus hop-by-hop ones.</summary>
internal static class ResponseHeaders
{
    public static void Copy(HttpResponseMessage response, HttpResponse target, bool upgrade, bool via, RouteTransformOptions transforms)
    {
        var namedInConnection = response.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var connection)
            ? HopByHop.NamedInConnection(ToStringValues(connection))
            : null;
        CopyAll(response.Headers.NonValidated, target.Headers, upgrade, namedInConnection);
        CopyAll(response.Content.Headers.NonValidated, target.Headers, upgrade, namedInConnection);
        if (via)
        {
            var hop = RequestHeaders.ViaEntry(response.Version);
            target.Headers.Via = target.Headers.Via.Count == 0 ? hop : $"{target.Headers.Via}, {hop}";
        }

        if (transforms.ChangesResponseHeaders)
        {
            foreach (var name in transforms.RemoveResponseHeaders)
            {
                target.Headers.Remove(name);
            }

            foreach (var (name, value) in transforms.SetResponseHeaders)
            {
                target.Headers[name] = value;
            }
        }
    }

    /// <summary>Copies trailers when the client's protocol can carry them (HTTP/2); returns whether any were copied.</summary>
    public static bool CopyTrailers(HttpResponseMessage response, HttpResponse target)
    {
        if (response.TrailingHeaders.NonValidated.Count == 0 || !target.SupportsTrailers())
        {
            return false;
        }

        foreach (var (name, values) in response.TrailingHeaders.NonValidated)
        {
            if (!HopByHop.IsHopByHop(name))
            {
                target.AppendTrailer(name, ToStringValues(values));
            }
        }

        return true;
    }

    private static void CopyAll(HttpHeadersNonValidated source, IHeaderDictionary target, bool upgrade, HashSet<string>? namedInConnection)
    {
        var targetWasEmpty = target.Count == 0;
        foreach (var (name, values) in source)
        {
            if ((HopByHop.IsHopByHop(name) && !(upgrade && name.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase)))
                || (namedInConnection is not null && namedInConnection.Contains(name)))
            {
                continue;
            }

            var value = ToStringValues(values);
            if (!targetWasEmpty && target.TryGetValue(name, out var existing))
            {
                target[name] = StringValues.Concat(existing, value);
            }
            else
            {
                target[name] = value;
            }
        }
    }

    private static StringValues ToStringValues(HeaderStringValues values)
    {
        if (values.Count == 1)
        {
            return new StringValues(values.ToString());
        }

        var array = new string[values.Count];
        var i = 0;
        foreach (var value in values)
        {
            array[i++] = value;
        }

        return new StringValues(array);
    }
}
