using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Outrigger.Proxy.Listener;

/// <summary>
/// Lets one cleartext port serve HTTP/1.1 and prior-knowledge HTTP/2 (h2c), as Envoy does. Kestrel picks HTTP/1.1 on
/// cleartext ports that allow both, because without TLS there is no ALPN to decide; this connection middleware peeks
/// at the first bytes and, when they are the HTTP/2 connection preface (RFC 9113 §3.4), presents the connection to
/// Kestrel as if ALPN had chosen h2. Nothing is consumed. The server allows alternate schemes so the request's :scheme (http) is kept.
/// </summary>
internal static class PriorKnowledgeH2c
{
    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>Adds the detection to a cleartext listener; <paramref name="timeout"/> bounds the wait for the first bytes.</summary>
    public static void Use(ListenOptions listen, TimeSpan timeout) => listen.Use(next => async connection =>
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        cts.CancelAfter(timeout);
        bool isH2;
        try
        {
            isH2 = await DetectAsync(connection, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            connection.Abort(new ConnectionAbortedException("no request bytes within the request headers timeout"));
            return;
        }

        if (isH2)
        {
            connection.Features.Set<ITlsConnectionFeature>(CleartextH2Feature.Instance);
            connection.Features.Set<ITlsApplicationProtocolFeature>(CleartextH2Feature.Instance);
        }

        await next(connection).ConfigureAwait(false);
    });

    private static async Task<bool> DetectAsync(ConnectionContext connection, CancellationToken token)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(token).ConfigureAwait(false);
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

    /// <summary>Marks a cleartext connection whose first bytes were the HTTP/2 preface.</summary>
    private sealed class CleartextH2Feature : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        public static readonly CleartextH2Feature Instance = new();

        private static readonly byte[] H2 = "h2"u8.ToArray();

        public X509Certificate2? ClientCertificate
        {
            get => null;
            set { }
        }

        public ReadOnlyMemory<byte> ApplicationProtocol => H2;

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
    }
}
