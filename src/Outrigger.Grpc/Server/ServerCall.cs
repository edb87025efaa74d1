using System.IO.Pipelines;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Outrigger.Grpc.Protocol;

namespace Outrigger.Grpc.Server;

/// <summary>
/// The server side of one call: request parsing, response headers, messages and trailers, the deadline.
/// Writes take turns through a <see cref="WriteCoalescer"/> (which also decides when messages are flushed), so that a
/// deadline can end the response while the handler still runs.
/// </summary>
internal sealed partial class ServerCall
{
    /// <summary>Longer timeouts are treated as no deadline (timers cannot hold them, and nobody means them).</summary>
    private static readonly TimeSpan MaxDeadline = TimeSpan.FromDays(30);

    private readonly ServerRuntime _runtime;
    private readonly WriteCoalescer _writes;
    private Metadata? _requestHeaders;
    private Metadata? _responseTrailers;
    private CancellationTokenSource? _deadlineSource;
    private CancellationTokenSource? _linkedSource;
    private CancellationTokenRegistration _deadlineRegistration;
    private Task? _deadlineCompletion;
    private bool _headersSent;
    private bool _completed;

    public ServerCall(HttpContext httpContext, IMethod method, ServerRuntime runtime)
    {
        HttpContext = httpContext;
        Method = method;
        _runtime = runtime;
        _writes = new WriteCoalescer(FlushBodyAsync);
        Context = new ServerCallContext(this);
        CancellationToken = httpContext.RequestAborted;
    }

    public HttpContext HttpContext { get; }

    public IMethod Method { get; }

    public ServerCallContext Context { get; }

    public CancellationToken CancellationToken { get; private set; }

    public DateTime Deadline { get; private set; } = DateTime.MaxValue;

    public string? RequestEncoding { get; private set; }

    public string? ResponseEncoding { get; private set; }

    /// <summary>Whether the last request message read had its compressed flag set (interop tests check this).</summary>
    public bool LastRequestCompressed { get; private set; }

    public Metadata RequestHeaders => _requestHeaders ??= ReadRequestHeaders();

    public Metadata ResponseTrailers => _responseTrailers ??= [];

    /// <summary>The response's writes (tests look at how many flushes they took).</summary>
    internal WriteCoalescer Writes => _writes;

    public string Peer => FormatPeer(HttpContext.Connection.RemoteIpAddress, HttpContext.Connection.RemotePort);

    private int MaxReceive => _runtime.Options.MaxReceiveMessageSize ?? int.MaxValue;

    /// <summary>Reads grpc-encoding and grpc-timeout; a bad value yields the status to answer with.</summary>
    public Status? Initialize()
    {
        // A gRPC request body is a stream of messages, each limited by MaxReceiveMessageSize; Kestrel's limit on the
        // whole body (30 MB by default) would cut off long-lived streams.
        if (HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }

        var headers = HttpContext.Request.Headers;
        var encoding = headers[GrpcProtocol.EncodingHeader].ToString();
        if (encoding.Length > 0 && !string.Equals(encoding, GrpcProtocol.Identity, StringComparison.OrdinalIgnoreCase))
        {
            if (!string.Equals(encoding, GrpcProtocol.Gzip, StringComparison.OrdinalIgnoreCase))
            {
                return new Status(StatusCode.Unimplemented, $"Unsupported grpc-encoding '{encoding}'; this server accepts {GrpcProtocol.SupportedEncodings}.");
            }

            RequestEncoding = GrpcProtocol.Gzip;
        }

        if (_runtime.Options.ResponseCompressionAlgorithm is { } configured)
        {
            SetResponseEncoding(configured);
        }

        var timeout = headers[GrpcProtocol.TimeoutHeader].ToString();
        if (timeout.Length == 0)
        {
            return null;
        }

        if (!GrpcTimeout.TryParse(timeout, out var span))
        {
            return new Status(StatusCode.Internal, $"Malformed grpc-timeout header '{timeout}'.");
        }

        StartDeadline(span);
        return null;
    }

