using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Outrigger.Core.Admin;
using Outrigger.Core.Configuration;
using Outrigger.Core.Hosting;
using Outrigger.Core.Telemetry;

namespace Outrigger.Hosting;

/// <summary>
/// Runs the sidecar: the admin server first (so <c>/ready</c> answers 503 while modules start), then every
/// enabled module; on shutdown, reports not-ready, drains modules in reverse order, then the admin server.
/// </summary>
internal sealed partial class SidecarHost : IAdminSource, IAsyncDisposable
{
    private readonly SidecarConfiguration _configuration;
    private readonly ILogger _logger;
    private readonly MetricsCollector _metrics = new();
    private readonly ProcessMetrics _processMetrics = new();
    private readonly IDisposable? _otlp;
    private readonly AdminServer _admin;
    private readonly List<IModule> _modules = [];
    private volatile bool _started;
    private volatile bool _draining;

    public SidecarHost(SidecarConfiguration configuration, TimeProvider? timeProvider = null)
    {
        _configuration = configuration;
        LogLevelSwitch.TryParse(configuration.Telemetry.LogLevel, out var level);
        LogLevel = new LogLevelSwitch(level);
        LoggerFactory = TelemetrySetup.CreateLoggerFactory(configuration.Telemetry, LogLevel);
        _logger = LoggerFactory.CreateLogger("Outrigger");
        _otlp = TelemetrySetup.StartOtlpExport(configuration.Telemetry);
        var routes = new AdminRoutes();
        _admin = new AdminServer(routes, this, _metrics, LoggerFactory);
        var context = new ModuleContext(LoggerFactory, timeProvider ?? TimeProvider.System, routes, configuration.Host.DataDirectory, configuration.ConfigFile);
        foreach (var module in configuration.Enabled)
        {
            _modules.Add(module.Definition.Create(module.Options, context));
        }
    }

    public ILoggerFactory LoggerFactory { get; }

    public LogLevelSwitch LogLevel { get; }

    public IReadOnlyList<string> DisabledModules => _configuration.Disabled;

    public IReadOnlyList<System.Net.IPEndPoint> AdminEndPoints => _admin.EndPoints;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await _admin.StartAsync(_configuration.Host.AdminAddress, cancellationToken).ConfigureAwait(false);
        foreach (var module in _modules)
        {
            await module.StartAsync(cancellationToken).ConfigureAwait(false);
            LogModuleStarted(_logger, module.Name);
        }

        _started = true;
        LogReady(_logger, string.Join(", ", _modules.Select(m => m.Name)), Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Drains: not-ready first, then modules in reverse start order, then the admin server, all within the drain timeout.</summary>
    public async Task StopAsync()
    {
        _draining = true;
        LogDraining(_logger, _configuration.Host.DrainTimeout.TotalMilliseconds);
        using var drain = new CancellationTokenSource(_configuration.Host.DrainTimeout);
        for (var i = _modules.Count - 1; i >= 0; i--)
        {
            try
            {
                await _modules[i].StopAsync(drain.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogStopFailed(_logger, _modules[i].Name, e);
            }
        }

        await _admin.StopAsync(drain.Token).ConfigureAwait(false);
        LogStopped(_logger);
    }

    public ReadinessReport GetReadiness()
    {
        var reports = new List<ModuleReport>(_modules.Count);
        var ready = _started && !_draining;
        foreach (var module in _modules)
        {
            var health = _draining ? new ModuleHealth(false, "shutting down") : _started ? module.GetHealth() : new ModuleHealth(false, "starting");
            ready &= health.Ready;
            reports.Add(new ModuleReport(module.Name, health));
        }

        return new ReadinessReport(ready, reports);
    }

    public void WriteConfig(Utf8JsonWriter writer) => ConfigOutlineWriter.WriteJson(writer, _configuration.Outline);

    public async ValueTask DisposeAsync()
    {
        foreach (var module in _modules)
        {
            await module.DisposeAsync().ConfigureAwait(false);
        }

        await _admin.DisposeAsync().ConfigureAwait(false);
        _otlp?.Dispose();
        _processMetrics.Dispose();
        _metrics.Dispose();
        LoggerFactory.Dispose();
    }

    [LoggerMessage(1, Microsoft.Extensions.Logging.LogLevel.Information, "Module {Module} started")]
    private static partial void LogModuleStarted(ILogger logger, string module);

    [LoggerMessage(2, Microsoft.Extensions.Logging.LogLevel.Information, "Outrigger ready (modules: {Modules}) in {Milliseconds:F0} ms")]
    private static partial void LogReady(ILogger logger, string modules, double milliseconds);

    [LoggerMessage(3, Microsoft.Extensions.Logging.LogLevel.Information, "Shutting down: draining for up to {Milliseconds} ms")]
    private static partial void LogDraining(ILogger logger, double milliseconds);

    [LoggerMessage(4, Microsoft.Extensions.Logging.LogLevel.Error, "Module {Module} failed to stop cleanly")]
    private static partial void LogStopFailed(ILogger logger, string module, Exception exception);

    [LoggerMessage(5, Microsoft.Extensions.Logging.LogLevel.Information, "Stopped")]
    private static partial void LogStopped(ILogger logger);
}
