using Outrigger.Core.Configuration;

namespace Outrigger.Core.Telemetry;

/// <summary>The <c>telemetry</c> section: logs, and OTLP export of traces and metrics.</summary>
public sealed record TelemetryOptions(string LogLevel, string LogFormat, string? OtlpEndpoint, string OtlpProtocol, string ServiceName)
{
    public static TelemetryOptions Read(ConfigReader root)
    {
        var section = root.Section("telemetry", "Logs, traces and metrics shared by every module.");
        return new TelemetryOptions(
            section.Choice("log_level", "information", "Minimum log level (changeable at run time: POST /logging on the admin port).", [.. Admin.LogLevelSwitch.Names, "info", "warn"]),
            section.Choice("log_format", "text", "Log format on stdout: one-line text, or JSON objects.", "text", "json"),
            section.OptionalString("otlp_endpoint", "OTLP collector URL (e.g. http://otel-collector:4317). When set, traces and metrics are exported; when empty, nothing is."),
            section.Choice("otlp_protocol", "grpc", "OTLP transport.", "grpc", "http/protobuf"),
            section.String("service_name", "outrigger", "service.name resource attribute of exported telemetry."));
    }
}
