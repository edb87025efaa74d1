using System.Text.Json.Nodes;

namespace Outrigger.Core.Hosting;

/// <summary>A running module: started once, asked for its health, stopped once.</summary>
public interface IModule : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Binds the module's ports and opens what it owns. Returns when the module can serve.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stops accepting new work and lets in-flight work finish; when <paramref name="cancellationToken"/>
    /// fires (the drain timeout), aborts what is left.
    /// </summary>
    Task StopAsync(CancellationToken cancellationToken);

    /// <summary>Readiness of this module and what an operator should see about it (upstreams, stores).</summary>
    ModuleHealth GetHealth();
}

/// <summary>
/// A module's health. <see cref="Ready"/> is about the sidecar itself (ports bound, store open), not about
/// upstreams: an unreachable upstream belongs in <see cref="Detail"/>.
/// </summary>
public sealed record ModuleHealth(bool Ready, string? Reason = null, JsonObject? Detail = null)
{
    public static ModuleHealth Healthy { get; } = new(true);
}
