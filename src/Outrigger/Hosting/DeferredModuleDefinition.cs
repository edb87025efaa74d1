using Outrigger.Core.Configuration;
using Outrigger.Core.Hosting;

namespace Outrigger.Hosting;

/// <summary>
/// A module known by name until it is used: its definition, and so its assembly and everything that assembly
/// references, loads only when its options are read or it is created. A module that is off costs no memory.
/// </summary>
internal sealed class DeferredModuleDefinition(string name, bool enabledByDefault, Func<IModuleDefinition> load) : IModuleDefinition
{
    private readonly Lazy<IModuleDefinition> _definition = new(load);

    public string Name => name;

    public bool EnabledByDefault => enabledByDefault;

    /// <summary>True once the real definition has been loaded.</summary>
    public bool IsLoaded => _definition.IsValueCreated;

    /// <summary>The real definition (loads it).</summary>
    public IModuleDefinition Definition => _definition.Value;

    public object ReadOptions(ConfigReader root) => _definition.Value.ReadOptions(root);

    public IModule Create(object options, ModuleContext context) => _definition.Value.Create(options, context);
}
