using Microsoft.Extensions.Logging;

namespace Outrigger.Proxy.Reload;

/// <summary>
/// Polls the configuration file (a Kubernetes ConfigMap is swapped through symlinks, which file system events and
/// modification times of the link miss) and hands its text to <paramref name="changed"/> when it changed and then stayed
/// the same for one more interval, so a file being written is not read half-way.
/// </summary>
internal sealed partial class ConfigFileWatcher(string path, TimeSpan interval, TimeProvider time, Action<string> changed, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private string? _current;
    private string? _pending;
    private string? _readError;

    /// <summary>Takes the file as it is now as the baseline, then watches it.</summary>
    public void Start()
    {
        _current = TryRead();
        _loop = RunAsync(_stop.Token);
    }

    /// <summary>One check (what the loop does every interval): the file is small, so it is simply read and compared.</summary>
    public void Check()
    {
        var text = TryRead();
        if (text is null || text == _current)
        {
            _pending = null;
            return;
        }

        if (text != _pending)
        {
            _pending = text;
            return;
        }

        _current = text;
        _pending = null;
        changed(text);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            await Task.Delay(interval, time, token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (token.IsCancellationRequested)
            {
                return;
            }

            try
            {
                Check();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.CheckFailed(logger, e, path);
            }
        }
    }

    private string? TryRead()
    {
        try
        {
            var text = File.ReadAllText(path);
            _readError = null;
            return text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (_readError != e.Message)
            {
                _readError = e.Message;
                Log.ReadFailed(logger, path, e.Message);
            }

            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Warning, "Configuration file {Path} cannot be read ({Reason}); the running configuration stays")]
        public static partial void ReadFailed(ILogger logger, string path, string reason);

        [LoggerMessage(21, LogLevel.Error, "Checking configuration file {Path} for changes failed")]
        public static partial void CheckFailed(ILogger logger, Exception exception, string path);
    }
}
