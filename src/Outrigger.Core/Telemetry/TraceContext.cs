using System.Diagnostics;

namespace Outrigger.Core.Telemetry;

/// <summary>W3C trace context (<c>traceparent</c> / <c>tracestate</c>) helpers shared by every module.</summary>
public static class TraceContext
{
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    /// <summary>Parses a <c>traceparent</c> header (version 00); false for anything malformed.</summary>
    public static bool TryParse(string? traceParent, string? traceState, out ActivityContext context) =>
        ActivityContext.TryParse(traceParent, traceState, isRemote: true, out context);

    /// <summary>Formats a context as a <c>traceparent</c> value: <c>00-{trace-id}-{span-id}-{flags}</c>.</summary>
    public static string Format(ActivityContext context) =>
        $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{((context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}";

    /// <summary>
    /// Starts a server-side activity continuing the caller's trace when <paramref name="traceParent"/> is valid.
    /// Returns null when nobody listens to <paramref name="source"/>.
    /// </summary>
    public static Activity? StartServerActivity(ActivitySource source, string name, string? traceParent, string? traceState)
    {
        return TryParse(traceParent, traceState, out var parent)
            ? source.StartActivity(name, ActivityKind.Server, parent)
            : source.StartActivity(name, ActivityKind.Server);
    }

    /// <summary>Adds <c>traceparent</c> (and <c>tracestate</c>) for <paramref name="activity"/> through <paramref name="set"/>.</summary>
    public static void Inject(Activity? activity, Action<string, string> set)
    {
        if (activity is null)
        {
            return;
        }

        set(TraceParentHeader, Format(activity.Context));
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            set(TraceStateHeader, activity.TraceStateString);
        }
    }
}
