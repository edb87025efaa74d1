using System.Diagnostics;

namespace Outrigger.Proxy.Tests.Infrastructure;

/// <summary>Runs a real command-line client (curl, h2load, …) and returns its exit code, stdout and stderr.</summary>
internal static class Tool
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}

/// <summary>Runs the real curl binary (silent, errors shown, 30 s limit).</summary>
internal static class Curl
{
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) =>
        Tool.RunAsync("curl", ["--silent", "--show-error", "--max-time", "30", .. args]);
}
