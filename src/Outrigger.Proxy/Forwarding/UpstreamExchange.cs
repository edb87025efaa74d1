using Outrigger.Proxy.Upstream;

namespace Outrigger.Proxy.Forwarding;

/// <summary>
/// One request sent to one endpoint: the upstream request, and either its response (headers received, body not read yet)
/// or the failure that prevented one. Disposing releases the response and its connection.
/// </summary>
internal readonly struct UpstreamExchange(UpstreamRequest request, UpstreamResponse? response, Exception? failure, bool h2WebSocket) : IDisposable
{
    public UpstreamRequest Request { get; } = request;

    public UpstreamResponse? Response { get; } = response;

    public Exception? Failure { get; } = failure;

    /// <summary>The client's request is an RFC 8441 extended CONNECT for a WebSocket.</summary>
    public bool H2WebSocket { get; } = h2WebSocket;

    public void Dispose() => Response?.Dispose();
}
