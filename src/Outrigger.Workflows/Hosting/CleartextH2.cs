using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace Outrigger.Workflows.Hosting;

/// <summary>
/// One cleartext node port for HTTP/1.1 (curl, the HTTP API) and prior-knowledge HTTP/2 (gRPC). Kestrel chooses
/// HTTP/1.1 on a cleartext port that allows both (no ALPN to ask); this connection middleware looks at the first 24
/// bytes without consuming them and, when they are the HTTP/2 preface, tells Kestrel "ALPN chose h2".
/// The proxy module has the same need; the helper belongs in Core (see the report).
/// </summary>
internal static class CleartextH2
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private static readonly TimeSpan FirstBytesTimeout = TimeSpan.FromSeconds(30);

    public static void Enable(ListenOptions listen) => listen.Use(next => async connection =>
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        timeout.CancelAfter(FirstBytesTimeout);
        try
        {
            if (await StartsWithPrefaceAsync(connection, timeout.Token).ConfigureAwait(false))
            {
                connection.Features.Set<ITlsConnectionFeature>(H2Selected.Instance);
                connection.Features.Set<ITlsApplicationProtocolFeature>(H2Selected.Instance);
            }
        }
        catch (OperationCanceledException)
        {
            connection.Abort(new ConnectionAbortedException("the client sent nothing"));
            return;
        }

        await next(connection).ConfigureAwait(false);
    });

    /// <summary>Kestrel options for such a port: requests over the "TLS" h2 connection keep their <c>http</c> scheme.</summary>
    public static void Configure(KestrelServerOptions options) => options.AllowAlternateSchemes = true;

    private static async Task<bool> StartsWithPrefaceAsync(ConnectionContext connection, CancellationToken cancellationToken)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var read = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            var length = (int)Math.Min(buffer.Length, Preface.Length);
            var head = buffer.Slice(0, length).ToArray();
            var matches = head.AsSpan().SequenceEqual(Preface.AsSpan(0, length));
            if (!matches || length == Preface.Length || read.IsCompleted)
            {
                input.AdvanceTo(buffer.Start);
                return matches && length == Preface.Length;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private sealed class H2Selected : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        public static readonly H2Selected Instance = new();

        public X509Certificate2? ClientCertificate { get => null; set { } }

        public ReadOnlyMemory<byte> ApplicationProtocol { get; } = "h2"u8.ToArray();

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
    }

    /// <summary>Hides Kestrel's start-up warning (event 64) that HTTP/2 is off on a cleartext HTTP/1.1+HTTP/2 port: with the middleware it is on.</summary>
    public sealed class WarningFilter(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName == "Microsoft.AspNetCore.Server.Kestrel" ? new Filtered(inner.CreateLogger(categoryName)) : inner.CreateLogger(categoryName);

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose()
        {
        }

        private sealed class Filtered(ILogger inner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => inner.BeginScope(state);

            public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (eventId.Id != 64)
                {
                    inner.Log(logLevel, eventId, state, exception, formatter);
                }
            }
        }
    }
}
