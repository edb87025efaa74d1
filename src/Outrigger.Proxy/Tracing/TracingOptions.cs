namespace Outrigger.Proxy.Tracing;

/// <summary>
/// Tracing (<c>proxy.tracing</c>). The client's W3C <c>traceparent</c>/<c>tracestate</c> always go upstream. With
/// <see cref="Spans"/>, and when something listens to the <c>Outrigger.Proxy</c> source (OTLP export is configured with
/// <c>telemetry.otlp_endpoint</c>), a server span per request and a client span per upstream attempt are recorded; the
/// upstream then sees the attempt's span as its parent. With <see cref="StartTraces"/>, a request without a valid
/// <c>traceparent</c> starts a new trace: a new trace id goes upstream and into the access log.
/// </summary>
internal sealed record TracingOptions(bool Spans, bool StartTraces)
{
    public static TracingOptions Default { get; } = new(true, true);
}
