using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Outrigger.Coordination.Leases;

/// <summary>
/// A lease kept alive in the background: renewed every TTL/3 on the store's clock, so a renewal is due well before
/// expiry and two more attempts fit before it. When the store says the lease is gone, or no renewal succeeded
/// before the lease would have expired, <see cref="Lost"/> fires and renewals stop. Disposing revokes the lease.
/// </summary>
public sealed partial class LeaseKeeper : IAsyncDisposable
{
    private readonly ICoordinationStore _store;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _lost = new();
    private readonly Task _loop;

    private LeaseKeeper(ICoordinationStore store, LeaseGrant grant, ILogger logger)
    {
        _store = store;
        _logger = logger;
        LeaseId = grant.Id;
        Ttl = grant.Ttl;
        _loop = Task.Run(RenewLoopAsync);
    }

    public long LeaseId { get; }

    public TimeSpan Ttl { get; }

    /// <summary>Fires once the lease is (or must be assumed) gone; keys attached to it no longer exist.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Grants a lease of <paramref name="ttl"/> and starts renewing it.</summary>
    public static async Task<LeaseKeeper> StartAsync(ICoordinationStore store, TimeSpan ttl, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var grant = await store.GrantLeaseAsync(ttl, cancellationToken).ConfigureAwait(false);
        return new LeaseKeeper(store, grant, logger ?? NullLogger.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (!_lost.IsCancellationRequested)
        {
            try
            {
                await _store.RevokeLeaseAsync(LeaseId).ConfigureAwait(false);
            }
            catch (CoordinationException e)
            {
                LogRevokeFailed(_logger, LeaseId, e.Message);
            }
        }

        _stop.Dispose();
    }

    private async Task RenewLoopAsync()
    {
        var time = _store.TimeProvider;
        var expiresAt = time.GetTimestamp() + Ticks(Ttl);
        var interval = Ttl / 3;
        var retry = TimeSpan.FromTicks(Math.Max(interval.Ticks / 4, TimeSpan.TicksPerMillisecond * 100));
        var delay = interval;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, time, _stop.Token).ConfigureAwait(false);
                var sent = time.GetTimestamp();
                var ttl = await _store.KeepAliveAsync(LeaseId, _stop.Token).ConfigureAwait(false);
                expiresAt = sent + Ticks(ttl);
                delay = interval;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (CoordinationException e) when (e.Error == CoordinationError.LeaseNotFound)
            {
                MarkLost("the store no longer knows it");
                return;
            }
            catch (CoordinationException e)
            {
                LogRenewFailed(_logger, LeaseId, e.Message);
                delay = retry;
            }

            if (time.GetTimestamp() >= expiresAt)
            {
                MarkLost("no renewal succeeded before it expired");
                return;
            }
        }

        long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);
    }

    private void MarkLost(string why)
    {
        LogLost(_logger, LeaseId, why);
        _lost.Cancel();
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Lease {LeaseId} is lost: {Reason}")]
    private static partial void LogLost(ILogger logger, long leaseId, string reason);

    [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "Renewing lease {LeaseId} failed, retrying: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, long leaseId, string reason);

    [LoggerMessage(EventId = 32, Level = LogLevel.Debug, Message = "Revoking lease {LeaseId} failed: {Reason}")]
    private static partial void LogRevokeFailed(ILogger logger, long leaseId, string reason);
}
