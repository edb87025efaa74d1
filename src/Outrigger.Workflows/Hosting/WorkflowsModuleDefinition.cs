using Outrigger.Core.Configuration;
using Outrigger.Core.Hosting;

namespace Outrigger.Workflows.Hosting;

/// <summary>
/// The <c>workflows</c> module (spec 003): durable workflows for the app beside the sidecar. Runs by default with an
/// embedded store; see docs/workflows.md.
/// </summary>
public sealed class WorkflowsModuleDefinition : IModuleDefinition
{
    public string Name => "workflows";

    public bool EnabledByDefault => true;

    public object ReadOptions(ConfigReader root) => WorkflowsOptions.Read(root);

    public IModule Create(object options, ModuleContext context) => new WorkflowsModule((WorkflowsOptions)options, context);
}
