using Outrigger.Core.Hosting;
using Outrigger.Gateway;
using Outrigger.Hosting;
using Outrigger.Proxy;
using Outrigger.Workflows.Hosting;

namespace Outrigger;

/// <summary>
/// Every module the sidecar can run. Adding a module is one line here (and a project reference). Modules other than
/// the proxy are deferred: their assemblies load only when they run or their section is present (the proxy runs in
/// every configuration that matters for footprint, and owns spec 002's top-level sections).
/// </summary>
internal static class Modules
{
    public static IReadOnlyList<IModuleDefinition> All { get; } =
    [
        new ProxyModuleDefinition(),
        new DeferredModuleDefinition("gateway", enabledByDefault: true, static () => new GatewayModuleDefinition()),
        new DeferredModuleDefinition("workflows", enabledByDefault: true, static () => new WorkflowsModuleDefinition()),
    ];
}
