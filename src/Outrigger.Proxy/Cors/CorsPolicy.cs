using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Outrigger.Proxy.Policies;

namespace Outrigger.Proxy.Cors;

/// <summary>
/// Applies <see cref="CorsOptions"/>: answers preflights (OPTIONS with <c>Access-Control-Request-Method</c>) itself — 204
/// with the allowed methods, headers and max-age, or 403 naming what is not allowed — and adds the allow-origin headers to
/// the response of an allowed cross-origin request (whatever the upstream sent, and to the proxy's own error answers).
/// </summary>
internal sealed class CorsPolicy(CorsOptions options)
{
    private readonly string _methods = string.Join(", ", options.AllowedMethods);
    private readonly string _headers = string.Join(", ", options.AllowedHeaders);
    private readonly string _exposed = string.Join(", ", options.ExposedHeaders);
    private readonly string _maxAge = ((long)options.MaxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture);
    private readonly bool _anyOrigin = options.AllowedOrigins.Contains("*");
    private readonly bool _anyHeader = options.AllowedHeaders.Contains("*");

    public static bool IsPreflight(HttpRequest request) => Routing.RouteRequests.IsPreflight(new Routing.AspNetRouteRequest(request));

    /// <summary>Returns a status when the request was a preflight and has been answered.</summary>
    public async ValueTask<int?> ApplyAsync(HttpContext context)
    {
        var request = context.Request;
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return null;
        }

        if (IsPreflight(request))
        {
            return await PreflightAsync(context, origin).ConfigureAwait(false);
        }

        if (OriginAllowed(origin))
        {
            context.Response.OnStarting(static state =>
            {
                var (policy, context, origin) = ((CorsPolicy, HttpContext, string))state;
                policy.AddResponseHeaders(context.Response, origin);
                return Task.CompletedTask;
            }, (this, context, origin));
        }

        return null;
    }

    private async Task<int> PreflightAsync(HttpContext context, string origin)
    {
        var method = context.Request.Headers.AccessControlRequestMethod.ToString();
        var problem = !OriginAllowed(origin) ? $"origin '{origin}' is not allowed"
            : !options.AllowedMethods.Contains(method.ToUpperInvariant()) ? $"method '{method}' is not allowed (allowed: {_methods})"
            : FirstDisallowedHeader(context.Request.Headers.AccessControlRequestHeaders.ToString()) is { } header ? $"header '{header}' is not allowed (allowed: {_headers})"
            : null;
        if (problem is not null)
        {
            return await PolicyResponse.WriteAsync(context, StatusCodes.Status403Forbidden, $"CORS preflight rejected: {problem}", (HeaderNames.Vary, "Origin")).ConfigureAwait(false);
        }

        var response = context.Response;
        AddResponseHeaders(response, origin);
        response.Headers.AccessControlAllowMethods = _methods;
        response.Headers.AccessControlAllowHeaders = _anyHeader ? context.Request.Headers.AccessControlRequestHeaders.ToString() : _headers;
        response.Headers.AccessControlMaxAge = _maxAge;
        response.StatusCode = StatusCodes.Status204NoContent;
        return StatusCodes.Status204NoContent;
    }

    private void AddResponseHeaders(HttpResponse response, string origin)
    {
        var headers = response.Headers;
        headers.AccessControlAllowOrigin = _anyOrigin && !options.AllowCredentials ? "*" : origin;
        if (options.AllowCredentials)
        {
            headers.AccessControlAllowCredentials = "true";
        }

        if (_exposed.Length > 0)
        {
            headers.AccessControlExposeHeaders = _exposed;
        }

        headers.Append(HeaderNames.Vary, "Origin");
    }

    private bool OriginAllowed(string origin)
    {
        if (_anyOrigin)
        {
            return true;
        }

        foreach (var allowed in options.AllowedOrigins)
        {
            var star = allowed.IndexOf("*.", StringComparison.Ordinal);
            if (star < 0 ? string.Equals(allowed, origin, StringComparison.OrdinalIgnoreCase)
                : origin.Length > allowed.Length - 1 && origin.StartsWith(allowed[..star], StringComparison.OrdinalIgnoreCase)
                    && origin.EndsWith(allowed[(star + 1)..], StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private string? FirstDisallowedHeader(string requested)
    {
        if (_anyHeader)
        {
            return null;
        }

        foreach (var header in requested.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!options.AllowedHeaders.Contains(header, StringComparer.OrdinalIgnoreCase))
            {
                return header;
            }
        }

        return null;
    }
}
