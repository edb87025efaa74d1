using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http;
using Google.Protobuf;
using Outrigger.Grpc.Protocol;

namespace Outrigger.Grpc.Client;

/// <summary>
/// The client side of one call: sends the HTTP/2 request, reads response headers, messages and trailers, and turns
/// every way a call can end (status, deadline, cancellation, transport failure) into one <see cref="Status"/>.
/// </summary>
internal sealed partial class ClientCall<TRequest, TResponse> : IClientCall
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly GrpcChannel _channel;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly CancellationTokenSource _callSource = new();
    private readonly TaskCompletionSource<Metadata> _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _requestEncoding;
    private readonly Lock _statusLock = new();
    private TimeSpan? _timeout;
    private CancellationTokenSource? _deadlineSource;
    private CancellationTokenRegistration _userRegistration;
    private CancellationTokenRegistration _deadlineRegistration;
    private Task _responseReady = Task.CompletedTask;
    private HttpResponseMessage? _response;
    private PipeReader? _reader;
    private string? _responseEncoding;
    private Status? _status;

    // Why the HTTP request failed to start (connection refused, TLS, …), kept so callers can tell "never sent" apart.
    private Exception? _startFailure;
    private Metadata? _trailers;
    private bool _deadlineExceeded;
    private bool _disposed;

    public ClientCall(GrpcChannel channel, Method<TRequest, TResponse> method, CallOptions options)
    {
        _channel = channel;
        _method = method;
        _options = options;
        _requestEncoding = options.CompressionAlgorithm ?? channel.Options.CompressionAlgorithm;
        if (_requestEncoding is not null && !string.Equals(_requestEncoding, GrpcProtocol.Gzip, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"Unsupported compression '{_requestEncoding}'; use \"gzip\" or null.", nameof(options));
        }
    }

    public CancellationToken CallToken => _callSource.Token;

    public Task<Metadata> ResponseHeadersAsync => _headers.Task;

    public Status GetStatus() => _status ?? throw new InvalidOperationException("The call is still in progress; its status is not known yet.");

    public Metadata GetTrailers() => _status is null
        ? throw new InvalidOperationException("The call is still in progress; its trailers are not known yet.")
        : _trailers ?? Metadata.Empty;

    public void StartUnary(TRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(64, request.CalculateSize() + GrpcProtocol.MessageHeaderSize));
        try
        {
            MessageFraming.Write(buffer, request, ShouldCompress(_options.WriteOptions), _channel.Options.MaxSendMessageSize);
        }
        catch (RpcException ex)
        {
            Finish(ex.Status, null);
            return;
        }

        Start(new UnaryRequestContent(buffer.WrittenMemory));
    }

    public ClientStreamWriter<TRequest, TResponse> StartStreaming()
    {
        var content = new StreamingRequestContent();
        var writer = new ClientStreamWriter<TRequest, TResponse>(this, content) { WriteOptions = _options.WriteOptions };
        Start(content);
        return writer;
    }

    /// <summary>Frames a request message into <paramref name="output"/>; returns the bytes written.</summary>
    internal int WriteFrame(IBufferWriter<byte> output, TRequest message, WriteOptions? options) =>
        MessageFraming.Write(output, message, ShouldCompress(options), _channel.Options.MaxSendMessageSize);

    /// <summary>The next response message; null at the end of an OK call. Throws <see cref="RpcException"/> for a failed call.</summary>
    public async Task<TResponse?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        await _responseReady.ConfigureAwait(false);
        if (_status is { } done)
        {
            return done.StatusCode == StatusCode.OK ? null : throw CreateException(done);
        }

        try
        {
            using var registration = cancellationToken.CanBeCanceled
                ? cancellationToken.UnsafeRegister(static s => ((ClientCall<TRequest, TResponse>)s!).Cancel(), this)
                : default;
            var maxReceive = _channel.Options.MaxReceiveMessageSize ?? int.MaxValue;
            var (message, _) = await MessageFraming.ReadAsync(_reader!, _method.ResponseParser, _responseEncoding, maxReceive, _callSource.Token).ConfigureAwait(false);
            if (message is not null)
            {
                return message;
            }

            var status = ReadTrailers();
            return status.StatusCode == StatusCode.OK ? null : throw CreateException(status);
        }
        catch (Exception ex) when (ex is not RpcException || _status is null)
        {
            var status = StatusFromException(ex);
            Finish(status, _trailers);
            _callSource.Cancel();
            throw CreateException(status, ex);
        }
    }

    /// <summary>Reads the one response of a unary or client-streaming call and the end of the call.</summary>
    public async Task<TResponse> ReadSingleResponseAsync()
    {
        var response = await ReadMessageAsync(CancellationToken.None).ConfigureAwait(false)
            ?? throw FailWith(new Status(StatusCode.Internal, "The server ended the call with OK but without a response message."));
        if (await ReadMessageAsync(CancellationToken.None).ConfigureAwait(false) is not null)
        {
            throw FailWith(new Status(StatusCode.Internal, "The server sent more than one response message to a call that expects one."));
        }

        return response;
    }

    /// <summary>Waits until the response headers arrived or the call failed (never throws).</summary>
    public Task WaitForResponseHeadersAsync() => _responseReady;

    /// <summary>Throws the call's exception if it has ended with a non-OK status (used by writers).</summary>
    public void ThrowIfFailed(Exception? inner = null)
    {
        if (_status is { StatusCode: not StatusCode.OK } status)
        {
            throw CreateException(status, inner);
        }
    }

    /// <summary>Cancels the call: RST_STREAM to the server, CANCELLED locally (unless it already ended).</summary>
    public void Cancel()
    {
        if (_status is null)
        {
            Finish(Status.DefaultCancelled, null);
        }

        _callSource.Cancel();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Cancel();
        _response?.Dispose();
        _callSource.Dispose();
    }

    private void Start(HttpContent content)
    {
        if (_status is not null)
        {
            content.Dispose();
            return;
        }

        if (!StartTimers())
        {
            content.Dispose();
            return;
        }

        var request = CreateRequest(content);
        _responseReady = ReceiveHeadersAsync(_channel.Invoker.SendAsync(request, _callSource.Token), content);
    }

    private bool StartTimers()
    {
        if (_options.CancellationToken.IsCancellationRequested)
        {
            Finish(Status.DefaultCancelled, null);
            return false;
        }

        _userRegistration = _options.CancellationToken.UnsafeRegister(static s => ((ClientCall<TRequest, TResponse>)s!).Cancel(), this);
        var timeout = _timeout = Timeout;
        if (timeout is null)
        {
            return true;
        }

        if (timeout <= TimeSpan.Zero)
        {
            Finish(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), null);
            return false;
        }

        _deadlineSource = new CancellationTokenSource(timeout.Value, _channel.Options.TimeProvider);
        _deadlineRegistration = _deadlineSource.Token.UnsafeRegister(static s => ((ClientCall<TRequest, TResponse>)s!).OnDeadline(), this);
        return true;
    }

    private TimeSpan? Timeout
    {
        get
        {
            if (_options.Deadline is { } deadline)
            {
                if (deadline == DateTime.MaxValue)
                {
                    return null;
                }

                var utc = deadline.Kind == DateTimeKind.Local ? deadline.ToUniversalTime() : deadline;
                return utc - _channel.Options.TimeProvider.GetUtcNow().UtcDateTime;
            }

            return _options.Timeout;
        }
    }

    private void OnDeadline()
    {
        if (_status is null)
        {
            _deadlineExceeded = true;
            Finish(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), null);
        }

        _callSource.Cancel();
    }

    private HttpRequestMessage CreateRequest(HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_channel.Address, _method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var headers = request.Headers;
        headers.TryAddWithoutValidation(GrpcProtocol.TeHeader, "trailers");
        headers.TryAddWithoutValidation(GrpcProtocol.UserAgentHeader, GrpcProtocol.UserAgent);
        headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.SupportedEncodings);
        if (_requestEncoding is not null)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.EncodingHeader, GrpcProtocol.Gzip);
        }

        if (_timeout is { } timeout)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(timeout));
        }

        if (_options.Headers is { } metadata)
        {
            foreach (var entry in metadata)
            {
                headers.TryAddWithoutValidation(entry.Key, MetadataCodec.EncodeValue(entry));
            }
        }

        return request;
    }

    private async Task ReceiveHeadersAsync(Task<HttpResponseMessage> send, HttpContent content)
    {
        try
        {
            _response = await send.ConfigureAwait(false);
            var status = CheckResponseHeaders(_response);
            var headers = ToMetadata(_response.Headers);
            if (status is { } trailersOnly)
            {
                _headers.TrySetResult(headers);
                Finish(trailersOnly, headers);
                return;
            }

            _responseEncoding = _response.Headers.TryGetValues(GrpcProtocol.EncodingHeader, out var encodings) ? encodings.FirstOrDefault() : null;
            var stream = await _response.Content.ReadAsStreamAsync(_callSource.Token).ConfigureAwait(false);
            _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024));
            _headers.TrySetResult(headers);
        }
        catch (Exception ex)
        {
            var status = StatusFromException(ex);
            _startFailure = ex;
            Finish(status, null);

            // A request that never started never asks for its body: release writers waiting for the request stream.
            (content as StreamingRequestContent)?.Abort();
        }
    }

    /// <summary>Validates the response head; returns the status of a trailers-only response or of an HTTP error.</summary>
    private static Status? CheckResponseHeaders(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return new Status(HttpStatusMapping.ToStatusCode(response.StatusCode), $"Bad gRPC response. HTTP status code: {(int)response.StatusCode}");
        }

        if (response.Headers.TryGetValues(GrpcProtocol.StatusHeader, out _))
        {
            return ParseStatus(response.Headers);
        }

        var contentType = response.Content.Headers.ContentType?.MediaType;
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            return new Status(StatusCode.Unknown, $"Bad gRPC response. Invalid content-type value: {contentType}");
        }

        return null;
    }

    private Status ReadTrailers()
    {
        var trailing = _response!.TrailingHeaders;
        var status = ParseStatus(trailing);
        Finish(status, ToMetadata(trailing));
        return status;
    }

    private static Status ParseStatus(System.Net.Http.Headers.HttpHeaders headers)
    {
        if (!headers.TryGetValues(GrpcProtocol.StatusHeader, out var values))
        {
            return new Status(StatusCode.Internal, "The response ended without a grpc-status.");
        }

        var text = values.FirstOrDefault();
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
        {
            return new Status(StatusCode.Unknown, $"Unparsable grpc-status '{text}'.");
        }

        var message = headers.TryGetValues(GrpcProtocol.MessageHeader, out var messages) ? PercentEncoding.Decode(messages.FirstOrDefault() ?? string.Empty) : string.Empty;
        return new Status((StatusCode)code, message);
    }

    private static Metadata ToMetadata(System.Net.Http.Headers.HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (var header in headers.NonValidated)
        {
            foreach (var value in header.Value)
            {
                MetadataCodec.AddHeader(metadata, header.Key, value);
            }
        }

        return metadata;
    }

    private bool ShouldCompress(WriteOptions? options) =>
        _requestEncoding is not null && ((options?.Flags ?? WriteFlags.None) & WriteFlags.NoCompress) == 0;

    private void Finish(Status status, Metadata? trailers)
    {
        lock (_statusLock)
        {
            if (_status is not null)
            {
                return;
            }

            _status = status;
            _trailers = trailers;
        }

        _userRegistration.Dispose();
        _deadlineRegistration.Dispose();
        _deadlineSource?.Dispose();
        if (status.StatusCode != StatusCode.OK && _headers.TrySetException(CreateException(status)))
        {
            _ = _headers.Task.Exception; // observed: callers that never ask for headers must not see unobserved-task noise
        }
    }

    private RpcException FailWith(Status status)
    {
        Finish(status, _trailers);
        _callSource.Cancel();
        return CreateException(GetStatus());
    }

    private RpcException CreateException(Status status, Exception? inner = null) =>
        new(status, _trailers ?? Metadata.Empty, inner ?? _startFailure);

    private Status StatusFromException(Exception ex)
    {
        if (_status is { } known)
        {
            return known;
        }

        if (_deadlineExceeded)
        {
            return new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        }

        if (_options.CancellationToken.IsCancellationRequested || _disposed)
        {
            return Status.DefaultCancelled;
        }

        return ex switch
        {
            RpcException rpc => rpc.Status,
            _ when FindProtocolError(ex) is { } protocol => protocol.ErrorCode switch
            {
                0x8 => new Status(StatusCode.Cancelled, "The server cancelled the stream (RST_STREAM CANCEL)."),
                0x7 => new Status(StatusCode.Unavailable, "The server refused the stream (RST_STREAM REFUSED_STREAM)."),
                0xB => new Status(StatusCode.ResourceExhausted, "The server reset the stream: ENHANCE_YOUR_CALM."),
                var code => new Status(StatusCode.Internal, $"The HTTP/2 stream was reset (error code 0x{code:x}): {protocol.Message}"),
            },
            HttpRequestException http => new Status(StatusCode.Unavailable, "Error starting gRPC call: " + http.Message),
            IOException io => new Status(StatusCode.Unavailable, "The connection failed during the call: " + io.Message),
            OperationCanceledException => Status.DefaultCancelled,
            _ => new Status(StatusCode.Internal, $"Unexpected error in the call: {ex.GetType().Name}: {ex.Message}"),
        };
    }

    private static HttpProtocolException? FindProtocolError(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is HttpProtocolException protocol)
            {
                return protocol;
            }
        }

        return null;
    }
}

/// <summary>What the public call objects need from a call, whatever its message types.</summary>
internal interface IClientCall : IDisposable
{
    Task<Metadata> ResponseHeadersAsync { get; }

    Status GetStatus();

    Metadata GetTrailers();
}
