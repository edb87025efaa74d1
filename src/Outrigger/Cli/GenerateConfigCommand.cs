using System.CommandLine;
using Outrigger.Hosting;

namespace Outrigger.Cli;

/// <summary><c>outrigger generate-config [--output FILE]</c>: the complete commented YAML of every key and its default.</summary>
internal static class GenerateConfigCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of standard output." };
        var command = new Command("generate-config", "Print a complete, commented configuration with every key and its default.") { output };
        command.SetAction(parse =>
        {
            var yaml = SidecarConfiguration.GenerateDefaults(Modules.All);
            if (parse.GetValue(output) is { } path)
            {
                File.WriteAllText(path, yaml);
            }
            else
            {
                Console.Out.Write(yaml);
            }

            return 0;
        });
        return command;
    }
}
