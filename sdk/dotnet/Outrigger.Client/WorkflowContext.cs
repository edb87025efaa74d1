using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Google.Protobuf;
using Raftoral.Sidecar;
using Code = Raftoral.Sidecar.StreamError.Types.Code;

namespace Outrigger.Client;

/// <summary>
/// One execution of a workflow in this app. Checkpoints return the value committed by the sidecar: on replay (after a
/// reconnect or on a standby replica) the committed value, without running the function again; on the owner, the value
/// it computed, once the store has it.
/// </summary>
public sealed class WorkflowContext
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);
    private readonly Channel<SidecarMessage> _inbox = Channel.CreateUnbounded<SidecarMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<CheckpointEvent> _committed = [];
    private readonly Action<AppMessage> _send;
    private readonly int _maxBytes;
    private readonly TimeProvider _time;
    private int _next;

    internal WorkflowContext(ExecuteWorkflowRequest request, Action<AppMessage> send, int maxBytes, TimeProvider time, CancellationToken cancellationToken)
    {
        WorkflowId = request.WorkflowId;
        WorkflowName = request.WorkflowName;
        Version = request.Version;
        Input = request.Input.Memory;
        IsOwner = request.IsOwner;
        CommittedAtStart = (int)request.CommittedCheckpoints;
        CancellationToken = cancellationToken;
        _send = send;
        _maxBytes = maxBytes;
        _time = time;
    }

    public string WorkflowId { get; }

    public string WorkflowName { get; }

    public uint Version { get; }

    /// <summary>The input as sent by the starter (JSON by convention).</summary>
    public ReadOnlyMemory<byte> Input { get; }

    /// <summary>Whether this replica is the owner now: only the owner computes checkpoint values and records the result.</summary>
    public bool IsOwner { get; private set; }

    /// <summary>Fires when the workflow is cancelled, finished elsewhere, or this app lost its stream (it will run again after reconnecting).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Checkpoints committed before this execution started; the first that many are replayed.</summary>
    public int CommittedAtStart { get; }

    /// <summary>Checkpoints this execution has passed.</summary>
    public int Position => _next;

    /// <summary>
    /// A checkpoint whose value <paramref name="compute"/> gives (cheap, deterministic): it runs on every replica that
    /// reaches the checkpoint before its value is committed; the owner's value is committed and returned everywhere.
    /// </summary>
    public async Task<T> Checkpoint<T>(string name, Func<T> compute, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(compute);
        var bytes = await CheckpointBytesAsync(name, () => Task.FromResult(JsonSerializer.SerializeToUtf8Bytes(compute(), typeInfo)), everywhere: true).ConfigureAwait(false);
        return JsonSerializer.Deserialize(bytes, typeInfo)!;
    }

    /// <summary>A checkpoint whose value comes from <paramref name="compute"/>, run on the owner only (side effects, calls to other systems).</summary>
    public async Task<T> CheckpointCompute<T>(string name, Func<Task<T>> compute, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(compute);
        var bytes = await CheckpointBytesAsync(name, async () => JsonSerializer.SerializeToUtf8Bytes(await compute().ConfigureAwait(false), typeInfo), everywhere: false).ConfigureAwait(false);
        return JsonSerializer.Deserialize(bytes, typeInfo)!;
    }

    /// <inheritdoc cref="Checkpoint{T}(string, Func{T}, JsonTypeInfo{T})"/>
    [RequiresUnreferencedCode("Serialises T with reflection; pass a JsonTypeInfo<T> from a JsonSerializerContext for trimming and AOT.")]
    [RequiresDynamicCode("Serialises T with reflection; pass a JsonTypeInfo<T> from a JsonSerializerContext for trimming and AOT.")]
    public Task<T> Checkpoint<T>(string name, Func<T> compute) => Checkpoint(name, compute, Json.TypeInfo<T>());

    /// <inheritdoc cref="CheckpointCompute{T}(string, Func{Task{T}}, JsonTypeInfo{T})"/>
    [RequiresUnreferencedCode("Serialises T with reflection; pass a JsonTypeInfo<T> from a JsonSerializerContext for trimming and AOT.")]
    [RequiresDynamicCode("Serialises T with reflection; pass a JsonTypeInfo<T> from a JsonSerializerContext for trimming and AOT.")]
    public Task<T> CheckpointCompute<T>(string name, Func<Task<T>> compute) => CheckpointCompute(name, compute, Json.TypeInfo<T>());

    /// <summary>
    /// The checkpoint protocol on raw bytes: replay the committed value at this position if there is one; else, as the
    /// owner, compute, propose and wait for the commit; as a standby, wait for the owner's value (or for ownership).
    /// </summary>
    public async Task<byte[]> CheckpointBytesAsync(string name, Func<Task<byte[]>> compute, bool everywhere)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(compute);
        var position = _next;
        byte[]? value = null;
        var proposed = false;
        while (true)
        {
            while (_inbox.Reader.TryRead(out var message))
            {
                if (Apply(message, name) is { } refusal)
                {
                    proposed = await HandleRefusalAsync(refusal).ConfigureAwait(false);
                }
            }

            if (_committed.Count > position)
            {
                return Take(position, name);
            }

            if (!proposed && position >= CommittedAtStart && (IsOwner || (everywhere && value is null)))
            {
                value ??= await ComputeAsync(name, compute).ConfigureAwait(false);
                if (IsOwner)
                {
                    Propose(name, position, value);
                    proposed = true;
                }
            }

            Apply(await _inbox.Reader.ReadAsync(CancellationToken).ConfigureAwait(false), name, requeue: true);
        }
    }

    private async Task<byte[]> ComputeAsync(string name, Func<Task<byte[]>> compute)
    {
        var value = await compute().ConfigureAwait(false);
        if (value.Length > _maxBytes)
        {
            throw new CheckpointTooLargeException($"checkpoint '{name}' of workflow {WorkflowId} is {value.Length} bytes, over the limit of {_maxBytes} bytes");
        }

        return value;
    }

    private void Propose(string name, int position, byte[] value) => _send(new AppMessage
    {
        CheckpointProposal = new CheckpointProposal { WorkflowId = WorkflowId, CheckpointName = name, Value = ByteString.CopyFrom(value), Sequence = (ulong)position },
    });

    private byte[] Take(int position, string name)
    {
        var committed = _committed[position];
        if (committed.CheckpointName != name)
        {
            throw new NonDeterministicWorkflowException(
                $"workflow {WorkflowId} reached checkpoint '{name}' at position {position}, but '{committed.CheckpointName}' was committed there: the workflow code must take the same checkpoints in the same order every run");
        }

        _next = position + 1;
        return committed.Value.ToByteArray();
    }

    /// <summary>Applies a message from the sidecar; returns a refusal of this checkpoint's proposal, if it is one.</summary>
    private StreamError? Apply(SidecarMessage message, string name, bool requeue = false)
    {
        switch (message.MessageCase)
        {
            case SidecarMessage.MessageOneofCase.CheckpointEvent:
                _committed.Add(message.CheckpointEvent);
                break;
            case SidecarMessage.MessageOneofCase.OwnershipChange:
                IsOwner = message.OwnershipChange.IsOwner;
                break;
            case SidecarMessage.MessageOneofCase.Error when message.Error.CheckpointName == name || message.Error.CheckpointName.Length == 0:
                if (requeue)
                {
                    // Handled at the top of the loop, where the proposal state lives.
                    _inbox.Writer.TryWrite(message);
                    return null;
                }

                return message.Error;
        }

        return null;
    }

    /// <summary>What a refused proposal means; returns whether a proposal is still outstanding (false: propose again when owner).</summary>
    private async Task<bool> HandleRefusalAsync(StreamError error)
    {
        switch (error.Code)
        {
            case Code.NotOwner:
                IsOwner = false;
                return false;
            case Code.OutOfOrder:
                // Someone else's value is committed at this position; it arrives as an event.
                return true;
            case Code.Unavailable:
                await Task.Delay(RetryDelay, _time, CancellationToken).ConfigureAwait(false);
                return false;
            default:
                throw new WorkflowException($"the sidecar refused a checkpoint of workflow {WorkflowId}: {error.Code}: {error.Message}");
        }
    }

    internal void Deliver(SidecarMessage message) => _inbox.Writer.TryWrite(message);
}
