namespace Outrigger.Proxy.Upstream;

/// <summary>Sends requests to one upstream endpoint over pooled connections.</summary>
internal interface IUpstreamClient : IDisposable
{
    /// <summary>
    /// Sends <paramref name="request"/> and returns once the response headers (final, or 101 to an upgrade) arrived; the
    /// request body may still be being sent. Throws <see cref="UpstreamException"/> when no response came, and
    /// <see cref="OperationCanceledException"/> when <paramref name="token"/> was cancelled first.
    /// </summary>
    Task<UpstreamResponse> SendAsync(UpstreamRequest request, CancellationToken token);
}
