using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Outrigger.Grpc;
using Outrigger.Grpc.Client;
using Raftoral.Sidecar;

namespace Outrigger.Client;

/// <summary>
/// Runs an app's workflow code for the sidecar beside it (<c>RaftoralSidecar.WorkflowStream</c>, default
/// <c>http://127.0.0.1:9001</c>). Register handlers, then <see cref="RunAsync"/>: it keeps one stream open
/// (reconnecting with backoff), sends heartbeats, runs each <c>ExecuteWorkflowRequest</c> in its own task and sends
/// the result.
/// </summary>
/// <example>
/// <code>
/// await using var client = await WorkflowClient.ConnectAsync("http://127.0.0.1:9001");
/// client.RegisterWorkflow&lt;string, string&gt;("ping_pong", 1, async (ctx, input) =&gt;
///     await ctx.Checkpoint("result", () =&gt; input == "ping" ? "pong" : "ping"));
/// await client.RunAsync(stoppingToken);
/// </code>
/// </example>
public sealed partial class WorkflowClient : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly WorkflowClientOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<(string Name, uint Version), Func<WorkflowContext, ReadOnlyMemory<byte>, Task<byte[]>>> _handlers = [];
    private readonly ConcurrentDictionary<string, Run> _runs = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();
    private Channel<AppMessage>? _outgoing;
    private TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HashSet<(string, uint)> _unacknowledged = [];
    private long _lastReceived;

    private WorkflowClient(Uri address, WorkflowClientOptions options)
    {
        _options = options;
        _logger = options.LoggerFactory.CreateLogger("Outrigger.Client");
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { LoggerFactory = options.LoggerFactory, TimeProvider = options.TimeProvider, MaxReceiveMessageSize = null });
    }

    public Uri Address => _channel.Address;

    /// <summary>Completes when the sidecar has acknowledged every registration on the current stream (starts can then pick this app).</summary>
    public Task Registered
    {
        get
        {
            lock (_sync)
            {
                return _registered.Task;
            }
        }
    }

    /// <summary>Executions running now.</summary>
    public int RunningWorkflows => _runs.Count;

    /// <summary>
    /// Creates a client and checks that the sidecar answers (a heartbeat on a probe stream), retrying until it does or
    /// <paramref name="cancellationToken"/> fires — an app may start before its sidecar.
    /// </summary>
    public static async Task<WorkflowClient> ConnectAsync(string url, WorkflowClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        var client = new WorkflowClient(new Uri(url, UriKind.Absolute), options ?? new WorkflowClientOptions());
        var delay = client._options.ReconnectDelay;
        while (true)
        {
            try
            {
                await client.ProbeAsync(cancellationToken).ConfigureAwait(false);
                return client;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && !cancellationToken.IsCancellationRequested)
            {
                LogConnectRetry(client._logger, url, e.Status.Detail);
                await Task.Delay(delay, client._options.TimeProvider, cancellationToken).ConfigureAwait(false);
                delay = Next(delay, client._options.MaxReconnectDelay);
            }
        }
    }

    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        using var call = _channel.AsyncDuplexStreamingCall(Methods.WorkflowStream, new CallOptions(CancellationToken: cancellationToken) { Timeout = TimeSpan.FromSeconds(5) });
        await call.RequestStream.WriteAsync(new AppMessage { Heartbeat = new HeartbeatRequest { Timestamp = 1 } }, cancellationToken).ConfigureAwait(false);
        if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the sidecar closed the stream without answering"));
        }

        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Registers a handler on raw bytes (the input as sent; the result as recorded). Call before <see cref="RunAsync"/>.</summary>
    public void RegisterWorkflow(string name, uint version, Func<WorkflowContext, ReadOnlyMemory<byte>, Task<byte[]>> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfZero(version);
        ArgumentNullException.ThrowIfNull(handler);
        lock (_sync)
        {
            _handlers[(name, version)] = handler;
            _unacknowledged.Add((name, version));
            if (_registered.Task.IsCompleted)
            {
                _registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            _outgoing?.Writer.TryWrite(Registration(name, version));
        }
    }

    /// <summary>Registers a typed handler: the input and result are JSON (System.Text.Json with the given contracts).</summary>
    public void RegisterWorkflow<TInput, TResult>(string name, uint version, Func<WorkflowContext, TInput, Task<TResult>> handler, JsonTypeInfo<TInput> input, JsonTypeInfo<TResult> result)
    {
        ArgumentNullException.ThrowIfNull(handler);
        RegisterWorkflow(name, version, async (context, bytes) =>
        {
            var value = JsonSerializer.Deserialize(bytes.Span, input)!;
            return JsonSerializer.SerializeToUtf8Bytes(await handler(context, value).ConfigureAwait(false), result);
        });
    }

    /// <inheritdoc cref="RegisterWorkflow{TInput, TResult}(string, uint, Func{WorkflowContext, TInput, Task{TResult}}, JsonTypeInfo{TInput}, JsonTypeInfo{TResult})"/>
    [RequiresUnreferencedCode("Serialises with reflection; pass JsonTypeInfo contracts from a JsonSerializerContext for trimming and AOT.")]
    [RequiresDynamicCode("Serialises with reflection; pass JsonTypeInfo contracts from a JsonSerializerContext for trimming and AOT.")]
    public void RegisterWorkflow<TInput, TResult>(string name, uint version, Func<WorkflowContext, TInput, Task<TResult>> handler) =>
        RegisterWorkflow(name, version, handler, Json.TypeInfo<TInput>(), Json.TypeInfo<TResult>());

    /// <summary>
    /// Serves workflows until <paramref name="cancellationToken"/> fires: keeps a stream to the sidecar (reconnecting
    /// with backoff; executions are cancelled when a stream drops and replayed by the sidecar on the next one), then
    /// closes the stream gracefully.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = _options.ReconnectDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            var served = await ServeOneStreamAsync(cancellationToken).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            delay = served ? _options.ReconnectDelay : Next(delay, _options.MaxReconnectDelay);
            try
            {
                await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>One stream from open to end; returns whether it got as far as receiving something.</summary>
    private async Task<bool> ServeOneStreamAsync(CancellationToken cancellationToken)
    {
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var outgoing = Channel.CreateUnbounded<AppMessage>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
        using var call = _channel.AsyncDuplexStreamingCall(Methods.WorkflowStream, new CallOptions(CancellationToken: stream.Token));
        var received = false;
        Task writer;
        lock (_sync)
        {
            _outgoing = outgoing;
            _unacknowledged = [.. _handlers.Keys];
            if (_registered.Task.IsCompleted)
            {
                _registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            foreach (var (name, version) in _handlers.Keys)
            {
                outgoing.Writer.TryWrite(Registration(name, version));
            }

            if (_handlers.Count == 0)
            {
                _registered.TrySetResult();
            }
        }

        Volatile.Write(ref _lastReceived, _options.TimeProvider.GetTimestamp());
        writer = WriteAsync(call.RequestStream, outgoing.Reader, stream);
        var heartbeats = HeartbeatAsync(outgoing.Writer, stream);
        try
        {
            while (await call.ResponseStream.MoveNext(stream.Token).ConfigureAwait(false))
            {
                received = true;
                Volatile.Write(ref _lastReceived, _options.TimeProvider.GetTimestamp());
                Dispatch(call.ResponseStream.Current);
            }

            LogStreamEnded(_logger, "the sidecar ended the stream");
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or IOException)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                LogStreamEnded(_logger, e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message);
            }
        }
        finally
        {
            lock (_sync)
            {
                _outgoing = null;
            }

            outgoing.Writer.TryComplete();
            await stream.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(writer, heartbeats).ConfigureAwait(false);
            CancelRuns();
        }

        return received;
    }

    /// <summary>
    /// Drains the outgoing queue to the sidecar. Messages with more queued behind them are only framed (buffer hint):
    /// the last of a burst flushes them all in one write.
    /// </summary>
    private static async Task WriteAsync(IClientStreamWriter<AppMessage> requests, ChannelReader<AppMessage> outgoing, CancellationTokenSource stream)
    {
        try
        {
            await requests.WriteAllAsync(outgoing, stream.Token).ConfigureAwait(false);
            await requests.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or IOException or InvalidOperationException)
        {
            await stream.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Sends a heartbeat every interval; drops the stream when the sidecar has been silent too long.</summary>
    private async Task HeartbeatAsync(ChannelWriter<AppMessage> outgoing, CancellationTokenSource stream)
    {
        var time = _options.TimeProvider;
        try
        {
            while (true)
            {
                await Task.Delay(_options.HeartbeatInterval, time, stream.Token).ConfigureAwait(false);
                if (time.GetElapsedTime(Volatile.Read(ref _lastReceived)) > _options.SidecarTimeout)
                {
                    LogSidecarSilent(_logger, _options.SidecarTimeout.TotalSeconds);
                    await stream.CancelAsync().ConfigureAwait(false);
                    return;
                }

                outgoing.TryWrite(new AppMessage { Heartbeat = new HeartbeatRequest { Timestamp = (ulong)time.GetUtcNow().ToUnixTimeMilliseconds() } });
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Dispatch(SidecarMessage message)
    {
        switch (message.MessageCase)
        {
            case SidecarMessage.MessageOneofCase.ExecuteWorkflow:
                Execute(message.ExecuteWorkflow);
                break;
            case SidecarMessage.MessageOneofCase.CheckpointEvent:
                Deliver(message.CheckpointEvent.WorkflowId, message);
                break;
            case SidecarMessage.MessageOneofCase.OwnershipChange:
                Deliver(message.OwnershipChange.WorkflowId, message);
                break;
            case SidecarMessage.MessageOneofCase.WorkflowCancellation:
                if (_runs.TryRemove(message.WorkflowCancellation.WorkflowId, out var cancelled))
                {
                    LogCancelled(_logger, cancelled.Context.WorkflowId, message.WorkflowCancellation.Reason);
                    cancelled.Cancel();
                }

                break;
            case SidecarMessage.MessageOneofCase.Error:
                OnError(message);
                break;
            case SidecarMessage.MessageOneofCase.WorkflowRegistered:
                Acknowledge(message.WorkflowRegistered);
                break;
        }
    }

    private void Deliver(string workflowId, SidecarMessage message)
    {
        if (_runs.TryGetValue(workflowId, out var run))
        {
            run.Context.Deliver(message);
        }
    }

    private void OnError(SidecarMessage message)
    {
        var error = message.Error;
        LogSidecarError(_logger, error.Code.ToString(), error.Message);
        if (error.WorkflowId.Length > 0)
        {
            Deliver(error.WorkflowId, message);
        }
    }

    private void Acknowledge(WorkflowRegistered registered)
    {
        lock (_sync)
        {
            _unacknowledged.Remove((registered.WorkflowName, registered.Version));
            if (_unacknowledged.Count == 0)
            {
                _registered.TrySetResult();
            }
        }
    }

    /// <summary>Starts an execution in its own task; a new execute request for a running id replaces the old execution.</summary>
    private void Execute(ExecuteWorkflowRequest request)
    {
        if (!_handlers.TryGetValue((request.WorkflowName, request.Version), out var handler))
        {
            Send(Failure(request.WorkflowId, $"this app has no handler for workflow {request.WorkflowName} v{request.Version}"));
            return;
        }

        var cancellation = new CancellationTokenSource();
        var context = new WorkflowContext(request, Send, _options.MaxCheckpointBytes, _options.TimeProvider, cancellation.Token);
        var run = new Run(context, cancellation);
        if (_runs.TryRemove(request.WorkflowId, out var previous))
        {
            previous.Cancel();
        }

        _runs[request.WorkflowId] = run;
        LogExecuting(_logger, request.WorkflowId, request.WorkflowName, request.Version, request.IsOwner, request.CommittedCheckpoints);
        _ = Task.Run(() => RunHandlerAsync(run, handler));
    }

    private async Task RunHandlerAsync(Run run, Func<WorkflowContext, ReadOnlyMemory<byte>, Task<byte[]>> handler)
    {
        var context = run.Context;
        AppMessage result;
        try
        {
            var bytes = await handler(context, context.Input).ConfigureAwait(false);
            result = bytes.Length > _options.MaxCheckpointBytes
                ? Failure(context.WorkflowId, $"the result is {bytes.Length} bytes, over the limit of {_options.MaxCheckpointBytes} bytes")
                : new AppMessage { WorkflowResult = new WorkflowResult { WorkflowId = context.WorkflowId, Success = true, Result = ByteString.CopyFrom(bytes) } };
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            LogWorkflowFailed(_logger, context.WorkflowId, e.Message);
            result = Failure(context.WorkflowId, e.Message);
        }

        if (_runs.TryGetValue(context.WorkflowId, out var current) && ReferenceEquals(current, run) && !context.CancellationToken.IsCancellationRequested)
        {
            Send(result);
            _runs.TryRemove(new KeyValuePair<string, Run>(context.WorkflowId, run));
        }
    }

    private void CancelRuns()
    {
        foreach (var id in _runs.Keys)
        {
            if (_runs.TryRemove(id, out var run))
            {
                run.Cancel();
            }
        }
    }

    private void Send(AppMessage message)
    {
        lock (_sync)
        {
            _outgoing?.Writer.TryWrite(message);
        }
    }

    private static AppMessage Registration(string name, uint version) =>
        new() { RegisterWorkflow = new RegisterWorkflowRequest { WorkflowName = name, Version = version } };

    private static AppMessage Failure(string workflowId, string error) =>
        new() { WorkflowResult = new WorkflowResult { WorkflowId = workflowId, Success = false, Error = error } };

    private static TimeSpan Next(TimeSpan delay, TimeSpan max) => delay * 2 > max ? max : delay * 2;

    public ValueTask DisposeAsync()
    {
        CancelRuns();
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class Run(WorkflowContext context, CancellationTokenSource cancellation)
    {
        public WorkflowContext Context { get; } = context;

        public void Cancel() => cancellation.Cancel();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Sidecar at {Url} not reachable yet: {Reason}")]
    private static partial void LogConnectRetry(ILogger logger, string url, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Workflow stream ended: {Reason}; reconnecting")]
    private static partial void LogStreamEnded(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Nothing from the sidecar for {Seconds} s; reconnecting")]
    private static partial void LogSidecarSilent(ILogger logger, double seconds);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Executing workflow {WorkflowId} ({Name} v{Version}, owner {IsOwner}, {Committed} committed checkpoints)")]
    private static partial void LogExecuting(ILogger logger, string workflowId, string name, uint version, bool isOwner, ulong committed);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Workflow {WorkflowId} cancelled: {Reason}")]
    private static partial void LogCancelled(ILogger logger, string workflowId, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "The sidecar refused a message: {Code}: {Message}")]
    private static partial void LogSidecarError(ILogger logger, string code, string message);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Workflow {WorkflowId} failed: {Error}")]
    private static partial void LogWorkflowFailed(ILogger logger, string workflowId, string error);
}
