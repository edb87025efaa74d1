using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Outrigger.Core.Admin;

namespace Outrigger.Core.Telemetry;

/// <summary>Builds the process's logger factory and, when an endpoint is configured, its OTLP exporters.</summary>
public static class TelemetrySetup
{
    /// <summary>Console logs in the configured format, filtered by <paramref name="level"/> (which may change at run time).</summary>
    public static ILoggerFactory CreateLoggerFactory(TelemetryOptions options, LogLevelSwitch level) =>
        LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Trace);
            builder.AddFilter((_, _, l) => l >= level.Level);
            if (options.LogFormat == "json")
            {
                builder.AddJsonConsole(o =>
                {
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                });
            }
            else
            {
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                });
            }
        });

    /// <summary>Starts OTLP export of every <c>Outrigger.*</c> source and meter; null when no endpoint is configured.</summary>
    public static IDisposable? StartOtlpExport(TelemetryOptions options) =>
        string.IsNullOrEmpty(options.OtlpEndpoint) ? null : StartOtlp(options);

    // Kept out of line so the OpenTelemetry assemblies are loaded only when export is configured (a few MB of RSS).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static Both StartOtlp(TelemetryOptions options)
    {
        // As with OTEL_EXPORTER_OTLP_ENDPOINT, the endpoint is the collector's base URL; over HTTP each signal has its own path.
        Action<OtlpExporterOptions> Configure(string signalPath) => o =>
        {
            var grpc = options.OtlpProtocol == "grpc";
            o.Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
            o.Endpoint = grpc ? new Uri(options.OtlpEndpoint!) : new Uri(options.OtlpEndpoint!.TrimEnd('/') + signalPath);
        };

        var resource = ResourceBuilder.CreateDefault().AddService(options.ServiceName);
        var tracer = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(OutriggerTelemetry.Prefix + ".*")
            .AddOtlpExporter(Configure("/v1/traces"))
            .Build();
        var meter = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(OutriggerTelemetry.Prefix + ".*", "System.Runtime")
            .AddOtlpExporter(Configure("/v1/metrics"))
            .Build();
        return new Both(tracer, meter);
    }

    private sealed class Both(IDisposable? first, IDisposable? second) : IDisposable
    {
        public void Dispose()
        {
            first?.Dispose();
            second?.Dispose();
        }
    }
}
