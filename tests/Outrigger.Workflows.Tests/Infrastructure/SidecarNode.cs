namespace Outrigger.Workflows.Tests.Infrastructure;

/// <summary>
/// The real sidecar: the built <c>outrigger</c> binary run as <c>outrigger start --config FILE</c>, with only the
/// workflows module configured, fixed free ports (app port, node port, admin port) and a data folder, so it can be
/// killed and started again as the same node.
/// </summary>
internal sealed class SidecarNode : IAsyncDisposable
{
    private readonly string _config;
    private ChildProcess? _process;

    /// <summary>
    /// A node lease of 5 s unless <paramref name="extraYaml"/> sets <c>node_ttl_seconds</c>: long enough that a loaded
    /// machine does not expire a live node's lease (which would move its workflows), short enough for failover tests.
    /// </summary>
    public SidecarNode(string node, string directory, string extraYaml = "")
    {
        if (!extraYaml.Contains("node_ttl_seconds:", StringComparison.Ordinal))
        {
            extraYaml = "node_ttl_seconds: 5\n" + extraYaml;
        }

        SidecarPort = Ports.Free();
        NodePort = Ports.Free();
        AdminPort = Ports.Free();
        DataDirectory = Path.Combine(directory, node);
        Directory.CreateDirectory(DataDirectory);
        _config = Path.Combine(directory, node + ".yaml");
        var workflows = ModuleHost.Yaml(node, Path.Combine(DataDirectory, "workflows"), extraYaml, $"127.0.0.1:{SidecarPort}", $"127.0.0.1:{NodePort}");
        File.WriteAllText(_config, $"data_dir: {DataDirectory}\nadmin:\n  address: 127.0.0.1:{AdminPort}\n{workflows}\n");
    }

    public int SidecarPort { get; }

    public int NodePort { get; }

    public int AdminPort { get; }

    public string DataDirectory { get; }

    public string SidecarUrl => $"http://127.0.0.1:{SidecarPort}";

    public string NodeUrl => $"http://127.0.0.1:{NodePort}";

    public string AdminUrl => $"http://127.0.0.1:{AdminPort}";

    public ChildProcess Process => _process ?? throw new InvalidOperationException("not started");

    /// <summary>Starts the process and waits until its admin port answers and its node port accepts connections.</summary>
    public async Task StartAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        _process = OutriggerBinary.Start(["start", "--config", _config], environment);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Wait.UntilAsync(
            async () =>
            {
                if (_process.HasExited)
                {
                    Assert.Fail($"outrigger start exited with {_process.ExitCode}:\n{_process.StandardError}");
                }

                try
                {
                    using var health = await http.GetAsync($"{AdminUrl}/health");
                    using var node = await http.GetAsync($"{NodeUrl}/workflows?limit=1");
                    return health.IsSuccessStatusCode && node.IsSuccessStatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            },
            "the sidecar serves its admin and node ports",
            TimeSpan.FromSeconds(60));
    }

    /// <summary>kill -9.</summary>
    public async Task KillAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public ValueTask DisposeAsync() => new(KillAsync());
}

/// <summary>
/// The built <c>outrigger</c> binary (src/Outrigger, built with this test project: see the csproj), or the executable
/// named by <c>TEST_OUTRIGGER_BIN</c> (a Native AOT build: tests/Aot/run.sh).
/// </summary>
internal static class OutriggerBinary
{
    private static string? Executable => Environment.GetEnvironmentVariable("TEST_OUTRIGGER_BIN") is { Length: > 0 } bin ? bin : null;

    public static string Dll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            return Repo.Path($"src/Outrigger/bin/{configuration}/net10.0/outrigger.dll");
        }
    }

    public static ChildProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) =>
        Executable is { } bin ? ChildProcess.Start(bin, args, environment) : ChildProcess.Start("dotnet", [Dll, .. args], environment);

    /// <summary>Runs a CLI command to its end: exit code, standard output, standard error.</summary>
    public static async Task<(int Exit, string Out, string Error)> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new System.Diagnostics.ProcessStartInfo(Executable ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Executable is null)
        {
            info.ArgumentList.Add(Dll);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
