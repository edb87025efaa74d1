using System.CommandLine;
using Outrigger.Core.Configuration;
using Outrigger.Hosting;

namespace Outrigger.Cli;

/// <summary><c>outrigger start [--config FILE]</c>: runs every enabled module until SIGTERM/SIGINT.</summary>
internal static class StartCommand
{
    public static Command Create()
    {
        var config = ConfigOption.Create();
        var command = new Command("start", "Run the sidecar: every enabled module in one process.") { config };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(config)));
        return command;
    }

    private static async Task<int> RunAsync(string? path)
    {
        SidecarConfiguration configuration;
        try
        {
            configuration = SidecarConfiguration.Load(path, SidecarConfiguration.ProcessEnvironment(), Modules.All);
        }
        catch (ConfigException e)
        {
            ConfigOption.PrintErrors(e);
            return 2;
        }

        ConfigOption.PrintWarnings(configuration.Warnings);
        using var signal = new ShutdownSignal();
        await using var host = new SidecarHost(configuration);
        try
        {
            await host.StartAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"outrigger failed to start: {e.Message}").ConfigureAwait(false);
            await host.StopAsync().ConfigureAwait(false);
            return 1;
        }

        await signal.Requested.ConfigureAwait(false);
        await host.StopAsync().ConfigureAwait(false);
        return 0;
    }
}
