using System.CommandLine;
using System.Runtime.InteropServices;

namespace Outrigger.Cli;

internal static class VersionCommand
{
    public static string Version { get; } = typeof(VersionCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static Command Create()
    {
        var command = new Command("version", "Print the version.");
        command.SetAction(_ => Console.WriteLine($"outrigger {Version} ({RuntimeInformation.FrameworkDescription}, {RuntimeInformation.RuntimeIdentifier})"));
        return command;
    }
}
