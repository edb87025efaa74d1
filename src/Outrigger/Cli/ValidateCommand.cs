using System.CommandLine;
using Outrigger.Core.Configuration;
using Outrigger.Hosting;

namespace Outrigger.Cli;

/// <summary><c>outrigger validate --config FILE</c>: exit 0 when valid, else every problem with its key path and 1.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var config = ConfigOption.Create(required: true);
        var command = new Command("validate", "Check a configuration file (with the environment applied) without starting anything.") { config };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(config)!;
            try
            {
                var configuration = SidecarConfiguration.Load(path, SidecarConfiguration.ProcessEnvironment(), Modules.All);
                ConfigOption.PrintWarnings(configuration.Warnings);
                var modules = configuration.Enabled.Count == 0 ? "none" : string.Join(", ", configuration.Enabled.Select(m => m.Definition.Name));
                Console.WriteLine($"{path}: valid (modules: {modules})");
                return 0;
            }
            catch (ConfigException e)
            {
                ConfigOption.PrintErrors(e);
                return 1;
            }
        });
        return command;
    }
}
