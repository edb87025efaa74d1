using System.CommandLine;
using Outrigger.Core.Admin;
using Outrigger.Core.Configuration;
using Outrigger.Core.Telemetry;
using Outrigger.Gateway.Orchestrator;
using Outrigger.Hosting;

namespace Outrigger.Cli;

/// <summary><c>outrigger orchestrator [--config FILE]</c>: the reference warm orchestrator behind the gateway.</summary>
internal static class OrchestratorCommandLine
{
    public static Command Create()
    {
        var config = ConfigOption.Create();
        var command = new Command("orchestrator", "Run the reference warm orchestrator (knhk.warm.v1.WarmOrchestrator, default :50052).") { config };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(config)));
        return command;
    }

    private static async Task<int> RunAsync(string? path)
    {
        OrchestratorOptions options;
        TelemetryOptions telemetry;
        try
        {
            (options, telemetry) = SidecarConfiguration.LoadRole(path, SidecarConfiguration.ProcessEnvironment(), Modules.All, OrchestratorOptions.Read);
        }
        catch (ConfigException e)
        {
            ConfigOption.PrintErrors(e);
            return 2;
        }

        LogLevelSwitch.TryParse(telemetry.LogLevel, out var level);
        using var loggerFactory = TelemetrySetup.CreateLoggerFactory(telemetry, new LogLevelSwitch(level));
        using var signal = new ShutdownSignal();
        using var stop = new CancellationTokenSource();
        _ = signal.Requested.ContinueWith(_ => stop.Cancel(), TaskScheduler.Default);
        return await OrchestratorCommand.RunAsync(options, loggerFactory, stop.Token).ConfigureAwait(false);
    }
}
