using System.Globalization;
using Google.Protobuf;
using Outrigger.Coordination;
using Outrigger.Workflows.Engine;
using Outrigger.Workflows.Hosting;
using Outrigger.Workflows.Store;
using Raftoral;
using Raftoral.Engine.V1;

namespace Outrigger.Workflows.Management;

/// <summary>
/// Starting, reading, waiting for and cancelling workflows: straight on the store, so every node answers for every
/// workflow. Used by the gRPC and HTTP management front ends.
/// </summary>
internal sealed class WorkflowDirectory(WorkflowEngine engine)
{
    private const int MaxNameLength = 256;
    private const int StartAttempts = 3;
    private readonly ICoordinationStore _store = engine.Store;
    private readonly StoreLayout _keys = engine.Keys;
    private readonly EngineOptions _options = engine.Options;

    /// <summary>Starts an instance, or answers the existing one when <paramref name="workflowId"/> was already started with the same type.</summary>
    public async Task<(WorkflowView View, bool Created)> StartAsync(string name, uint version, ReadOnlyMemory<byte> input, string? workflowId, CancellationToken cancellationToken)
    {
        Validate(name, version, input, workflowId);
        var id = string.IsNullOrEmpty(workflowId) ? Guid.CreateVersion7(engine.TimeProvider.GetUtcNow()).ToString("N") : workflowId;
        var type = new WorkflowType(name, version);
        for (var attempt = 1; ; attempt++)
        {
            if (await GetAsync(id, withCheckpoints: false, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                return (SameType(existing, type), false);
            }

            var nodes = await ReadNodesAsync(cancellationToken).ConfigureAwait(false);
            var eligible = nodes.Where(n => n.Registrations.Any(r => r.WorkflowName == name && r.Version == version)).ToList();
            if (eligible.Count == 0)
            {
                throw new WorkflowApiException(ApiError.NoApp, NoAppMessage(type, nodes));
            }

            var replicas = Placement.Choose(eligible, id, _options.NodeId, _options.Replicas);
            try
            {
                if (await CreateAsync(id, type, input, replicas, cancellationToken).ConfigureAwait(false))
                {
                    WorkflowMetrics.Started.Add(1);
                    var created = await GetAsync(id, withCheckpoints: false, cancellationToken).ConfigureAwait(false);
                    return (created!, true);
                }
            }
            catch (CoordinationException e) when (e.Error == CoordinationError.LeaseNotFound && attempt < StartAttempts)
            {
                // The first replica's node died between reading its record and the transaction: choose again.
            }
        }
    }

    /// <summary>One transaction: the meta, epoch 1 and the first replica as owner (on its node lease), if the id is new.</summary>
    private async Task<bool> CreateAsync(string id, WorkflowType type, ReadOnlyMemory<byte> input, List<NodeRecord> replicas, CancellationToken cancellationToken)
    {
        var meta = new WorkflowRecord
        {
            WorkflowId = id,
            WorkflowName = type.Name,
            Version = type.Version,
            Input = ByteString.CopyFrom(input.Span),
            CreatedAtMs = engine.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds(),
            StartedBy = _options.NodeId,
        };
        meta.Replicas.AddRange(replicas.Select(r => r.Node));
        var owner = new OwnerRecord { Node = replicas[0].Node, Epoch = 1, LeaseId = replicas[0].LeaseId };
        var txn = new Txn(
            [Compare.Missing(_keys.Meta(id))],
            [
                TxnOp.Put(_keys.Meta(id), meta.ToByteArray()),
                TxnOp.Put(_keys.Epoch(id), "1"),
                TxnOp.Put(_keys.Owner(id), owner.ToByteArray(), owner.LeaseId),
            ]);
        var result = await _store.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        return result.Succeeded;
    }

    private void Validate(string name, uint version, ReadOnlyMemory<byte> input, string? workflowId)
    {
        var problems = new List<string>();
        if (name.Length is 0 or > MaxNameLength)
        {
            problems.Add($"the workflow name must be 1-{MaxNameLength} characters");
        }

        if (version == 0)
        {
            problems.Add("the version must be at least 1");
        }

        if (!string.IsNullOrEmpty(workflowId) && !Identifiers.IsValid(workflowId))
        {
            problems.Add(Identifiers.Describe("workflow id", workflowId));
        }

        if (problems.Count > 0)
        {
            throw new WorkflowApiException(ApiError.InvalidArgument, string.Join("; ", problems));
        }

        if (input.Length > _options.MaxInputBytes)
        {
            throw new WorkflowApiException(ApiError.TooLarge, $"the input is {input.Length} bytes, over the limit of {_options.MaxInputBytes} bytes (workflows.max_input_bytes)");
        }
    }

    private static WorkflowView SameType(WorkflowView existing, WorkflowType type) =>
        existing.Meta.WorkflowName == type.Name && existing.Meta.Version == type.Version
            ? existing
            : throw new WorkflowApiException(ApiError.AlreadyExists, $"workflow {existing.Id} already exists as {existing.Meta.WorkflowName} v{existing.Meta.Version}, not {type}");

    private static string NoAppMessage(WorkflowType type, IReadOnlyList<NodeRecord> nodes)
    {
        var registered = nodes.SelectMany(n => n.Registrations.Select(r => $"{r.WorkflowName} v{r.Version}")).Distinct().Order(StringComparer.Ordinal).ToList();
        return registered.Count == 0
            ? $"no app has registered workflow {type}: no app is connected to any of the {nodes.Count} node(s)"
            : $"no app has registered workflow {type}; registered: {string.Join(", ", registered)}";
    }

    public async Task<IReadOnlyList<NodeRecord>> ReadNodesAsync(CancellationToken cancellationToken)
    {
        var range = await _store.RangeAsync(KeyRange.Prefix(_keys.NodesPrefix), null, cancellationToken).ConfigureAwait(false);
        return range.Kvs.Select(kv => NodeRecord.Parser.ParseFrom(kv.Value.Span)).ToList();
    }

    /// <summary>The workflow at one revision (a read-only transaction), or null when no such id was started.</summary>
    public async Task<WorkflowView?> GetAsync(string id, bool withCheckpoints, CancellationToken cancellationToken)
    {
        if (!Identifiers.IsValid(id))
        {
            throw new WorkflowApiException(ApiError.InvalidArgument, Identifiers.Describe("workflow id", id));
        }

        var checkpoints = TxnOp.Range(KeyRange.Prefix(_keys.CheckpointPrefix(id)), new RangeOptions { CountOnly = !withCheckpoints });
        var txn = new Txn([], [TxnOp.Get(_keys.Meta(id)), TxnOp.Get(_keys.Owner(id)), TxnOp.Get(_keys.Result(id)), TxnOp.Get(_keys.Epoch(id)), checkpoints]);
        var result = await _store.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        if (Single(result, 0) is not { } meta)
        {
            return null;
        }

        var owner = Single(result, 1) is { } o ? OwnerRecord.Parser.ParseFrom(o.Value.Span) : null;
        var outcome = Single(result, 2) is { } r ? ResultRecord.Parser.ParseFrom(r.Value.Span) : null;
        var epoch = Single(result, 3) is { } e ? ulong.Parse(e.ValueText, CultureInfo.InvariantCulture) : 0;
        var range = (RangeResult)result.Results[4];
        var history = withCheckpoints ? range.Kvs.Select(kv => CheckpointRecord.Parser.ParseFrom(kv.Value.Span)).ToList() : [];
        return new WorkflowView(WorkflowRecord.Parser.ParseFrom(meta.Value.Span), WorkflowView.StatusOf(owner, outcome), owner, epoch, outcome, range.Count, history);
    }

    private static KeyValue? Single(TxnResult result, int index) => ((RangeResult)result.Results[index]).Kvs is [var kv] ? kv : null;

    /// <summary>Workflows, newest first, optionally only those with <paramref name="status"/>.</summary>
    public async Task<IReadOnlyList<WorkflowView>> ListAsync(WorkflowStatus status, int limit, CancellationToken cancellationToken)
    {
        var metas = await _store.RangeAsync(KeyRange.Prefix(_keys.MetaPrefix), null, cancellationToken).ConfigureAwait(false);
        var at = new RangeOptions { Revision = metas.Revision };
        var owners = await ReadByIdAsync(_keys.OwnerPrefix, at, OwnerRecord.Parser, cancellationToken).ConfigureAwait(false);
        var results = await ReadByIdAsync(_keys.ResultPrefix, at, ResultRecord.Parser, cancellationToken).ConfigureAwait(false);
        var views = new List<WorkflowView>();
        foreach (var kv in metas.Kvs)
        {
            var meta = WorkflowRecord.Parser.ParseFrom(kv.Value.Span);
            var owner = owners.GetValueOrDefault(meta.WorkflowId);
            var result = results.GetValueOrDefault(meta.WorkflowId);
            var view = new WorkflowView(meta, WorkflowView.StatusOf(owner, result), owner, owner?.Epoch ?? 0, result, -1, []);
            if (status == WorkflowStatus.Unspecified || view.Status == status)
            {
                views.Add(view);
            }
        }

        return views.OrderByDescending(v => v.Meta.CreatedAtMs).ThenBy(v => v.Id, StringComparer.Ordinal).Take(limit).ToList();
    }

    private async Task<Dictionary<string, T>> ReadByIdAsync<T>(string prefix, RangeOptions at, MessageParser<T> parser, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        var range = await _store.RangeAsync(KeyRange.Prefix(prefix), at, cancellationToken).ConfigureAwait(false);
        var byId = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var kv in range.Kvs)
        {
            byId[kv.Key[prefix.Length..]] = parser.ParseFrom(kv.Value.Span);
        }

        return byId;
    }

