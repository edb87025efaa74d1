using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Outrigger.Grpc.Tests.Peers;

/// <summary>A child process whose output is collected; killed (with its children) on dispose.</summary>
internal sealed partial class PeerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PeerProcess(ProcessStartInfo info)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) => _port.TrySetException(new InvalidOperationException($"{info.FileName} exited before listening:\n{Output}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static PeerProcess Start(ProcessStartInfo info) => new(info);

    /// <summary>Starts a server that prints "listening on [host:]PORT" and returns it with that port.</summary>
    public static async Task<(PeerProcess Process, int Port)> StartServerAsync(ProcessStartInfo info)
    {
        var process = new PeerProcess(info);
        try
        {
            var port = await process._port.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return (process, port);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    /// <summary>Waits for exit; returns the exit code and everything printed.</summary>
    public async Task<(int ExitCode, string Output)> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{_process.StartInfo.FileName} did not finish within {timeout}:\n{Output}");
        }

        return (_process.ExitCode, Output);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        var match = ListeningLine().Match(line);
        if (match.Success)
        {
            _port.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex(@"^listening on (?:.*:)?(\d+)")]
    private static partial Regex ListeningLine();
}
