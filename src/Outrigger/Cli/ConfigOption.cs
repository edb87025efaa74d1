using System.CommandLine;

namespace Outrigger.Cli;

internal static class ConfigOption
{
    public static Option<string?> Create(bool required = false) => new("--config", "-c")
    {
        Description = required
            ? "YAML configuration file ('-' reads standard input)."
            : "YAML configuration file ('-' reads standard input). Without it, embedded defaults are used.",
        Required = required,
    };

    public static void PrintWarnings(IReadOnlyList<string> warnings)
    {
        foreach (var warning in warnings)
        {
            Console.Error.WriteLine($"warning: {warning}");
        }
    }

    /// <summary>Prints every configuration problem, one per line, to standard error.</summary>
    public static void PrintErrors(Core.Configuration.ConfigException e)
    {
        Console.Error.WriteLine($"invalid configuration ({e.Errors.Count} problem{(e.Errors.Count == 1 ? "" : "s")}):");
        foreach (var error in e.Errors)
        {
            Console.Error.WriteLine($"  {error}");
        }
    }
}