    /// <summary>Waits until the workflow finishes or <paramref name="timeout"/> passes; answers its view either way.</summary>
    public async Task<WorkflowView> WaitAsync(string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var waiter = engine.Waiters.Add(id);
        var view = await GetAsync(id, withCheckpoints: false, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowApiException(ApiError.NotFound, $"unknown workflow '{id}': no workflow with this id was started");
        if (view.IsFinished)
        {
            return view;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await waiter.Task.WaitAsync(timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return view;
        }

        return await GetAsync(id, withCheckpoints: false, cancellationToken).ConfigureAwait(false) ?? view;
    }

    /// <summary>Cancels an unfinished workflow; answers whether this call cancelled it and the status after the call.</summary>
    public async Task<(bool Cancelled, WorkflowView View)> CancelAsync(string id, string reason, CancellationToken cancellationToken)
    {
        var view = await GetAsync(id, withCheckpoints: false, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowApiException(ApiError.NotFound, $"unknown workflow '{id}': no workflow with this id was started");
        var record = new ResultRecord
        {
            Outcome = Outcome.Cancelled,
            Error = string.IsNullOrWhiteSpace(reason) ? "cancelled" : $"cancelled: {reason}",
            Node = _options.NodeId,
            Epoch = view.Epoch,
            FinishedAtMs = engine.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        var txn = new Txn([Compare.Missing(_keys.Result(id))], [TxnOp.Put(_keys.Result(id), record.ToByteArray())]);
        var result = await _store.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            WorkflowMetrics.Cancelled.Add(1);
        }

        var after = await GetAsync(id, withCheckpoints: false, cancellationToken).ConfigureAwait(false) ?? view;
        return (result.Succeeded, after);
    }
}
