using Outrigger.Core.Configuration;

namespace Outrigger.Proxy.Tracing;

/// <summary>Reads <c>proxy.tracing</c>.</summary>
internal static class TracingReader
{
    public static TracingOptions Read(ConfigReader tracing)
    {
        var defaults = TracingOptions.Default;
        return new TracingOptions(
            tracing.Bool("spans", defaults.Spans, "Record a span per request and per upstream attempt (exported by OTLP when telemetry.otlp_endpoint is set)."),
            tracing.Bool("start_traces", defaults.StartTraces, "Give a request without a valid traceparent a new trace id (sent upstream, logged in the access log)."));
    }
}