    public void SetResponseEncoding(string? encoding)
    {
        if (encoding is not null && !string.Equals(encoding, GrpcProtocol.Gzip, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(encoding, GrpcProtocol.Identity, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"Unsupported compression '{encoding}'; use \"gzip\" or null.", nameof(encoding));
        }

        var accepted = encoding is not null
            && !string.Equals(encoding, GrpcProtocol.Identity, StringComparison.OrdinalIgnoreCase)
            && GrpcProtocol.ListContains(HttpContext.Request.Headers[GrpcProtocol.AcceptEncodingHeader].ToString(), encoding);
        var resolved = accepted ? GrpcProtocol.Gzip : null;
        if (_headersSent && resolved != ResponseEncoding)
        {
            throw new InvalidOperationException("Response compression must be chosen before the response headers are sent.");
        }

        ResponseEncoding = resolved;
    }

    /// <summary>Runs <paramref name="handler"/> and answers with its outcome; never throws.</summary>
    public async Task RunAsync(ServerMethodHandler handler)
    {
        Status status;
        try
        {
            await handler.HandleAsync(this).ConfigureAwait(false);
            status = Context.Status;
        }
        catch (Exception ex)
        {
            status = StatusFromException(ex);
        }

        var deadlineExceeded = await StopDeadlineAsync().ConfigureAwait(false);
        if (HttpContext.RequestAborted.IsCancellationRequested && !deadlineExceeded)
        {
            Log.CallCancelled(_runtime.Logger, Method.FullName);
            DisposeSources();
            return;
        }

        if (deadlineExceeded)
        {
            status = new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        }

        await CompleteAsync(status).ConfigureAwait(false);
        DisposeSources();
    }

    public async ValueTask<TRequest> ReadSingleRequestAsync<TRequest>(Google.Protobuf.MessageParser<TRequest> parser)
        where TRequest : class, IMessage<TRequest>
    {
        var request = await ReadRequestAsync(parser, CancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.Internal, "The request stream ended without a message; a unary request needs exactly one."));
        if (await ReadRequestAsync(parser, CancellationToken).ConfigureAwait(false) is not null)
        {
            throw new RpcException(new Status(StatusCode.Internal, "The request stream has more than one message; a unary request needs exactly one."));
        }

        return request;
    }

    public async ValueTask<TRequest?> ReadRequestAsync<TRequest>(Google.Protobuf.MessageParser<TRequest> parser, CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
    {
        var (message, compressed) = await MessageFraming.ReadAsync(
            HttpContext.Request.BodyReader, parser, RequestEncoding, MaxReceive, cancellationToken).ConfigureAwait(false);
        if (message is not null)
        {
            LastRequestCompressed = compressed;
        }

        return message;
    }

    public async Task WriteResponseHeadersAsync(Metadata headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        await _writes.EnterAsync(CancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfCompleted();
            if (_headersSent)
            {
                throw new InvalidOperationException("Response headers have already been sent.");
            }

            SendHeaders(headers);
            await HttpContext.Response.StartAsync(CancellationToken).ConfigureAwait(false);
            await _writes.FlushAsync(CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writes.Exit();
        }
    }

    /// <summary>
    /// Frames <paramref name="message"/> into the response after the writes called before it. <paramref name="flush"/>
    /// false (unary responses) or <see cref="WriteFlags.BufferHint"/> leaves it buffered until a later write or the
    /// end of the call flushes it; otherwise it is flushed unless another write is queued behind it.
    /// </summary>
    public async Task WriteResponseAsync(IMessage message, WriteOptions? options, bool flush, CancellationToken cancellationToken)
    {
        await _writes.EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfCompleted();
            SendHeaders(null);
            var flags = (options ?? Context.WriteOptions)?.Flags ?? WriteFlags.None;
            var compress = ResponseEncoding is not null && (flags & WriteFlags.NoCompress) == 0;
            var bytes = MessageFraming.Write(HttpContext.Response.BodyWriter, message, compress, _runtime.Options.MaxSendMessageSize);
            await _writes.CommitAsync(bytes, bufferHint: !flush || (flags & WriteFlags.BufferHint) != 0, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writes.Exit();
        }
    }

    /// <summary>
    /// Ends the response with <paramref name="status"/> (trailers-only when nothing was sent yet), after the writes called
    /// before it and flushing whatever they buffered; later calls do nothing.
    /// </summary>
    public async Task CompleteAsync(Status status)
    {
        await _writes.EnterAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            if (status.StatusCode != StatusCode.OK)
            {
                Log.CallFailed(_runtime.Logger, Method.FullName, status.StatusCode, status.Detail);
            }

            try
            {
                WriteStatus(status);
                await HttpContext.Response.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ConnectionAbortedException)
            {
                Log.CompleteFailed(_runtime.Logger, Method.FullName, ex.Message);
            }

            _writes.MarkFlushed();
        }
        finally
        {
            _writes.Exit();
        }
    }

    private async ValueTask FlushBodyAsync(CancellationToken cancellationToken) =>
        await HttpContext.Response.BodyWriter.FlushAsync(cancellationToken.CanBeCanceled ? cancellationToken : CancellationToken).ConfigureAwait(false);

    private void WriteStatus(Status status)
    {
        var response = HttpContext.Response;
        if (!_headersSent)
        {
            // Trailers-only: the status travels in the only HEADERS frame, which ends the stream.
            _headersSent = true;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = GrpcProtocol.ContentType;
            AddStatus(response.Headers, status);
            AddMetadata(response.Headers, _responseTrailers);
            return;
        }

        if (!response.SupportsTrailers())
        {
            return;
        }

        response.AppendTrailer(GrpcProtocol.StatusHeader, StatusCodeText(status.StatusCode));
        if (status.Detail.Length > 0)
        {
            response.AppendTrailer(GrpcProtocol.MessageHeader, PercentEncoding.Encode(status.Detail));
        }

        if (_responseTrailers is not null)
        {
            foreach (var entry in _responseTrailers)
            {
                response.AppendTrailer(entry.Key, MetadataCodec.EncodeValue(entry));
            }
        }
    }

    private void SendHeaders(Metadata? metadata)
    {
        if (_headersSent)
        {
            return;
        }

        _headersSent = true;
        var response = HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        var headers = response.Headers;
        headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedEncodings;
        if (ResponseEncoding is not null)
        {
            headers[GrpcProtocol.EncodingHeader] = ResponseEncoding;
        }

        AddMetadata(headers, metadata);
    }

    private static void AddStatus(IHeaderDictionary headers, Status status)
    {
        headers[GrpcProtocol.StatusHeader] = StatusCodeText(status.StatusCode);
        if (status.Detail.Length > 0)
        {
            headers[GrpcProtocol.MessageHeader] = PercentEncoding.Encode(status.Detail);
        }
    }

    private static void AddMetadata(IHeaderDictionary headers, Metadata? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (var entry in metadata)
        {
            headers.Append(entry.Key, MetadataCodec.EncodeValue(entry));
        }
    }

    private static string StatusCodeText(StatusCode code) => code switch
    {
        StatusCode.OK => "0",
        _ => ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException(_deadlineCompletion is not null
                ? "The call's deadline has passed; the response is complete."
                : "The call is complete; nothing more can be written.");
        }
    }

