using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace Outrigger.Core.Hosting;

/// <summary>
/// One cleartext port for HTTP/1.1 and prior-knowledge HTTP/2 (h2c), as Envoy serves them. Kestrel picks HTTP/1.1 on a
/// cleartext port that allows both, because without TLS there is no ALPN to decide; this connection middleware peeks at
/// the first bytes and, when they are the HTTP/2 connection preface (RFC 9113 §3.4), presents the connection to Kestrel
/// as if ALPN had chosen h2. Nothing is consumed. <see cref="HttpServer"/> sees listeners set up this way and lets their
/// requests keep the <c>http</c> scheme (Kestrel would otherwise expect <c>https</c> on a "TLS" connection) and drops
/// Kestrel's start-up warning that HTTP/2 is off on such a port.
/// </summary>
public static class CleartextHttp2
{
    private static readonly ConditionalWeakTable<ListenOptions, object> Sniffing = [];

    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>Adds the detection to a cleartext listener; <paramref name="firstBytesTimeout"/> bounds the wait for the first bytes.</summary>
    public static void Use(ListenOptions listen, TimeSpan firstBytesTimeout)
    {
        Sniffing.AddOrUpdate(listen, Sniffing);
        listen.Use(next => async connection =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
            timeout.CancelAfter(firstBytesTimeout);
            bool isH2;
            try
            {
                isH2 = await StartsWithPrefaceAsync(connection, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                connection.Abort(new ConnectionAbortedException($"no bytes within {firstBytesTimeout.TotalSeconds:0.###} s of connecting"));
                return;
            }

            if (isH2)
            {
                connection.Features.Set<ITlsConnectionFeature>(H2Selected.Instance);
                connection.Features.Set<ITlsApplicationProtocolFeature>(H2Selected.Instance);
            }

            await next(connection).ConfigureAwait(false);
        });
    }

    /// <summary>True: the preface; false: something else; null: too few bytes to tell.</summary>
    internal static bool? Classify(ReadOnlySequence<byte> buffer)
    {
        Span<byte> head = stackalloc byte[24];
        var length = (int)Math.Min(buffer.Length, head.Length);
        buffer.Slice(0, length).CopyTo(head);
        if (!head[..length].SequenceEqual(Preface[..length]))
        {
            return false;
        }

        return length == Preface.Length ? true : null;
    }

    /// <summary>Whether <see cref="Use"/> was applied to <paramref name="listen"/>.</summary>
    internal static bool IsUsedOn(ListenOptions listen) => Sniffing.TryGetValue(listen, out _);

    private static async Task<bool> StartsWithPrefaceAsync(ConnectionContext connection, CancellationToken cancellationToken)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var verdict = Classify(buffer);
            if (verdict is not null || result.IsCompleted || result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return verdict == true;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Marks a cleartext connection whose first bytes were the HTTP/2 preface.</summary>
    private sealed class H2Selected : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        public static readonly H2Selected Instance = new();

        private static readonly byte[] H2 = "h2"u8.ToArray();

        public X509Certificate2? ClientCertificate
        {
            get => null;
            set { }
        }

        public ReadOnlyMemory<byte> ApplicationProtocol => H2;

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
    }

    /// <summary>Kestrel's logs without event 64 ("HTTP/2 over cleartext is not supported on an HTTP/1.1 and HTTP/2 port"), which the middleware makes untrue.</summary>
    internal sealed class WarningFilter(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal)
                ? new Filtered(inner.CreateLogger(categoryName))
                : inner.CreateLogger(categoryName);

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
