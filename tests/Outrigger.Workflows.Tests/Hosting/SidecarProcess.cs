using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Outrigger.Workflows.Tests.Infrastructure;

namespace Outrigger.Workflows.Tests.Hosting;

/// <summary>The workflows module alone in a process (until the lead's <c>outrigger</c> binary hosts it): prints READY with its ports.</summary>
internal static class SidecarProcess
{
    public static async Task<int> RunAsync(string[] args)
    {
        var yaml = await File.ReadAllTextAsync(Args.Get(args, "config"));
        using var loggers = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).AddFilter("Microsoft", LogLevel.Warning));
        var stop = new TaskCompletionSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.TrySetResult();
        });
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string)e.Value!);
        await using var host = await ModuleHost.StartAsync(yaml, Args.Get(args, "data"), loggers: loggers, environment: environment);
        Console.WriteLine($"READY {host.Module.SidecarEndPoint} {host.Module.NodeEndPoint}");
        await stop.Task;
        return 0;
    }
}
