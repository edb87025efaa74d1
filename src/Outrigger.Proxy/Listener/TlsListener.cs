using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Outrigger.Proxy.Listener;

/// <summary>
/// TLS for a listener as connection middleware: an <see cref="SslStream"/> handshake offering h2 and http/1.1 by ALPN,
/// then Kestrel reads and writes through it. Used instead of Kestrel's <c>UseHttps</c>, which needs the web host's
/// service registrations that the bare <see cref="Core.Hosting.HttpServer"/> does not have.
/// </summary>
internal static class TlsListener
{
    public static void Use(ListenOptions listen, X509Certificate2 certificate, TimeSpan handshakeTimeout)
    {
        var options = new SslServerAuthenticationOptions { ServerCertificate = certificate, ApplicationProtocols = Alpn(listen.Protocols), ClientCertificateRequired = false };
        Use(listen, () => options, handshakeTimeout);
    }

    /// <summary>TLS whose server options are asked for at each handshake (so certificates can be replaced while running).</summary>
    public static void Use(ListenOptions listen, Func<SslServerAuthenticationOptions> options, TimeSpan handshakeTimeout) =>
        listen.Use(next => connection => HandshakeAsync(connection, next, options(), handshakeTimeout));

    /// <summary>The ALPN protocols to offer for <paramref name="protocols"/>: h2 first, then http/1.1.</summary>
    public static List<SslApplicationProtocol> Alpn(HttpProtocols protocols)
    {
        var alpn = new List<SslApplicationProtocol>();
        if (protocols.HasFlag(HttpProtocols.Http2))
        {
            alpn.Add(SslApplicationProtocol.Http2);
        }

        if (protocols.HasFlag(HttpProtocols.Http1))
        {
            alpn.Add(SslApplicationProtocol.Http11);
        }

        return alpn;
    }

    private static async Task HandshakeAsync(ConnectionContext connection, ConnectionDelegate next, SslServerAuthenticationOptions options, TimeSpan timeout)
    {
        var original = connection.Transport;
        var ssl = new SslStream(new DuplexPipeStream(original), leaveInnerStreamOpen: false);
        await using (ssl.ConfigureAwait(false))
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
            cts.CancelAfter(timeout);
            try
            {
                await ssl.AuthenticateAsServerAsync(options, cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
            {
                connection.Abort(new ConnectionAbortedException("TLS handshake failed", e));
                return;
            }

            var feature = new TlsFeature(ssl);
            connection.Features.Set<ITlsConnectionFeature>(feature);
            connection.Features.Set<ITlsApplicationProtocolFeature>(feature);
            connection.Transport = new SslDuplexPipe(PipeReader.Create(ssl, new StreamPipeReaderOptions(leaveOpen: true)), PipeWriter.Create(ssl, new StreamPipeWriterOptions(leaveOpen: true)));
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                connection.Transport = original;
            }
        }
    }

    private sealed class SslDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private sealed class TlsFeature(SslStream ssl) : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        public X509Certificate2? ClientCertificate
        {
            get => ssl.RemoteCertificate as X509Certificate2;
            set { }
        }

        public ReadOnlyMemory<byte> ApplicationProtocol => ssl.NegotiatedApplicationProtocol.Protocol;

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(ClientCertificate);
    }

    /// <summary>The connection's raw byte pipes as a <see cref="Stream"/> for <see cref="SslStream"/>.</summary>
    private sealed class DuplexPipeStream(IDuplexPipe pipe) : Stream
    {
        private readonly Stream _input = pipe.Input.AsStream(leaveOpen: true);
        private readonly Stream _output = pipe.Output.AsStream(leaveOpen: true);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _input.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _input.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _output.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _output.WriteAsync(buffer, offset, count, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken);

        public override void Flush() => throw new NotSupportedException("synchronous I/O");

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous I/O");

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous I/O");

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
