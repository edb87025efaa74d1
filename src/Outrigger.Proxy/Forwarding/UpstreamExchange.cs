namespace Outrigger.Proxy.Forwarding;

/// <summary>
/// One request sent to one endpoint: the upstream request, and either its response (headers received, body not read yet)
/// or the failure that prevented one. Disposing releases both.
/// </summary>
internal readonly struct UpstreamExchange(HttpRequestMessage request, HttpResponseMessage? response, Exception? failure, bool upgrade, bool h2WebSocket) : IDisposable
{
    public HttpRequestMessage Request { get; } = request;

    public HttpResponseMessage? Response { get; } = response;

    public Exception? Failure { get; } = failure;

    /// <summary>The client asked for an upgrade (HTTP/1.1 Upgrade, or WebSocket over HTTP/2).</summary>
    public bool Upgrade { get; } = upgrade;

    /// <summary>The client's request is an RFC 8441 extended CONNECT for a WebSocket.</summary>
    public bool H2WebSocket { get; } = h2WebSocket;

    public StreamingRequestContent? StreamingBody => Request.Content as StreamingRequestContent;

    public void Dispose()
    {
        Response?.Dispose();
        Request?.Dispose();
    }
}
