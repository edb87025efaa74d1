using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Outrigger.Gateway.Tests.Acceptance;

/// <summary>Runs kgc_client.py (grpcio, /usr/bin/python3) with a job and returns its per-call results.</summary>
internal static class PythonKgcClient
{
    private const string Python = "/usr/bin/python3";
    private static readonly Lazy<string> DescriptorSet = new(BuildDescriptorSet);

    public static async Task<IReadOnlyList<CallResult>> RunAsync(string target, IEnumerable<JsonObject> calls, string service = "knhk.sidecar.v1.KgcSidecar")
    {
        var job = new JsonObject { ["target"] = target, ["service"] = service, ["calls"] = new JsonArray([.. calls]) };
        var (code, stdout, stderr) = await RunProcessAsync(Python, [Path.Combine(AppContext.BaseDirectory, "Acceptance", "kgc_client.py"), DescriptorSet.Value], job.ToJsonString());
        Assert.True(code == 0, $"kgc_client.py failed ({code}): {stderr}");
        return [.. JsonNode.Parse(stdout)!.AsArray().Select(n => new CallResult(n!.AsObject()))];
    }

    public static JsonObject Transaction(params (ulong S, ulong P, ulong O)[] additions) => new()
    {
        ["method"] = "SubmitTransaction",
        ["request"] = new JsonObject
        {
            ["additions"] = new JsonArray([.. additions.Select(t => (JsonNode)Triple(t.S, t.P, t.O))]),
            ["actor"] = "acceptance",
        },
    };

    public static JsonObject Triple(ulong s, ulong p, ulong o) => new() { ["subject"] = s.ToString(), ["predicate"] = p.ToString(), ["object"] = o.ToString() };

    public static JsonObject Query(string sparql) => new() { ["method"] = "SubmitQuery", ["request"] = new JsonObject { ["sparql"] = sparql } };

    public static JsonObject HealthCheck() => new() { ["method"] = "HealthCheck" };

    private static string BuildDescriptorSet()
    {
        var protos = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "Acceptance", "protos"));
        var output = Path.Combine(Path.GetTempPath(), $"knhk-{Environment.ProcessId}.pb");
        var (code, _, stderr) = RunProcessAsync(FindProtoc(), ["-I", protos, "--include_imports", $"--descriptor_set_out={output}", "knhk/warm/v1/knhk_warm.proto"], null).GetAwaiter().GetResult();
        Assert.True(code == 0, $"protoc failed: {stderr}");
        return output;
    }

    /// <summary>The protoc shipped in the Grpc.Tools package (the one the build uses).</summary>
    private static string FindProtoc()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var candidates = Directory.Exists(Path.Combine(packages, "grpc.tools"))
            ? Directory.GetDirectories(Path.Combine(packages, "grpc.tools")).Select(d => Path.Combine(d, "tools", "linux_x64", "protoc")).Where(File.Exists).Order().ToList()
            : [];
        Assert.True(candidates.Count > 0, $"no protoc under {packages}/grpc.tools/*/tools/linux_x64 (restore the solution first)");
        var protoc = candidates[^1];
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(protoc, File.GetUnixFileMode(protoc) | UnixFileMode.UserExecute);
        }

        return protoc;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunProcessAsync(string file, IEnumerable<string> args, string? stdin)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in 90 s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>One call's outcome as kgc_client.py reports it.</summary>
internal sealed class CallResult(JsonObject json)
{
    public string Code => (string)json["code"]!;

    public string Details => (string)json["details"]!;

    public JsonObject? Response => json["response"] as JsonObject;

    public double LatencyMs => (double)json["latency_ms"]!;

    public ulong ReceiptField(string name) => ulong.Parse((string?)Response?["receipt"]?[name]?.ToString() ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    public override string ToString() => json.ToJsonString();
}
