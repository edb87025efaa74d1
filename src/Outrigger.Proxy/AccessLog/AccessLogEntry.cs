using System.Text.Json;

namespace Outrigger.Proxy.AccessLog;

/// <summary>One request as the access log writes it; captured on the request's thread, formatted by the writer's task.</summary>
internal sealed record AccessLogEntry(
    DateTimeOffset Time,
    string Method,
    string? Path,
    string? Query,
    string Protocol,
    string? Host,
    string? Client,
    string Route,
    string Cluster,
    int Status,
    double DurationMs,
    string? UserAgent,
    string? RequestId,
    string? TraceId,
    RequestRecord? Record)
{
    /// <summary>Writes the entry as one JSON object (no reflection: AOT-ready).</summary>
    public void WriteTo(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("time", Time);
        json.WriteString("method", Method);
        json.WriteString("path", Path);
        json.WriteString("query", Query);
        json.WriteString("protocol", Protocol);
        json.WriteString("host", Host);
        json.WriteString("client", Client);
        json.WriteString("route", Route);
        json.WriteString("cluster", Cluster);
        json.WriteString("endpoint", Record?.Endpoint);
        json.WriteNumber("status", Status);
        json.WriteNumber("upstream_status", Record?.UpstreamStatus ?? 0);
        json.WriteNumber("attempts", Record?.Attempts ?? 0);
        json.WriteNumber("retries", Math.Max(0, (Record?.Attempts ?? 0) - 1));
        json.WriteNumber("bytes_received", Record?.BytesReceived ?? 0);
        json.WriteNumber("bytes_sent", Record?.BytesSent ?? 0);
        json.WriteNumber("duration_ms", Math.Round(DurationMs, 3));
        json.WriteNumber("upstream_ms", Math.Round((Record?.UpstreamSeconds ?? 0) * 1000, 3));
        json.WriteString("user_agent", UserAgent);
        json.WriteString("request_id", RequestId);
        json.WriteString("trace_id", TraceId);
        json.WriteEndObject();
    }
}
