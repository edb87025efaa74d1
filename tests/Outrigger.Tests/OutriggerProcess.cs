using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Outrigger.Tests;

/// <summary>
/// Runs the real <c>outrigger</c> executable as a child process: the one built next to the tests, or the executable
/// named by <c>TEST_OUTRIGGER_BIN</c> (a Native AOT build: tests/Aot/run.sh).
/// </summary>
internal sealed class OutriggerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private OutriggerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static OutriggerProcess Start(string arguments, IReadOnlyDictionary<string, string>? environment = null, string? stdin = null)
    {
        var bin = Environment.GetEnvironmentVariable("TEST_OUTRIGGER_BIN");
        var info = new ProcessStartInfo(
            string.IsNullOrEmpty(bin) ? "dotnet" : bin,
            string.IsNullOrEmpty(bin) ? $"\"{Path.Combine(AppContext.BaseDirectory, "outrigger.dll")}\" {arguments}" : arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new OutriggerProcess(Process.Start(info)!);
        if (stdin is not null)
        {
            process._process.StandardInput.Write(stdin);
        }

        process._process.StandardInput.Close();
        return process;
    }

    /// <summary>Runs to completion (60 s at most) and returns the exit code.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string arguments, string? stdin = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        await using var process = Start(arguments, environment, stdin);
        var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (code, process.Stdout, process.Stderr);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {_process.Id}");
        kill.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Append(StringBuilder target, string? line)
    {
        if (line is not null)
        {
            lock (target)
            {
                target.Append(line).Append('\n');
            }
        }
    }
}
