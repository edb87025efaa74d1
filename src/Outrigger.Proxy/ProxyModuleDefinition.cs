using Outrigger.Core.Configuration;
using Outrigger.Core.Hosting;
using Outrigger.Proxy.Configuration;

namespace Outrigger.Proxy;

/// <summary>
/// The <c>proxy</c> module: an L7 reverse proxy (spec 002). Owns the spec's top-level sections <c>server</c>,
/// <c>upstream</c>, <c>load_balancing</c>, <c>circuit_breaker</c>, <c>retry</c> and <c>security</c> as well as its own <c>proxy:</c> section.
/// </summary>
public sealed class ProxyModuleDefinition : IModuleDefinition
{
    public string Name => "proxy";

    public bool EnabledByDefault => true;

    public IReadOnlyList<string> ExtraSections => SpecSections;

    /// <summary>Spec 002's top-level sections that belong to the proxy.</summary>
    internal static string[] SpecSections { get; } = ["server", "upstream", "load_balancing", "circuit_breaker", "retry", "security"];

    public object ReadOptions(ConfigReader root) => ProxyOptionsReader.Read(root);

    public IModule Create(object options, ModuleContext context) => new ProxyModule((ProxyOptions)options, context);
}
