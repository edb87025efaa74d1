using Microsoft.AspNetCore.Http.Features;

namespace Outrigger.Proxy.Forwarding;

/// <summary>
/// One request sent to one endpoint: the upstream request, and either its response (headers received, body not read yet)
/// or the failure that prevented one. Disposing releases both.
/// </summary>
internal readonly struct UpstreamExchange(HttpRequestMessage request, HttpResponseMessage? response, Exception? failure, IHttpUpgradeFeature? upgrade) : IDisposable
{
    public HttpRequestMessage Request { get; } = request;

    public HttpResponseMessage? Response { get; } = response;

    public Exception? Failure { get; } = failure;

    /// <summary>The client's upgrade feature when this was an upgrade request (WebSocket).</summary>
    public IHttpUpgradeFeature? Upgrade { get; } = upgrade;

    public StreamingRequestContent? StreamingBody => Request.Content as StreamingRequestContent;

    public void Dispose()
    {
        Response?.Dispose();
        Request?.Dispose();
    }
}
