using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Outrigger.Coordination.Leases;

/// <summary>
/// A lease kept alive in the background: renewed every TTL/3 on the store's clock, so a renewal is due well before
/// expiry and two more attempts fit before it. <see cref="Lost"/> fires, and renewals stop, when the store says the
/// lease is gone or when its TTL has passed since the last successful renewal was sent — whatever the store is doing
/// meanwhile (a hung or dead member: the keep-alive in flight is abandoned). Disposing revokes the lease.
/// </summary>
public sealed partial class LeaseKeeper : IAsyncDisposable
{
    private readonly ICoordinationStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stopOrLost;
    private readonly ITimer _expiry;
    private readonly Task _loop;
    private long _expiresAt;
    private int _lostOnce;
    private int _disposed;

    private LeaseKeeper(ICoordinationStore store, LeaseGrant grant, long requestedAt, ILogger logger)
    {
        _store = store;
        _time = store.TimeProvider;
        _logger = logger;
        LeaseId = grant.Id;
        Ttl = grant.Ttl;
        _expiresAt = requestedAt + Ticks(grant.Ttl);
        _stopOrLost = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, _lost.Token);
        _expiry = _time.CreateTimer(static state => ((LeaseKeeper)state!).OnExpiryDue(), this, Remaining(), Timeout.InfiniteTimeSpan);
        _loop = Task.Run(RenewLoopAsync);
    }

    public long LeaseId { get; }

    public TimeSpan Ttl { get; }

    /// <summary>
    /// Fires once the lease is (or must be assumed) gone: the store said so, or no renewal succeeded within the TTL
    /// after the last successful one was sent. That is never later than the store's own expiry, since the store
    /// started the TTL when it received that renewal, so by then keys attached to the lease may be deleted.
    /// </summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Grants a lease of <paramref name="ttl"/> and starts renewing it.</summary>
    public static async Task<LeaseKeeper> StartAsync(ICoordinationStore store, TimeSpan ttl, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var requestedAt = store.TimeProvider.GetTimestamp();
        var grant = await store.GrantLeaseAsync(ttl, cancellationToken).ConfigureAwait(false);
        return new LeaseKeeper(store, grant, requestedAt, logger ?? NullLogger.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _expiry.DisposeAsync().ConfigureAwait(false);
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

        _stopOrLost.Dispose();
        _stop.Dispose();
    }

    private async Task RenewLoopAsync()
    {
        var interval = Ttl / 3;
        var retry = TimeSpan.FromTicks(Math.Max(interval.Ticks / 4, TimeSpan.TicksPerMillisecond * 100));
        var delay = interval;
        var token = _stopOrLost.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, _time, token).ConfigureAwait(false);
                var sent = _time.GetTimestamp();
                var ttl = await _store.KeepAliveAsync(LeaseId, token).ConfigureAwait(false);
                Renewed(sent + Ticks(ttl));
                delay = interval;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
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
        }
    }

    private void Renewed(long expiresAt)
    {
        if (_lost.IsCancellationRequested)
        {
            return;
        }

        Volatile.Write(ref _expiresAt, expiresAt);
        _expiry.Change(Remaining(), Timeout.InfiniteTimeSpan);
    }

    /// <summary>The expiry timer fell due: the lease is lost unless a renewal moved the expiry meanwhile.</summary>
    private void OnExpiryDue()
    {
        if (Remaining() > TimeSpan.Zero)
        {
            _expiry.Change(Remaining(), Timeout.InfiniteTimeSpan);
            return;
        }

        MarkLost($"no renewal succeeded within its TTL of {Ttl.TotalSeconds:0.#} s (the store did not answer in time)");
    }

    private void MarkLost(string why)
    {
        if (_stop.IsCancellationRequested || Interlocked.Exchange(ref _lostOnce, 1) == 1)
        {
            return;
        }

        LogLost(_logger, LeaseId, why);
        _lost.Cancel();
    }

    private TimeSpan Remaining()
    {
        var ticks = Volatile.Read(ref _expiresAt) - _time.GetTimestamp();
        return ticks <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(ticks / (double)_time.TimestampFrequency);
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Lease {LeaseId} is lost: {Reason}")]
    private static partial void LogLost(ILogger logger, long leaseId, string reason);

    [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "Renewing lease {LeaseId} failed, retrying: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, long leaseId, string reason);

    [LoggerMessage(EventId = 32, Level = LogLevel.Debug, Message = "Revoking lease {LeaseId} failed: {Reason}")]
    private static partial void LogRevokeFailed(ILogger logger, long leaseId, string reason);
}
