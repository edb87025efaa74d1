using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Outrigger.Coordination;
using Outrigger.Coordination.Leases;
using Outrigger.Workflows.Apps;
using Outrigger.Workflows.Hosting;
using Outrigger.Workflows.Store;
using Raftoral.Engine.V1;

namespace Outrigger.Workflows.Engine;

/// <summary>
/// One node's workflow engine. All state lives in the coordination store; this node keeps in memory the unfinished
/// workflows it replicates and the app streams connected to it. One loop processes every command in order (watch
/// events, app messages, completed store writes, ticks), so the state needs no locks; store calls run off the loop and
/// post their outcome back. See docs/workflows.md for the flows and failure cases.
/// </summary>
internal sealed partial class WorkflowEngine : IAsyncDisposable
{
    private readonly ICoordinationStore _store;
    private readonly EngineOptions _options;
    private readonly StoreLayout _keys;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<EngineCommand> _inbox = Channel.CreateUnbounded<EngineCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, Replica> _replicas = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeRecord> _nodes = new(StringComparer.Ordinal);
    private readonly List<AppSession> _sessions = [];
    private readonly HashSet<Replica> _dirty = [];
    private LeaseKeeper? _lease;
    private long _leaseId;
    private long _startedAtMs;
    private long _nextSessionId;
    private Task _loop = Task.CompletedTask;
    private Task _watch = Task.CompletedTask;
    private ITimer? _ticker;
    private int _disposed;
    private volatile bool _superseded;

    public WorkflowEngine(ICoordinationStore store, EngineOptions options, ILoggerFactory loggerFactory)
    {
        _store = store;
        _options = options;
        _keys = new StoreLayout(options.Root);
        _time = store.TimeProvider;
        _logger = loggerFactory.CreateLogger("Outrigger.Workflows");
    }

    public EngineOptions Options => _options;

    public StoreLayout Keys => _keys;

    public ICoordinationStore Store => _store;

    public TimeProvider TimeProvider => _time;

    /// <summary>Callers waiting for results; completed by the loop for every result it sees, on any workflow.</summary>
    public ResultWaiters Waiters { get; } = new();

    /// <summary>Connected app streams (approximate; read outside the loop for health).</summary>
    public int SessionCount => Volatile.Read(ref _sessionCount);

    private int _sessionCount;

    private volatile string? _leaseProblem;
    private volatile string? _watchProblem;
    private volatile string? _probeProblem;
    private Task _probe = Task.CompletedTask;

    /// <summary>Why this node cannot use the coordination store right now (null when it can); /ready reports it.</summary>
    public string? StoreProblem => _superseded
        ? $"another sidecar process now runs as node {_options.NodeId}"
        : _probeProblem ?? _leaseProblem ?? _watchProblem;

