using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using Outrigger.Discovery;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Metrics;
using Outrigger.Proxy.Upstream;

namespace Outrigger.Proxy.Clusters;

/// <summary>
/// Builds the pooled clients of one endpoint. HTTP/2 clusters use a <see cref="SocketsHttpHandler"/> that never follows
/// redirects, decompresses, keeps cookies or uses a system proxy, whose connections have Nagle off and are counted.
/// </summary>
internal static class EndpointClientFactory
{
    public static EndpointState CreateEndpoint(ClusterOptions cluster, DiscoveredEndpoint endpoint, TimeProvider time)
    {
        var latency = new LatencyEwma(time, cluster.LoadBalancing.EwmaDecay);
        var baseUrl = (cluster.Tls is null ? "http://" : "https://") + endpoint.Authority;
        var http1 = new HttpHandlerClient(CreateInvoker(cluster, endpoint), baseUrl, System.Net.HttpVersion.Version11);
        return cluster.Protocol == UpstreamProtocol.Http2
            ? new EndpointState(endpoint, new HttpHandlerClient(CreateInvoker(cluster, endpoint), baseUrl, System.Net.HttpVersion.Version20), http1, latency)
            : new EndpointState(endpoint, http1, null, latency);
    }

    private static HttpMessageInvoker CreateInvoker(ClusterOptions cluster, DiscoveredEndpoint endpoint)
    {
        var tag = ProxyMetrics.ClusterTag(cluster.Name);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
            ConnectTimeout = cluster.Pool.ConnectTimeout,
            PooledConnectionIdleTimeout = cluster.Pool.IdleTimeout,
            Expect100ContinueTimeout = cluster.Pool.Expect100ContinueTimeout,
            ConnectCallback = (context, token) => ConnectAsync(context, tag, token),
        };
        if (cluster.Pool.MaxConnectionsPerEndpoint > 0)
        {
            handler.MaxConnectionsPerServer = cluster.Pool.MaxConnectionsPerEndpoint;
        }

        if (cluster.Tls is { } tls)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = tls.ServerName ?? endpoint.Host,
                RemoteCertificateValidationCallback = tls.InsecureSkipVerify ? static (_, _, _, _) => true : tls.Pinning.Validator(),
                ClientCertificates = tls.Pinning.ClientCertificates(),
            };
        }

        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, KeyValuePair<string, object?> tag, CancellationToken token)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            ProxyMetrics.ConnectFailures.Add(1, tag);
            throw;
        }

        ProxyMetrics.ConnectionsOpened.Add(1, tag);
        ProxyMetrics.ConnectionsActive.Add(1, tag);
        return new CountedNetworkStream(socket, tag);
    }

    /// <summary>A socket stream that decrements <c>upstream_cx_active</c> once when closed.</summary>
    private sealed class CountedNetworkStream(Socket socket, KeyValuePair<string, object?> tag) : NetworkStream(socket, ownsSocket: true)
    {
        private int _closed;

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                ProxyMetrics.ConnectionsActive.Add(-1, new TagList { tag });
            }

            base.Dispose(disposing);
        }
    }
}
