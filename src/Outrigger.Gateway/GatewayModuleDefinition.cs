using Outrigger.Core.Configuration;
using Outrigger.Core.Hosting;
using Outrigger.Gateway.Configuration;

namespace Outrigger.Gateway;

/// <summary>
/// The <c>gateway</c> module: the KGC transaction sidecar (spec 000), <c>knhk.sidecar.v1.KgcSidecar</c> on
/// <c>gateway.listen_addr</c> (default 0.0.0.0:50051), batching transactions to a warm orchestrator. Runs by default; it
/// is ready once its port is bound, whether or not the orchestrator is reachable.
/// </summary>
public sealed class GatewayModuleDefinition : IModuleDefinition
{
    public string Name => "gateway";

    public bool EnabledByDefault => true;

    public object ReadOptions(ConfigReader root) => GatewayOptionsReader.Read(root);

    public IModule Create(object options, ModuleContext context) => new GatewayModule((GatewayOptions)options, context);
}
