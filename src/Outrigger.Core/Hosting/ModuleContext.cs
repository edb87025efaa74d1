using Microsoft.Extensions.Logging;
using Outrigger.Core.Admin;

namespace Outrigger.Core.Hosting;

/// <summary>
/// What the host gives each module: logging, time, the admin server's route table, a data folder and the configuration
/// file the sidecar was started with.
/// </summary>
public sealed class ModuleContext(ILoggerFactory loggerFactory, TimeProvider timeProvider, AdminRoutes admin, string dataDirectory, string? configFile = null)
{
    public ILoggerFactory LoggerFactory { get; } = loggerFactory;

    public TimeProvider TimeProvider { get; } = timeProvider;

    /// <summary>Where a module adds its admin endpoints (the proxy's <c>/clusters</c>, …).</summary>
    public AdminRoutes Admin { get; } = admin;

    /// <summary>A folder for durable state (key <c>data_dir</c>, default <c>outrigger-data</c>); modules use a sub-folder named after themselves.</summary>
    public string DataDirectory { get; } = dataDirectory;

    /// <summary>
    /// The configuration file the sidecar was started with (<c>--config</c>); null when it runs on embedded defaults or
    /// read its configuration from standard input. A module that reloads its configuration watches this file.
    /// </summary>
    public string? ConfigFile { get; } = configFile;
}