    private Status StatusFromException(Exception ex)
    {
        switch (ex)
        {
            case RpcException rpc:
                foreach (var entry in rpc.Trailers)
                {
                    ResponseTrailers.Add(entry);
                }

                return rpc.Status;
            case OperationCanceledException when CancellationToken.IsCancellationRequested:
                return Status.DefaultCancelled;
            case IOException or ConnectionAbortedException when HttpContext.RequestAborted.IsCancellationRequested:
                return Status.DefaultCancelled;
            default:
                Log.HandlerFailed(_runtime.Logger, Method.FullName, ex);
                var detail = _runtime.Options.EnableDetailedErrors
                    ? $"Exception was thrown by handler. {ex.GetType().Name}: {ex.Message}"
                    : "Exception was thrown by handler.";
                return new Status(StatusCode.Unknown, detail);
        }
    }

    private Metadata ReadRequestHeaders()
    {
        var metadata = new Metadata();
        foreach (var header in HttpContext.Request.Headers)
        {
            foreach (var value in header.Value)
            {
                MetadataCodec.AddHeader(metadata, header.Key, value);
            }
        }

        return metadata;
    }

    private void StartDeadline(TimeSpan timeout)
    {
        if (timeout > MaxDeadline)
        {
            return;
        }

        var time = _runtime.Options.TimeProvider;
        Deadline = time.GetUtcNow().UtcDateTime + timeout;
        _deadlineSource = new CancellationTokenSource(timeout, time);
        _linkedSource = CancellationTokenSource.CreateLinkedTokenSource(HttpContext.RequestAborted, _deadlineSource.Token);
        CancellationToken = _linkedSource.Token;
        _deadlineRegistration = _deadlineSource.Token.UnsafeRegister(static state => ((ServerCall)state!).OnDeadline(), this);
    }

    private void OnDeadline()
    {
        Log.DeadlineExceeded(_runtime.Logger, Method.FullName);
        _deadlineCompletion = CompleteAsync(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"));
    }

    /// <summary>Stops the deadline timer; true when the deadline had already passed (and its completion is awaited).</summary>
    private async ValueTask<bool> StopDeadlineAsync()
    {
        if (_deadlineSource is null)
        {
            return false;
        }

        // Dispose waits for a running OnDeadline, so _deadlineCompletion is settled after it.
        _deadlineRegistration.Dispose();
        if (_deadlineCompletion is null)
        {
            return false;
        }

        await _deadlineCompletion.ConfigureAwait(false);
        return true;
    }

    private void DisposeSources()
    {
        _linkedSource?.Dispose();
        _deadlineSource?.Dispose();
    }

    private static string FormatPeer(IPAddress? address, int port) => address switch
    {
        null => "unknown",
        { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } when address.IsIPv4MappedToIPv6 => $"ipv4:{address.MapToIPv4()}:{port}",
        { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } => $"ipv6:[{address}]:{port}",
        _ => $"ipv4:{address}:{port}",
    };
}
