using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Outrigger.Core.Hosting;
using Outrigger.Core.Telemetry;

namespace Outrigger.Core.Admin;

/// <summary>
/// The admin HTTP server (default 127.0.0.1:9901): liveness, readiness, Prometheus metrics, effective
/// configuration, module list, log level, plus whatever routes modules add to <see cref="AdminRoutes"/>.
/// </summary>
public sealed partial class AdminServer : IAsyncDisposable
{
    private static readonly Meter Meter = OutriggerTelemetry.CreateMeter("Admin");
    private static readonly Histogram<double> RequestDuration =
        Meter.CreateLatencyHistogram("outrigger_admin_request_duration_seconds", "Duration of admin HTTP requests.");

    private readonly AdminRoutes _routes;
    private readonly IAdminSource _source;
    private readonly MetricsCollector _metrics;
    private readonly ILogger _logger;
    private HttpServer? _server;

    public AdminServer(AdminRoutes routes, IAdminSource source, MetricsCollector metrics, ILoggerFactory loggerFactory)
    {
        _routes = routes;
        _source = source;
        _metrics = metrics;
        _logger = loggerFactory.CreateLogger("Outrigger.Admin");
        routes.Map("/", "this list of admin endpoints", Index);
        routes.Map("/health", "liveness: 200 while the process serves", Health);
        routes.Map("/ready", "readiness: 200 when every enabled module is ready, else 503; JSON detail per module; ?wait_seconds=N waits for readiness", Ready);
        routes.Map("/metrics", "Prometheus text exposition 0.0.4", Metrics);
        routes.Map("/config", "effective configuration as JSON, secrets redacted", Config);
        routes.Map("/modules", "modules, whether they run, and their health", Modules);
        routes.Map("/logging", "GET shows the log level; POST ?level=debug (or a body 'debug') changes it", Logging, "GET", "POST");
    }

    public IReadOnlyList<System.Net.IPEndPoint> EndPoints => _server?.EndPoints ?? [];

    public async Task StartAsync(string address, CancellationToken cancellationToken)
    {
        _server = await HttpServer.StartAsync(
            [ListenEndpoint.Parse(address, HttpProtocols.Http1)],
            HandleAsync,
            _source.LoggerFactory,
            o => o.Limits.MaxRequestBodySize = 64 * 1024,
            cancellationToken).ConfigureAwait(false);
        LogListening(_logger, string.Join(", ", _server.EndPoints));
    }

    public Task StopAsync(CancellationToken cancellationToken) => _server?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var route = _routes.Find(context.Request.Path.Value ?? "/");
        var method = context.Request.Method;
        if (route is null)
        {
            await WriteTextAsync(context, StatusCodes.Status404NotFound, $"no admin endpoint {context.Request.Path}; GET / lists them\n").ConfigureAwait(false);
        }
        else if (!Allows(route, method))
        {
            context.Response.Headers.Allow = string.Join(", ", route.Methods);
            await WriteTextAsync(context, StatusCodes.Status405MethodNotAllowed, $"{route.Path} accepts {string.Join(", ", route.Methods)}\n").ConfigureAwait(false);
        }
        else
        {
            await route.Handler(context).ConfigureAwait(false);
        }

        RequestDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("path", route?.Path ?? "unknown"));
    }

    private static bool Allows(AdminRoute route, string method)
    {
        foreach (var allowed in route.Methods)
        {
            if (allowed == method || (allowed == "GET" && method == "HEAD"))
            {
                return true;
            }
        }

        return false;
    }

    private Task Index(HttpContext context)
    {
        var text = new StringBuilder();
        foreach (var route in _routes.All)
        {
            text.Append(route.Path).Append(" (").Append(string.Join(", ", route.Methods)).Append("): ").Append(route.Description).Append('\n');
        }

        return WriteTextAsync(context, StatusCodes.Status200OK, text.ToString());
    }

    private static Task Health(HttpContext context) => WriteTextAsync(context, StatusCodes.Status200OK, "OK\n");

    private async Task Ready(HttpContext context)
    {
        var report = _source.GetReadiness();
        if (!report.Ready && int.TryParse(context.Request.Query["wait_seconds"], out var wait) && wait > 0)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(Math.Min(wait, 300) * (double)Stopwatch.Frequency);
            while (!report.Ready && Stopwatch.GetTimestamp() < deadline && !context.RequestAborted.IsCancellationRequested)
            {
                await Task.Delay(50, context.RequestAborted).ConfigureAwait(false);
                report = _source.GetReadiness();
            }
        }

        await WriteJsonAsync(context, report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("ready", report.Ready);
            w.WriteStartArray("not_ready");
            foreach (var module in report.Modules)
            {
                if (!module.Health.Ready)
                {
                    w.WriteStringValue(module.Name);
                }
            }

            w.WriteEndArray();
            w.WritePropertyName("modules");
            WriteModules(w, report.Modules);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private Task Modules(HttpContext context) => WriteJsonAsync(context, StatusCodes.Status200OK, w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("modules");
        WriteModules(w, _source.GetReadiness().Modules);
        w.WriteStartArray("disabled");
        foreach (var name in _source.DisabledModules)
        {
            w.WriteStringValue(name);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    private Task Metrics(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = PrometheusTextWriter.ContentType;
        return context.Response.WriteAsync(PrometheusTextWriter.Write(_metrics.Snapshot()), context.RequestAborted);
    }

    private Task Config(HttpContext context) => WriteJsonAsync(context, StatusCodes.Status200OK, _source.WriteConfig);

    private async Task Logging(HttpContext context)
    {
        if (HttpMethods.IsPost(context.Request.Method))
        {
            string? requested = context.Request.Query["level"];
            if (string.IsNullOrEmpty(requested))
            {
                using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
                requested = (await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false)).Trim();
                if (requested.StartsWith("level=", StringComparison.Ordinal))
                {
                    requested = requested["level=".Length..];
                }
            }

            if (!LogLevelSwitch.TryParse(requested, out var level))
            {
                await WriteTextAsync(context, StatusCodes.Status400BadRequest, $"'{requested}' is not a log level (trace, debug, information, warning, error, critical, none)\n").ConfigureAwait(false);
                return;
            }

            _source.LogLevel.Level = level;
            LogLevelChanged(_logger, LogLevelSwitch.Name(level));
        }

        await WriteTextAsync(context, StatusCodes.Status200OK, $"level: {LogLevelSwitch.Name(_source.LogLevel.Level)}\n").ConfigureAwait(false);
    }

    private static void WriteModules(Utf8JsonWriter w, IReadOnlyList<ModuleReport> modules)
    {
        w.WriteStartObject();
        foreach (var module in modules)
        {
            w.WriteStartObject(module.Name);
            w.WriteBoolean("ready", module.Health.Ready);
            if (module.Health.Reason is { } reason)
            {
                w.WriteString("reason", reason);
            }

            if (module.Health.Detail is { } detail)
            {
                w.WritePropertyName("detail");
                detail.WriteTo(w);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task WriteTextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    [LoggerMessage(1, LogLevel.Information, "Admin server listening on {EndPoints}")]
    private static partial void LogListening(ILogger logger, string endPoints);

    [LoggerMessage(2, LogLevel.Information, "Log level changed to {Level}")]
    private static partial void LogLevelChanged(ILogger logger, string level);
}

/// <summary>What the admin server shows, supplied by the host.</summary>
public interface IAdminSource
{
    ILoggerFactory LoggerFactory { get; }

    LogLevelSwitch LogLevel { get; }

    IReadOnlyList<string> DisabledModules { get; }

    ReadinessReport GetReadiness();

    void WriteConfig(Utf8JsonWriter writer);
}

/// <summary>Readiness of the sidecar: ready when every running module is.</summary>
public sealed record ReadinessReport(bool Ready, IReadOnlyList<ModuleReport> Modules);

public sealed record ModuleReport(string Name, ModuleHealth Health);
