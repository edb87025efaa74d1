using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Outrigger.Tests.Cli;

public sealed class CommandLineTests
{
    private const string BrokenConfig = """
        admin:
          address: 127.0.0.1:70000
        shutdown:
          drain_timout_ms: 10
        telemetry:
          log_level: chatty
        """;

    [Fact]
    public async Task GenerateConfig_PipedIntoValidate_IsValid()
    {
        var (generated, yaml, _) = await OutriggerProcess.RunAsync("generate-config");
        Assert.Equal(0, generated);
        Assert.Contains("admin:\n", yaml, StringComparison.Ordinal);

        var (code, stdout, stderr) = await OutriggerProcess.RunAsync("validate --config -", stdin: yaml);

        Assert.True(code == 0, stderr);
        Assert.StartsWith("-: valid", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateConfig_Output_WritesFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"outrigger-{Guid.NewGuid():N}.yaml");
        try
        {
            var (code, _, _) = await OutriggerProcess.RunAsync($"generate-config --output {path}");

            Assert.Equal(0, code);
            Assert.Contains("drain_timeout_ms: 15000", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Validate_BrokenFile_PrintsEveryProblem_AndStartRefusesWithTheSameMessages()
    {
        var path = Path.Combine(Path.GetTempPath(), $"broken-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, BrokenConfig);
        try
        {
            var (validateCode, _, validateErrors) = await OutriggerProcess.RunAsync($"validate --config {path}");
            var (startCode, _, startErrors) = await OutriggerProcess.RunAsync($"start --config {path}");

            Assert.Equal(1, validateCode);
            Assert.Equal(2, startCode);
            Assert.Equal(validateErrors, startErrors);
            Assert.Contains("invalid configuration (3 problems):", validateErrors, StringComparison.Ordinal);
            Assert.Contains($"admin.address: '127.0.0.1:70000' is not a host:port address: '70000' is not a valid port (0-65535) ({path}:2:12)", validateErrors, StringComparison.Ordinal);
            Assert.Contains($"shutdown.drain_timout_ms: unknown key (did you mean 'drain_timeout_ms'?) ({path}:4:3)", validateErrors, StringComparison.Ordinal);
            Assert.Contains($"telemetry.log_level: 'chatty' is not one of:", validateErrors, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Validate_Spec002ExampleFile_IsValid_AndWarnsAboutTheAiSection()
    {
        const string spec002Example = """
            server:
              bind_address: "0.0.0.0"
              port: 8000
              max_connections: 10000

            upstream:
              services:
                example-service:
                  endpoints:
                    - address: "127.0.0.1"
                      port: 8080
                      weight: 100
                  health_check:
                    enabled: true
                    path: "/health"
                    interval_ms: 30000

            load_balancing:
              algorithm: "round_robin"

            circuit_breaker:
              enabled: true
              failure_threshold: 5
              recovery_timeout_ms: 60000

            ai:
              enabled: true
              autonomous_mode: false
              provider: "openai"
              model: "gpt-4"
            """;

        var (code, stdout, stderr) = await OutriggerProcess.RunAsync("validate --config -", stdin: spec002Example);

        Assert.True(code == 0, stderr);
        Assert.StartsWith("-: valid (modules: proxy", stdout, StringComparison.Ordinal);
        Assert.Contains("warning: ai: this build has no module for this section yet; it is ignored (-:26:1)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_YamlSyntaxError_HasLineAndColumn()
    {
        var (code, _, stderr) = await OutriggerProcess.RunAsync("validate --config -", stdin: "admin:\n  address: \"unterminated\n");

        Assert.Equal(1, code);
        Assert.Contains("YAML syntax error", stderr, StringComparison.Ordinal);
        Assert.Matches(@"\(-:\d+:\d+\)", stderr);
    }

    [Fact]
    public async Task Validate_MissingFile_SaysSo()
    {
        var (code, _, stderr) = await OutriggerProcess.RunAsync("validate --config /nonexistent/outrigger.yaml");

        Assert.Equal(1, code);
        Assert.Contains("cannot read configuration file", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_PrintsVersion()
    {
        var (code, stdout, _) = await OutriggerProcess.RunAsync("version");

        Assert.Equal(0, code);
        Assert.Matches(@"^outrigger \d+\.\d+\.\d+ \(", stdout);
    }

    [Fact]
    public async Task Start_Sigterm_LetsSlowInFlightAdminRequestFinish_ThenExitsZero()
    {
        var (process, port) = await StartAdminOnlyAsync();
        await using var _ = process;

        // A client that sends its request headers now and its body later: the request is in flight when SIGTERM arrives.
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /logging HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"));
        await Task.Delay(300);

        process.Signal("TERM");
        await Task.Delay(700);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("debug"));
        var response = await ReadResponseAsync(stream);

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        Assert.Contains("level: debug\n", response, StringComparison.Ordinal);
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("Shutting down", process.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_Sigterm_AbortsRequestsStillRunningAtDrainTimeout()
    {
        var (process, port) = await StartAdminOnlyAsync(drainTimeoutMs: 500);
        await using var _ = process;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"POST /logging HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"));
        await Task.Delay(300);
        var stopwatch = Stopwatch.StartNew();

        process.Signal("TERM");

        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Start_SecondSignal_ExitsAtOnce()
    {
        var (process, port) = await StartAdminOnlyAsync(drainTimeoutMs: 60000);
        await using var _ = process;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"POST /logging HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"));
        await Task.Delay(300);

        process.Signal("TERM");
        await Task.Delay(300);
        // SIGTERM again, not SIGINT: a test host started in the background inherits SIGINT as ignored, and .NET leaves
        // an ignored SIGINT ignored in its children, so an INT here would depend on how the suite was launched.
        process.Signal("TERM");

        Assert.Equal(130, await process.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Start_MetricsPassPromtool()
    {
        var (process, port) = await StartAdminOnlyAsync();
        await using var _ = process;
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");

        var promtool = Process.Start(new ProcessStartInfo("promtool", "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException("promtool (Debian package prometheus) is required");
        await promtool.StandardInput.WriteAsync(metrics);
        promtool.StandardInput.Close();
        var problems = await promtool.StandardError.ReadToEndAsync() + await promtool.StandardOutput.ReadToEndAsync();
        await promtool.WaitForExitAsync();

        Assert.True(promtool.ExitCode == 0, problems);
        Assert.Contains("_bucket{", metrics, StringComparison.Ordinal);
        Assert.Contains("process_private_memory_bytes", metrics, StringComparison.Ordinal);
    }

    /// <summary>Starts <c>outrigger start</c> with a file naming only the admin section, so no module runs.</summary>
    private static async Task<(OutriggerProcess Process, int Port)> StartAdminOnlyAsync(int drainTimeoutMs = 15000)
    {
        var port = OutriggerProcess.FreePort();
        var path = Path.Combine(Path.GetTempPath(), $"admin-only-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, $"admin:\n  address: 127.0.0.1:{port}\nshutdown:\n  drain_timeout_ms: {drainTimeoutMs}\n");
        var process = OutriggerProcess.Start($"start --config {path}");
        try
        {
            await WaitForReadyAsync(process, port);
        }
        finally
        {
            File.Delete(path);
        }

        return (process, port);
    }

    private static async Task WaitForReadyAsync(OutriggerProcess process, int port)
    {
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (!process.HasExited)
            {
            }
            catch (HttpRequestException)
            {
                throw new InvalidOperationException($"outrigger exited: {process.Stderr}");
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"outrigger on admin port {port} did not become ready");
    }

    private static async Task<string> ReadResponseAsync(NetworkStream stream)
    {
        var buffer = new byte[4096];
        var text = new StringBuilder();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!text.ToString().EndsWith("\n", StringComparison.Ordinal) || !text.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) || !text.ToString().Contains("level:", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, cts.Token);
            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return text.ToString();
    }
}
