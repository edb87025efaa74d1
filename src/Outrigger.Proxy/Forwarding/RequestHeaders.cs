using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Upstream;

namespace Outrigger.Proxy.Forwarding;

/// <summary>Copies the client's request headers to the upstream request, minus hop-by-hop ones, plus the proxy's own.</summary>
internal static class RequestHeaders
{
    public const string ViaValue = "outrigger";

    public static void Copy(HttpContext context, UpstreamRequest request, bool upgrade, ForwardingOptions options, RouteTransformOptions transforms)
    {
        var headers = context.Request.Headers;
        var namedInConnection = headers.TryGetValue(HeaderNames.Connection, out var connection) ? HopByHop.NamedInConnection(connection) : null;
        foreach (var (name, values) in headers)
        {
            if (!Skip(name, values, upgrade, options, namedInConnection))
            {
                request.Add(name, values);
            }
        }

        if (request.Body is not null && headers.TryGetValue(HeaderNames.Expect, out var expect) && expect.ToString().Contains("100-continue", StringComparison.OrdinalIgnoreCase))
        {
            request.ExpectContinue = true;
        }

        AddProxyHeaders(context, request, options);
        if (transforms.ChangesHeaders)
        {
            ApplyTransforms(request, transforms);
        }
    }

    private static bool Skip(string name, StringValues values, bool upgrade, ForwardingOptions options, HashSet<string>? namedInConnection)
    {
        if (name.Length == 0 || name[0] == ':')
        {
            return true;
        }

        if (HopByHop.IsHopByHop(name))
        {
            // gRPC needs "te: trailers"; an upgrade needs its Upgrade header.
            return !(name.Equals(HeaderNames.TE, StringComparison.OrdinalIgnoreCase) && values.ToString().Equals("trailers", StringComparison.OrdinalIgnoreCase))
                && !(upgrade && name.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase));
        }

        // The upstream client sends Host from the request's authority and frames the body itself.
        return name.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase)
            || name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)
            || name.Equals(HeaderNames.Expect, StringComparison.OrdinalIgnoreCase)
            || (options.Via && name.Equals(HeaderNames.Via, StringComparison.OrdinalIgnoreCase))
            || (options.XForwarded && (name.Equals("X-Forwarded-For", StringComparison.OrdinalIgnoreCase)
                || name.Equals("X-Forwarded-Proto", StringComparison.OrdinalIgnoreCase) || name.Equals("X-Forwarded-Host", StringComparison.OrdinalIgnoreCase)))
            || (namedInConnection is not null && namedInConnection.Contains(name));
    }

    private static void AddProxyHeaders(HttpContext context, UpstreamRequest upstream, ForwardingOptions options)
    {
        var request = context.Request;
        if (options.XForwarded)
        {
            var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            var existing = request.Headers["X-Forwarded-For"];
            upstream.Add("X-Forwarded-For", existing.Count == 0 ? ip : $"{existing}, {ip}");
            upstream.Add("X-Forwarded-Proto", request.Scheme);
            if (request.Host.HasValue)
            {
                upstream.Add("X-Forwarded-Host", request.Host.Value);
            }
        }

        if (options.Via)
        {
            var hop = ViaEntry(request.Protocol);
            var existing = request.Headers.Via;
            upstream.Add(HeaderNames.Via, existing.Count == 0 ? hop : $"{existing}, {hop}");
        }

        if (options.RequestIdHeader.Length > 0 && !request.Headers.ContainsKey(options.RequestIdHeader))
        {
            upstream.Add(options.RequestIdHeader, RequestIds.Next());
        }
    }

    /// <summary>This proxy's Via entry for a message received over <paramref name="protocol"/>: <c>1.1 outrigger</c>, <c>2 outrigger</c>, …</summary>
    public static string ViaEntry(string protocol) => protocol switch
    {
        "HTTP/2" => "2 " + ViaValue,
        "HTTP/1.0" => "1.0 " + ViaValue,
        "HTTP/3" => "3 " + ViaValue,
        _ => "1.1 " + ViaValue,
    };

    /// <summary>This proxy's Via entry for a response received with <paramref name="version"/>.</summary>
    public static string ViaEntry(Version version) => version.Major switch
    {
        2 => "2 " + ViaValue,
        3 => "3 " + ViaValue,
        _ => version.Minor == 0 ? "1.0 " + ViaValue : "1.1 " + ViaValue,
    };

    private static void ApplyTransforms(UpstreamRequest request, RouteTransformOptions transforms)
    {
        foreach (var name in transforms.RemoveRequestHeaders)
        {
            request.Remove(name);
        }

        foreach (var (name, value) in transforms.SetRequestHeaders)
        {
            if (name.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase))
            {
                request.Authority = value;
            }
            else
            {
                request.Set(name, value);
            }
        }
    }
}
