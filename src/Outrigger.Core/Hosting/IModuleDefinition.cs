using Outrigger.Core.Configuration;

namespace Outrigger.Core.Hosting;

/// <summary>
/// Tells the host about one module: its name, how it reads its options and how it is created.
/// The executable lists every definition in one place (src/Outrigger/Modules.cs).
/// </summary>
public interface IModuleDefinition
{
    /// <summary>The module's name and the key of its configuration section, e.g. <c>gateway</c>.</summary>
    string Name { get; }

    /// <summary>Whether the module runs when <c>outrigger start</c> is given no configuration file.</summary>
    bool EnabledByDefault { get; }

    /// <summary>
    /// Top-level configuration keys, besides <see cref="Name"/>, that belong to this module (the proxy claims
    /// spec 002's <c>server</c>, <c>upstream</c>, …). The module runs when any of them is present.
    /// </summary>
    IReadOnlyList<string> ExtraSections => [];

    /// <summary>
    /// Reads and validates the module's options from the root of the document. Problems are reported through
    /// the reader (<see cref="ConfigReader.Error"/>), never thrown; absent keys take their defaults.
    /// </summary>
    object ReadOptions(ConfigReader root);

    /// <summary>Creates the module from options returned by <see cref="ReadOptions"/>. Nothing is bound yet.</summary>
    IModule Create(object options, ModuleContext context);
}
