using System.Text;
using Microsoft.Extensions.Logging;
using Outrigger.Grpc;
using Pb = Outrigger.Coordination.Etcd.Protocol;

namespace Outrigger.Coordination.Etcd;

/// <summary>
/// The etcd backend: <see cref="ICoordinationStore"/> over etcd's v3 gRPC API (KV, Watch, Lease, Maintenance) through
/// Outrigger.Grpc, with failover between the cluster's members (<see cref="EtcdConnection"/>).
/// </summary>
internal sealed class EtcdStore : ICoordinationStore
{
    private readonly EtcdConnection _connection;
    private readonly EtcdLeaseKeepAlive _keepAlive;
    private readonly ILogger _logger;

    public EtcdStore(EtcdStoreOptions options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger("Outrigger.Coordination.Etcd");
        _connection = new EtcdConnection(options, time, _logger);
        _keepAlive = new EtcdLeaseKeepAlive(_connection);
    }

    public TimeProvider TimeProvider => _connection.Time;

    public async Task<RangeResult> RangeAsync(KeyRange range, RangeOptions? options = null, CancellationToken cancellationToken = default)
    {
        RequestLimits.ValidateRange(range);
        var response = await _connection.CallAsync(EtcdMethods.Range, EtcdConvert.ToRangeRequest(range, options), idempotent: true, cancellationToken).ConfigureAwait(false);
        return EtcdConvert.ToRangeResult(response);
    }

    public async Task<PutResult> PutAsync(string key, ReadOnlyMemory<byte> value, long leaseId = 0, CancellationToken cancellationToken = default)
    {
        var keyBytes = Encoding.UTF8.GetBytes(key);
        RequestLimits.ValidatePut(keyBytes, value, leaseId);
        var response = await _connection.CallAsync(EtcdMethods.Put, EtcdConvert.ToPutRequest(keyBytes, value, leaseId), idempotent: false, cancellationToken).ConfigureAwait(false);
        return new PutResult(response.Header.Revision);
    }

    public async Task<DeleteResult> DeleteAsync(KeyRange range, CancellationToken cancellationToken = default)
    {
        RequestLimits.ValidateRange(range);
        var response = await _connection.CallAsync(EtcdMethods.DeleteRange, EtcdConvert.ToDeleteRequest(range), idempotent: false, cancellationToken).ConfigureAwait(false);
        return new DeleteResult(response.Header.Revision, response.Deleted);
    }

    public async Task<TxnResult> TxnAsync(Txn txn, CancellationToken cancellationToken = default)
    {
        RequestLimits.ValidateTxn(txn);
        var response = await _connection.CallAsync(EtcdMethods.Txn, EtcdConvert.ToTxnRequest(txn), idempotent: txn.IsReadOnly, cancellationToken).ConfigureAwait(false);
        return EtcdConvert.ToTxnResult(response);
    }

    public async Task<IWatch> WatchAsync(KeyRange range, long startRevision = 0, CancellationToken cancellationToken = default)
    {
        RequestLimits.ValidateRange(range);
        if (startRevision <= 0)
        {
            // Pin "now" to a revision, so a reconnect before the first event resumes from exactly there.
            var now = await RangeAsync(range, new RangeOptions { CountOnly = true }, cancellationToken).ConfigureAwait(false);
            startRevision = now.Revision + 1;
        }

        return await EtcdWatch.StartAsync(_connection, range, startRevision, _logger, cancellationToken).ConfigureAwait(false);
    }

    public async Task<LeaseGrant> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var seconds = RequestLimits.ValidateTtl(ttl);
        var response = await _connection.CallAsync(EtcdMethods.LeaseGrant, new Pb.LeaseGrantRequest { TTL = seconds }, idempotent: false, cancellationToken).ConfigureAwait(false);
        if (response.Error.Length > 0)
        {
            throw new CoordinationException(CoordinationError.InvalidArgument, $"etcd refused the lease: {response.Error}");
        }

        return new LeaseGrant(response.ID, TimeSpan.FromSeconds(response.TTL));
    }

    public Task<TimeSpan> KeepAliveAsync(long leaseId, CancellationToken cancellationToken = default) =>
        _keepAlive.KeepAliveAsync(leaseId, cancellationToken);

    public Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default) =>
        _connection.CallAsync(EtcdMethods.LeaseRevoke, new Pb.LeaseRevokeRequest { ID = leaseId }, idempotent: false, cancellationToken);

    public async Task<LeaseInfo?> GetLeaseAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        var response = await _connection.CallAsync(EtcdMethods.LeaseTimeToLive, new Pb.LeaseTimeToLiveRequest { ID = leaseId, Keys = true }, idempotent: true, cancellationToken).ConfigureAwait(false);
        if (response.TTL < 0)
        {
            return null;
        }

        var keys = response.Keys.Select(k => k.ToStringUtf8()).Order(StringComparer.Ordinal).ToArray();
        return new LeaseInfo(leaseId, TimeSpan.FromSeconds(response.TTL), TimeSpan.FromSeconds(response.GrantedTTL), keys);
    }

    public async Task CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        try
        {
            await _connection.CallAsync(EtcdMethods.Compact, new Pb.CompactionRequest { Revision = revision, Physical = true }, idempotent: false, cancellationToken).ConfigureAwait(false);
        }
        catch (CompactedException e)
        {
            throw new CompactedException(revision, 0, e.Message);
        }
    }

    public async Task<StoreStatus> StatusAsync(CancellationToken cancellationToken = default)
    {
        var response = await _connection.CallAsync(EtcdMethods.Status, new Pb.StatusRequest(), idempotent: true, cancellationToken).ConfigureAwait(false);
        return new StoreStatus(_connection.Current.Channel.Address.ToString(), response.Version, response.Header.Revision, response.DbSize, response.Leader == response.Header.MemberId);
    }

    public async ValueTask DisposeAsync()
    {
        await _keepAlive.DisposeAsync().ConfigureAwait(false);
        _connection.Dispose();
    }
}