    /// <summary>Grants the node lease, publishes the node record, reads this node's workflows and starts watching.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _startedAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var lease = await LeaseKeeper.StartAsync(_store, _options.NodeTtl, _logger, cancellationToken).ConfigureAwait(false);
        AdoptLease(lease);
        await _store.PutAsync(_keys.Node(_options.NodeId), BuildNodeRecord().ToByteArray(), _leaseId, cancellationToken).ConfigureAwait(false);
        var snapshot = await StoreSnapshot.ReadAsync(_store, _keys, _options.NodeId, _time.GetTimestamp(), cancellationToken).ConfigureAwait(false);
        ApplySnapshot(snapshot);
        Log.Started(_logger, _options.NodeId, _replicas.Count, snapshot.Revision);
        _loop = Task.Run(RunLoopAsync, CancellationToken.None);
        _watch = Task.Run(() => WatchAsync(snapshot.Revision + 1), CancellationToken.None);
        _ticker = _time.CreateTimer(_ => Post(new Tick()), null, _options.TickInterval, _options.TickInterval);
        _probe = Task.Run(ProbeStoreAsync, CancellationToken.None);
    }

    /// <summary>
    /// Reads this node's record every third of the node TTL, each read bounded by the TTL: a store that does not
    /// answer makes <see cref="StoreProblem"/> say so (leases and watches retry quietly, so they cannot tell).
    /// </summary>
    private async Task ProbeStoreAsync()
    {
        var interval = _options.NodeTtl / 3;
        while (!_stop.IsCancellationRequested)
        {
            await DelayAsync(interval).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(_options.NodeTtl);
            try
            {
                await _store.RangeAsync(KeyRange.Single(_keys.Node(_options.NodeId)), new RangeOptions { CountOnly = true }, timeout.Token).ConfigureAwait(false);
                _probeProblem = null;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is CoordinationException or OperationCanceledException)
            {
                _probeProblem = e is CoordinationException
                    ? $"the coordination store does not answer: {e.Message}"
                    : $"the coordination store did not answer within {_options.NodeTtl.TotalSeconds:0.#} s";
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _ticker?.Dispose();
        await _stop.CancelAsync().ConfigureAwait(false);
        _inbox.Writer.TryComplete();
        await _watch.ConfigureAwait(false);
        await _probe.ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        foreach (var session in _sessions)
        {
            session.Abort(Grpc.StatusCode.Unavailable, "the sidecar is shutting down");
        }

        if (_lease is not null)
        {
            // Revoking the lease deletes this node's record and its ownerships, so standbys take over at once.
            await _lease.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    /// <summary>Closes every app stream (shutdown: apps reconnect to the next sidecar life or another node).</summary>
    public void CloseAllSessions(string reason) => Post(new AbortSessions(reason));

    /// <summary>Queues a command for the loop; dropped once the engine is stopping.</summary>
    internal void Post(EngineCommand command) => _inbox.Writer.TryWrite(command);

    /// <summary>Runs <paramref name="work"/> off the loop; its failures are logged, never lost silently.</summary>
    private void RunInBackground(Func<Task> work, string what) => _ = Task.Run(async () =>
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Log.BackgroundFailed(_logger, what, e);
        }
    });

    private async Task RunLoopAsync()
    {
        await foreach (var command in _inbox.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                Handle(command);
                SyncDirty();
            }
            catch (Exception e)
            {
                Log.CommandFailed(_logger, command.GetType().Name, e);
            }
        }
    }

    private void Handle(EngineCommand command)
    {
        switch (command)
        {
            case WatchEvents events:
                foreach (var e in events.Events)
                {
                    Apply(e);
                }

                break;
            case AppMessageReceived received:
                OnAppMessage(received.Session, received.Message);
                break;
            case WriteCompleted written:
                OnWriteCompleted(written);
                break;
            case SessionOpened opened:
                _sessions.Add(opened.Session);
                if (_superseded)
                {
                    opened.Session.Abort(Grpc.StatusCode.Unavailable, $"another sidecar process now runs as node {_options.NodeId}; reconnect to it");
                }

                break;
            case SessionClosed closed:
                OnSessionClosed(closed.Session);
                break;
            case ClaimCompleted claimed:
                claimed.Replica.ClaimInFlight = false;
                break;
            case ReleaseCompleted released:
                released.Replica.ReleaseInFlight = false;
                break;
            case NodePublished published:
                OnPublished(published);
                break;
            case Tick:
                OnTick();
                break;
            case LeaseLost lost:
                OnLeaseLost(lost.Lease);
                break;
            case LeaseReplaced replaced:
                OnLeaseReplaced(replaced.Lease);
                break;
            case Reload:
                RunInBackground(ReloadAsync, "re-reading the store");
                break;
            case Reloaded reloaded:
                OnReloaded(reloaded.Snapshot);
                break;
            case AbortSessions abort:
                foreach (var session in _sessions)
                {
                    session.Abort(Grpc.StatusCode.Unavailable, abort.Reason);
                }

                break;
        }
    }

    /// <summary>Watches everything under the root from <paramref name="fromRevision"/>; reconnects on store errors, re-reads after compaction.</summary>
    private async Task WatchAsync(long fromRevision)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using var watch = await _store.WatchAsync(KeyRange.Prefix(_keys.Root), fromRevision, _stop.Token).ConfigureAwait(false);
                _watchProblem = null;
                while (true)
                {
                    var response = await watch.ReadAsync(_stop.Token).ConfigureAwait(false);
                    if (response.Events.Count > 0)
                    {
                        fromRevision = response.Events[^1].Kv.ModRevision + 1;
                        Post(new WatchEvents(response.Events));
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (CompactedException e)
            {
                Log.WatchCompacted(_logger, e.Message);
                Post(new Reload());
                return;
            }
            catch (CoordinationException e) when (e.Error != CoordinationError.Closed)
            {
                Log.WatchFailed(_logger, e.Message);
                _watchProblem = $"watching the coordination store failed: {e.Message}";
                await DelayAsync(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
            }
            catch (CoordinationException)
            {
                return;
            }
        }
    }

    private async Task ReloadAsync()
    {
        var snapshot = await StoreSnapshot.ReadAsync(_store, _keys, _options.NodeId, _time.GetTimestamp(), _stop.Token).ConfigureAwait(false);
        Post(new Reloaded(snapshot));
    }

    private void OnReloaded(StoreSnapshot snapshot)
    {
        var previous = new Dictionary<string, Replica>(_replicas, StringComparer.Ordinal);
        foreach (var old in previous.Values)
        {
            old.Unassign(_time.GetTimestamp());
        }

        _replicas.Clear();
        WorkflowMetrics.Active.Add(-previous.Count);
        ApplySnapshot(snapshot);
        foreach (var old in previous.Values)
        {
            if (!_replicas.ContainsKey(old.Id))
            {
                old.Session?.Send(Messages.Cancellation(old.Id, "the workflow has finished"));
            }
        }

        _watch = Task.Run(() => WatchAsync(snapshot.Revision + 1), CancellationToken.None);
    }

    private void ApplySnapshot(StoreSnapshot snapshot)
    {
        _nodes.Clear();
        foreach (var (id, node) in snapshot.Nodes)
        {
            _nodes[id] = node;
        }

        foreach (var replica in snapshot.Replicas)
        {
            _replicas[replica.Id] = replica;
            _dirty.Add(replica);
        }

        WorkflowMetrics.Active.Add(snapshot.Replicas.Count);
    }

    private async Task DelayAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private long Now => _time.GetTimestamp();

    private TimeSpan Since(long timestamp) => _time.GetElapsedTime(timestamp);
}
