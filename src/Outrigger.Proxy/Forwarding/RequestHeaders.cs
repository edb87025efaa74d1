using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Outrigger.Proxy.Configuration;

namespace Outrigger.Proxy.Forwarding;

/// <summary>Copies the client's request headers to the upstream request, minus hop-by-hop ones, plus the proxy's own.</summary>
internal static class RequestHeaders
{
    public const string ViaValue = "outrigger";

    public static void Copy(HttpContext context, HttpRequestMessage message, bool upgrade, ForwardingOptions options, RouteTransformOptions transforms)
    {
        var headers = context.Request.Headers;
        var namedInConnection = headers.TryGetValue(HeaderNames.Connection, out var connection) ? HopByHop.NamedInConnection(connection) : null;
        foreach (var (name, values) in headers)
        {
            if (Skip(name, values, upgrade, options, namedInConnection))
            {
                continue;
            }

            Add(message, name, values);
        }

        if (upgrade)
        {
            message.Headers.TryAddWithoutValidation(HeaderNames.Connection, "Upgrade");
        }

        if (options.PreserveHost)
        {
            message.Headers.Host = context.Request.Host.Value;
        }

        if (message.Content is not null && headers.TryGetValue(HeaderNames.Expect, out var expect) && expect.ToString().Contains("100-continue", StringComparison.OrdinalIgnoreCase))
        {
            message.Headers.ExpectContinue = true;
        }

        AddProxyHeaders(context, message, options);
        if (transforms.ChangesHeaders)
        {
            ApplyTransforms(message, transforms);
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

        return name.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase)
            || name.Equals(HeaderNames.Expect, StringComparison.OrdinalIgnoreCase)
            || (options.Via && name.Equals(HeaderNames.Via, StringComparison.OrdinalIgnoreCase))
            || (options.XForwarded && (name.Equals("X-Forwarded-For", StringComparison.OrdinalIgnoreCase)
                || name.Equals("X-Forwarded-Proto", StringComparison.OrdinalIgnoreCase) || name.Equals("X-Forwarded-Host", StringComparison.OrdinalIgnoreCase)))
            || (namedInConnection is not null && namedInConnection.Contains(name));
    }

    private static void Add(HttpRequestMessage message, string name, StringValues values)
    {
        var added = values.Count == 1
            ? message.Headers.TryAddWithoutValidation(name, values.ToString())
            : message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        if (!added && message.Content is not null)
        {
            AddContent(message.Content.Headers, name, values);
        }
    }

    private static void AddContent(HttpContentHeaders headers, string name, StringValues values)
    {
        if (values.Count == 1)
        {
            headers.TryAddWithoutValidation(name, values.ToString());
        }
        else
        {
            headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
    }

    private static void AddProxyHeaders(HttpContext context, HttpRequestMessage message, ForwardingOptions options)
    {
        var request = context.Request;
        if (options.XForwarded)
        {
            var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            var existing = request.Headers["X-Forwarded-For"];
            message.Headers.TryAddWithoutValidation("X-Forwarded-For", existing.Count == 0 ? ip : $"{existing}, {ip}");
            message.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
            if (request.Host.HasValue)
            {
                message.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
            }
        }

        if (options.Via)
        {
            var hop = ViaEntry(request.Protocol);
            var existing = request.Headers.Via;
            message.Headers.TryAddWithoutValidation(HeaderNames.Via, existing.Count == 0 ? hop : $"{existing}, {hop}");
        }

        if (options.RequestIdHeader.Length > 0 && !request.Headers.ContainsKey(options.RequestIdHeader))
        {
            message.Headers.TryAddWithoutValidation(options.RequestIdHeader, RequestIds.Next());
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

    private static void ApplyTransforms(HttpRequestMessage message, RouteTransformOptions transforms)
    {
        foreach (var name in transforms.RemoveRequestHeaders)
        {
            message.Headers.Remove(name);
            message.Content?.Headers.Remove(name);
        }

        foreach (var (name, value) in transforms.SetRequestHeaders)
        {
            message.Headers.Remove(name);
            if (!message.Headers.TryAddWithoutValidation(name, value) && message.Content is not null)
            {
                message.Content.Headers.Remove(name);
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }
    }
}
