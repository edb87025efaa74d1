using Outrigger.Workflows.Tests.Apps;

namespace Outrigger.Workflows.Tests;

/// <summary>
/// Run as an executable, the test assembly is a helper process for end-to-end tests:
/// <c>app --sidecar URL --log FILE</c> is a C# app on the SDK with the test workflows (the sidecar is the real
/// <c>outrigger</c> binary, see Infrastructure/SidecarNode.cs).
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) => args.FirstOrDefault() switch
    {
        "app" => TestApp.RunAsync(args[1..]),
        _ => Task.FromResult(Usage()),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Outrigger.Workflows.Tests app --sidecar URL --log FILE");
        return 2;
    }
}
