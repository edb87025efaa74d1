using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Outrigger.Proxy.Metrics;

namespace Outrigger.Proxy.Upstream.Http1;

/// <summary>
/// Opens connections to the endpoint: TCP with Nagle off, then TLS (ALPN <c>http/1.1</c>) when configured, both within
/// the connect timeout. Counts <c>upstream_cx_total</c>/<c>upstream_cx_active</c> once TCP is up and
/// <c>upstream_cx_connect_fail_total</c> for every failed attempt (TCP, timeout or TLS handshake).
/// </summary>
internal sealed class Http1Connector
{
    private readonly Http1Client _owner;
    private readonly Http1ClientOptions _options;
    private readonly EndPoint _endPoint;
    private readonly SslClientAuthenticationOptions? _tls;

    public Http1Connector(Http1Client owner, Http1ClientOptions options)
    {
        _owner = owner;
        _options = options;
        _endPoint = IPAddress.TryParse(options.Host, out var address) ? new IPEndPoint(address, options.Port) : new DnsEndPoint(options.Host, options.Port);
        _tls = options.Tls is { } tls ? ForHttp11(tls, options.Host) : null;
    }

    private string Name => $"{_options.Host}:{_options.Port}";

    public async Task<Http1Connection> ConnectAsync(CancellationToken token)
    {
        var timeout = _options.ConnectTimeout > TimeSpan.Zero ? _options.ConnectTimeout : Timeout.InfiniteTimeSpan;
        using var limit = new CancellationTokenSource(timeout, _options.Time);
        using var link = token.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), limit);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_endPoint, limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            socket.Dispose();
            throw Failed(ex, "cannot connect to", token);
        }

        ProxyMetrics.ConnectionsOpened.Add(1, _owner.MetricTag);
        ProxyMetrics.ConnectionsActive.Add(1, _owner.MetricTag);
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (_tls is not null)
        {
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            try
            {
                await ssl.AuthenticateAsClientAsync(_tls, limit.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                socket.Dispose();
                ProxyMetrics.ConnectionsActive.Add(-1, _owner.MetricTag);
                throw Failed(ex, "TLS handshake failed with", token);
            }

            stream = ssl;
        }

        return new Http1Connection(_owner, socket, stream);
    }

    private static SslClientAuthenticationOptions ForHttp11(SslClientAuthenticationOptions tls, string host) => new()
    {
        AllowRenegotiation = tls.AllowRenegotiation,
        AllowTlsResume = tls.AllowTlsResume,
        ApplicationProtocols = [SslApplicationProtocol.Http11],
        CertificateChainPolicy = tls.CertificateChainPolicy,
        CertificateRevocationCheckMode = tls.CertificateRevocationCheckMode,
        ClientCertificateContext = tls.ClientCertificateContext,
        ClientCertificates = tls.ClientCertificates,
        EnabledSslProtocols = tls.EnabledSslProtocols,
        LocalCertificateSelectionCallback = tls.LocalCertificateSelectionCallback,
        RemoteCertificateValidationCallback = tls.RemoteCertificateValidationCallback,
        TargetHost = string.IsNullOrEmpty(tls.TargetHost) ? host : tls.TargetHost,
    };

    private Exception Failed(Exception error, string what, CancellationToken token)
    {
        if (token.IsCancellationRequested)
        {
            return new OperationCanceledException(token);
        }

        ProxyMetrics.ConnectFailures.Add(1, _owner.MetricTag);
        var cause = error switch
        {
            OperationCanceledException => $"timed out after {_options.ConnectTimeout.TotalSeconds:0.###} s",
            AuthenticationException { InnerException: { } inner } => $"{error.Message} ({inner.Message})",
            IOException { InnerException: SocketException socket } => socket.Message,
            _ => error.Message,
        };
        return new UpstreamException(UpstreamFailure.Connect, $"{what} {Name}: {cause}", error);
    }
}
