using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Outrigger.Proxy.Routing;

/// <summary>
/// What route matching reads of a request. Implemented by a struct over Kestrel's <see cref="HttpRequest"/> and by the
/// direct HTTP/1.1 path's parsed head, so both match routes by the same code without boxing.
/// </summary>
internal interface IRouteRequest
{
    string Method { get; }

    /// <summary>The Host header (or :authority); empty when absent.</summary>
    string Host { get; }

    /// <summary>The decoded path, starting with <c>/</c>.</summary>
    string Path { get; }

    /// <summary>A header's value (repeated fields joined by commas); null when absent.</summary>
    string? Header(string name);

    /// <summary>A query parameter's value; null when absent.</summary>
    string? Query(string name);
}

/// <summary>Route matching over Kestrel's request.</summary>
internal readonly struct AspNetRouteRequest(HttpRequest request) : IRouteRequest
{
    public string Method => request.Method;

    public string Host => request.Host.Value ?? "";

    public string Path => request.Path.Value ?? "/";

    public string? Header(string name) => request.Headers.TryGetValue(name, out var value) ? value.ToString() : null;

    public string? Query(string name) => request.Query.TryGetValue(name, out var value) ? value.ToString() : null;
}

internal static class RouteRequests
{
    /// <summary>A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method.</summary>
    public static bool IsPreflight<T>(T request)
        where T : IRouteRequest =>
        HttpMethods.IsOptions(request.Method) && request.Header(HeaderNames.Origin) is not null && request.Header(HeaderNames.AccessControlRequestMethod) is not null;
}
