using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Outrigger.Proxy.AccessLog;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Routing;
using Outrigger.Proxy.Tracing;
using Outrigger.Proxy.Upstream;

namespace Outrigger.Proxy.Forwarding;

/// <summary>
/// Forwards one request to one endpoint and streams the response back: headers as soon as they arrive, bodies in both
/// directions without buffering, trailers after the body, and 101 upgrades as a byte tunnel. Failures become a
/// <see cref="ForwardResult"/> and, while the response has not started, a short error response naming the cause.
/// </summary>
internal sealed partial class HttpForwarder(ForwardingOptions options, TimeProvider time, ILogger logger)
{
    private const int BufferSize = 64 * 1024;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ForwardResult> ForwardAsync(HttpContext context, CompiledRoute route, EndpointState endpoint, string[] routeValues)
    {
        using var cts = route.Timeout > TimeSpan.Zero ? new CancellationTokenSource(route.Timeout, time) : new CancellationTokenSource();
        using var abort = context.RequestAborted.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), cts);
        using var exchange = await SendAsync(context, route, endpoint, routeValues, body: null, cts.Token).ConfigureAwait(false);
        if (exchange.Response is null)
        {
            var error = Classify(context, exchange, cts.IsCancellationRequested);
            return await WriteFailureAsync(context, route, endpoint, exchange, error, route.Timeout).ConfigureAwait(false);
        }

        cts.CancelAfter(Timeout.InfiniteTimeSpan);
        return await RespondAsync(context, route, endpoint, exchange, cts.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the request to <paramref name="endpoint"/> and waits for response headers; nothing is written to the client.
    /// <paramref name="body"/> replaces the streamed client body (a buffered copy, for retries).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<UpstreamExchange> SendAsync(HttpContext context, CompiledRoute route, EndpointState endpoint, string[] routeValues, RequestBody? body, CancellationToken token)
    {
        var connectFeature = context.Features.Get<IHttpExtendedConnectFeature>();

        // WebSocket over HTTP/2 (RFC 8441 extended CONNECT) goes upstream as an HTTP/1.1 upgrade.
        var h2WebSocket = connectFeature is { IsExtendedConnect: true } && string.Equals(connectFeature.Protocol, "websocket", StringComparison.OrdinalIgnoreCase);
        var upgrade = h2WebSocket || context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true };
        var request = CreateRequest(context, route, endpoint, routeValues, upgrade, body);
        if (h2WebSocket)
        {
            AsWebSocketUpgrade(request);
        }

        var span = ProxyTracing.StartAttempt(request, endpoint.Authority);
        try
        {
            var response = await endpoint.ClientFor(upgrade).SendAsync(request, token).ConfigureAwait(false);
            ProxyTracing.EndAttempt(span, response.StatusCode, null);
            return new UpstreamExchange(request, response, null, h2WebSocket);
        }
        catch (Exception e)
        {
            ProxyTracing.EndAttempt(span, 0, e);
            return new UpstreamExchange(request, null, e, h2WebSocket);
        }
    }

    /// <summary>What went wrong when <see cref="SendAsync"/> got no response; <paramref name="deadlineExpired"/> says whether the caller's timeout fired.</summary>
    public static ForwarderError Classify(HttpContext context, UpstreamExchange exchange, bool deadlineExpired)
    {
        var e = exchange.Failure!;
        if (context.RequestAborted.IsCancellationRequested)
        {
            return ForwarderError.ClientAborted;
        }

        if (exchange.Request.Body?.ClientError is not null)
        {
            return ForwarderError.RequestBodyClient;
        }

        if (e is OperationCanceledException && deadlineExpired)
        {
            return ForwarderError.Timeout;
        }

        return e is UpstreamException { Kind: UpstreamFailure.Connect } ? ForwarderError.ConnectFailed : ForwarderError.NoResponse;
    }

    /// <summary>Streams the upstream's response (headers, body, trailers, or a 101 tunnel) to the client.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ForwardResult> RespondAsync(HttpContext context, CompiledRoute route, EndpointState endpoint, UpstreamExchange exchange, CancellationToken token)
    {
        var response = exchange.Response!;
        if (exchange.Request.Upgrade && response.StatusCode == StatusCodes.Status101SwitchingProtocols)
        {
            Func<Task<Stream>> accept = exchange.H2WebSocket
                ? () => context.Features.Get<IHttpExtendedConnectFeature>()!.AcceptAsync().AsTask()
                : context.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync;
            return await TunnelAsync(context, route, exchange.H2WebSocket, accept, response).ConfigureAwait(false);
        }

        context.Response.StatusCode = response.StatusCode;
        ResponseHeaders.Copy(response, context.Response, upgrade: false, options.Via, route.Options.Transforms);
        var error = await CopyResponseBodyAsync(context, response, token).ConfigureAwait(false);
        if (error == ForwarderError.None)
        {
            ResponseHeaders.CopyTrailers(response, context.Response);
            return new ForwardResult(response.StatusCode, ForwarderError.None);
        }

        if (error == ForwarderError.ResponseBodyUpstream)
        {
            Log.ResponseBodyFailed(logger, endpoint.Authority, route.Cluster.Name);
            context.Abort();
            return new ForwardResult(StatusCodes.Status502BadGateway, error);
        }

        return new ForwardResult(StatusCodes.Status499ClientClosedRequest, error);
    }

    private UpstreamRequest CreateRequest(HttpContext context, CompiledRoute route, EndpointState endpoint, string[] routeValues, bool upgrade, RequestBody? body)
    {
        var client = context.Request;
        var authority = options.PreserveHost && client.Host.HasValue ? client.Host.Value : endpoint.Authority;
        var request = new UpstreamRequest(client.Method, PathAndQuery(context, route, routeValues), authority) { Upgrade = upgrade };
        if (body is not null)
        {
            request.Body = body;
        }
        else if (!upgrade && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            request.Body = new StreamedRequestBody(context, RequestRecord.Of(context));
        }

        RequestHeaders.Copy(context, request, upgrade, options, route.Options.Transforms);
        return request;
    }

    private static string PathAndQuery(HttpContext context, CompiledRoute route, string[] routeValues)
    {
        var request = context.Request;
        if (!route.RewritesPath && context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw && raw[0] == '/')
        {
            return raw;
        }

        var path = route.RewritesPath ? route.TransformPath(request.Path.Value ?? "/", routeValues) : request.Path.Value ?? "/";
        return new PathString(path).ToUriComponent() + request.QueryString.ToUriComponent();
    }

    /// <summary>Logs a failure classified by <see cref="Classify"/> and answers the client with the matching status.</summary>
    public async Task<ForwardResult> WriteFailureAsync(HttpContext context, CompiledRoute route, EndpointState endpoint, UpstreamExchange exchange, ForwarderError error, TimeSpan timeout)
    {
        var cluster = route.Cluster.Name;
        switch (error)
        {
            case ForwarderError.ClientAborted:
                Log.ClientAborted(logger, route.Name, endpoint.Authority);
                return new ForwardResult(StatusCodes.Status499ClientClosedRequest, error);
            case ForwarderError.RequestBodyClient:
                var clientError = exchange.Request.Body!.ClientError!;
                var status = clientError is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
                await WriteErrorAsync(context, status, $"bad request body: {clientError.Message}").ConfigureAwait(false);
                return new ForwardResult(status, error);
            case ForwarderError.Timeout:
                Log.Timeout(logger, endpoint.Authority, cluster, timeout.TotalMilliseconds);
                await WriteErrorAsync(context, StatusCodes.Status504GatewayTimeout, $"upstream timeout: {endpoint.Authority} ({cluster}) sent no response headers within {timeout.TotalMilliseconds} ms").ConfigureAwait(false);
                return new ForwardResult(StatusCodes.Status504GatewayTimeout, error);
        }

        var connect = error == ForwarderError.ConnectFailed;
        var reason = exchange.Failure is UpstreamException failure ? failure.Message : Innermost(exchange.Failure!).Message;
        Log.UpstreamFailed(logger, endpoint.Authority, cluster, connect ? "connect" : "request", reason);
        await WriteErrorAsync(context, StatusCodes.Status502BadGateway, $"upstream {(connect ? "connect " : "")}error: {endpoint.Authority} ({cluster}): {reason}").ConfigureAwait(false);
        return new ForwardResult(StatusCodes.Status502BadGateway, error);
    }

    private static async Task<ForwarderError> CopyResponseBodyAsync(HttpContext context, UpstreamResponse response, CancellationToken token)
    {
        var record = RequestRecord.Of(context);
        var body = context.Response.BodyWriter;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await response.ReadAsync(buffer, token).ConfigureAwait(false);
                }
                catch (Exception) when (context.RequestAborted.IsCancellationRequested)
                {
                    return ForwarderError.ClientAborted;
                }
                catch (Exception)
                {
                    return ForwarderError.ResponseBodyUpstream;
                }

                if (read == 0)
                {
                    return ForwarderError.None;
                }

                // WriteAsync flushes: every piece the upstream sent goes out at once (streams and gRPC flow).
                if (!await WriteAsync(body, buffer.AsMemory(0, read), token).ConfigureAwait(false))
                {
                    return ForwarderError.ClientAborted;
                }

                record?.Sent(read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async ValueTask<bool> WriteAsync(System.IO.Pipelines.PipeWriter writer, ReadOnlyMemory<byte> data, CancellationToken token)
    {
        try
        {
            var result = await writer.WriteAsync(data, token).ConfigureAwait(false);
            return !result.IsCanceled && !result.IsCompleted;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
    }

    private static void AsWebSocketUpgrade(UpstreamRequest request)
    {
        request.Method = HttpMethods.Get;
        request.Set(HeaderNames.Upgrade, "websocket");
        if (!request.Contains(HeaderNames.SecWebSocketKey))
        {
            request.Add(HeaderNames.SecWebSocketKey, Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        }
    }

    private async Task<ForwardResult> TunnelAsync(HttpContext context, CompiledRoute route, bool h2WebSocket, Func<Task<Stream>> accept, UpstreamResponse response)
    {
        ResponseHeaders.Copy(response, context.Response, upgrade: !h2WebSocket, options.Via, route.Options.Transforms);
        if (h2WebSocket)
        {
            // An HTTP/2 client accepts with 200 and needs no handshake key.
            context.Response.Headers.Remove(HeaderNames.SecWebSocketAccept);
            context.Response.StatusCode = StatusCodes.Status200OK;
        }

        Stream upstream;
        try
        {
            upstream = response.OpenTunnel();
        }
        catch (Exception)
        {
            await WriteErrorAsync(context, StatusCodes.Status502BadGateway, "upstream upgrade failed").ConfigureAwait(false);
            return new ForwardResult(StatusCodes.Status502BadGateway, ForwarderError.UpgradeFailed);
        }

        await using (upstream.ConfigureAwait(false))
        {
            var client = await accept().ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                var clean = await UpgradeTunnel.RunAsync(client, upstream, context.RequestAborted).ConfigureAwait(false);
                return new ForwardResult(StatusCodes.Status101SwitchingProtocols, clean ? ForwarderError.None : ForwarderError.UpgradeFailed);
            }
        }
    }

    /// <summary>Writes a one-line plain-text error, unless the response has already started.</summary>
    internal static async Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        try
        {
            await context.Response.WriteAsync($"{status} {message}\n", context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The client is gone; nothing to tell it.
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}
