using Outrigger.Workflows.Tests.Apps;
using Outrigger.Workflows.Tests.Hosting;

namespace Outrigger.Workflows.Tests;

/// <summary>
/// Run as an executable, the test assembly is a helper process for end-to-end tests:
/// <c>sidecar --config FILE --data DIR</c> hosts the workflows module alone (killable with SIGKILL);
/// <c>app --sidecar URL --log FILE</c> is a C# app on the SDK with the test workflows.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) => args.FirstOrDefault() switch
    {
        "sidecar" => SidecarProcess.RunAsync(args[1..]),
        "app" => TestApp.RunAsync(args[1..]),
        _ => Task.FromResult(Usage()),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Outrigger.Workflows.Tests sidecar --config FILE --data DIR | app --sidecar URL --log FILE");
        return 2;
    }
}
