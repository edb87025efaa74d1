using Microsoft.Extensions.Logging;

namespace Outrigger.Gateway.Orchestrator;

/// <summary>
/// <c>outrigger orchestrator</c>: runs the reference warm orchestrator (<c>knhk.warm.v1.WarmOrchestrator</c>) until
/// <paramref name="cancellationToken"/> fires, then drains for up to 10 s.
/// </summary>
public static partial class OrchestratorCommand
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Returns the exit code: 0 after a clean stop, 1 when the store cannot be opened or the port bound.</summary>
    public static async Task<int> RunAsync(OrchestratorOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var logger = loggerFactory.CreateLogger("Outrigger.Orchestrator");
        OrchestratorServer server;
        try
        {
            server = await OrchestratorServer.StartAsync(options, loggerFactory, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or FormatException)
        {
            Log.StartFailed(logger, options.Listen, options.DataDirectory, ex.Message);
            return 1;
        }

        await using (server.ConfigureAwait(false))
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The signal to stop.
            }

            using var drain = new CancellationTokenSource(DrainTimeout);
            await server.StopAsync(drain.Token).ConfigureAwait(false);
        }

        return 0;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Critical, "Warm orchestrator could not start (listen {Listen}, data_dir {Directory}): {Error}")]
        public static partial void StartFailed(ILogger logger, string listen, string directory, string error);
    }
}
