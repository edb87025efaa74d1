using Outrigger.Core.Hosting;
using Outrigger.Gateway;
using Outrigger.Proxy;
using Outrigger.Workflows.Hosting;

namespace Outrigger;

/// <summary>Every module the sidecar can run. Adding a module is one line here (and a project reference).</summary>
internal static class Modules
{
    public static IReadOnlyList<IModuleDefinition> All { get; } =
    [
        new ProxyModuleDefinition(),
        new GatewayModuleDefinition(),
        new WorkflowsModuleDefinition(),
    ];
}
