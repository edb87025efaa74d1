using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Outrigger.Core.Telemetry;
using Outrigger.Proxy.Routing;
using Outrigger.Proxy.Upstream;

namespace Outrigger.Proxy.Tracing;

/// <summary>
/// Spans of the proxy (source <c>Outrigger.Proxy</c>, see <see cref="TracingOptions"/>): one server span per request,
/// continuing the client's W3C trace, and one client span per upstream attempt, whose context replaces the
/// <c>traceparent</c> sent upstream. Without spans the client's headers pass through unchanged, and a request without a
/// trace gets a new <c>traceparent</c> before its headers are copied upstream.
/// </summary>
internal static class ProxyTracing
{
    public static readonly ActivitySource Source = OutriggerTelemetry.CreateActivitySource("Proxy");

    public static Activity? StartRequest(HttpContext context, TracingOptions options)
    {
        var headers = context.Request.Headers;
        if (options.Spans && Source.HasListeners()
            && TraceContext.StartServerActivity(Source, "proxy request", headers.TraceParent, headers.TraceState) is { } activity)
        {
            activity.SetTag("http.request.method", context.Request.Method);
            activity.SetTag("url.path", context.Request.Path.Value);
            return activity;
        }

        if (options.StartTraces && !TraceContext.TryParse(headers.TraceParent, null, out _))
        {
            // A new trace: a tracestate without a valid traceparent is meaningless (W3C trace context §3.3).
            headers.TraceParent = TraceContext.Format(new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded));
            headers.Remove(TraceContext.TraceStateHeader);
        }

        return null;
    }

    public static void EndRequest(Activity? activity, CompiledRoute? route, int status)
    {
        if (activity is null)
        {
            return;
        }

        if (route is not null)
        {
            activity.SetTag("http.route", route.Name);
            activity.SetTag("outrigger.cluster", route.Cluster.Name);
        }

        activity.SetTag("http.response.status_code", status);
        if (status >= 500)
        {
            activity.SetStatus(ActivityStatusCode.Error);
        }

        activity.Dispose();
    }

    /// <summary>The request's trace id: its span's, else the one in its <c>traceparent</c>; null when it has none.</summary>
    public static string? TraceId(HttpContext context)
    {
        if (Activity.Current is { Source: var source } current && source == Source)
        {
            return current.TraceId.ToHexString();
        }

        return TraceContext.TryParse(context.Request.Headers.TraceParent, null, out var parent) ? parent.TraceId.ToHexString() : null;
    }

    /// <summary>Starts the span of one upstream attempt (when the request has one) and puts its context in the upstream request.</summary>
    public static Activity? StartAttempt(UpstreamRequest request, string endpoint)
    {
        if (Activity.Current is not { } parent || parent.Source != Source)
        {
            return null;
        }

        var attempt = Source.StartActivity("proxy upstream attempt", ActivityKind.Client);
        attempt?.SetTag("server.address", endpoint);
        request.Remove(TraceContext.TraceParentHeader);
        request.Remove(TraceContext.TraceStateHeader);
        TraceContext.Inject(attempt ?? parent, (name, value) => request.Add(name, value));
        return attempt;
    }

    /// <summary>Ends an attempt's span with the upstream's <paramref name="status"/>, or as failed when it gave none.</summary>
    public static void EndAttempt(Activity? activity, int status, Exception? failure)
    {
        if (activity is null)
        {
            return;
        }

        if (failure is null)
        {
            activity.SetTag("http.response.status_code", status);
        }
        else
        {
            activity.SetStatus(ActivityStatusCode.Error, failure.GetType().Name);
        }

        activity.Dispose();
    }
}
