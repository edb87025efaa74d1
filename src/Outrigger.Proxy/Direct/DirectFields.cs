using System.Text;

namespace Outrigger.Proxy.Direct;

/// <summary>What a request or response field is to the direct path: hop-by-hop, framing, or one the proxy rewrites.</summary>
internal enum FieldKind : byte
{
    Other,
    Host,
    ContentLength,
    TransferEncoding,
    Connection,

    /// <summary>Keep-Alive, Proxy-Connection, TE, Trailer, Proxy-Authenticate, Proxy-Authorization: dropped (RFC 9110 §7.6.1).</summary>
    HopByHop,
    Upgrade,
    Http2Settings,
    Expect,
    ForwardedFor,
    ForwardedProto,
    ForwardedHost,
    Via,
    RequestId,
    TraceParent,
    TraceState,
}

internal static class DirectFields
{
    /// <summary>Classifies a field name; <paramref name="requestIdHeader"/> is the configured request id header (may be empty).</summary>
    public static FieldKind Classify(ReadOnlySpan<byte> name, string requestIdHeader)
    {
        var kind = name.Length switch
        {
            2 => Is(name, "te"u8) ? FieldKind.HopByHop : FieldKind.Other,
            3 => Is(name, "via"u8) ? FieldKind.Via : FieldKind.Other,
            4 => Is(name, "host"u8) ? FieldKind.Host : FieldKind.Other,
            6 => Is(name, "expect"u8) ? FieldKind.Expect : FieldKind.Other,
            7 => Is(name, "upgrade"u8) ? FieldKind.Upgrade : Is(name, "trailer"u8) ? FieldKind.HopByHop : FieldKind.Other,
            10 => Is(name, "connection"u8) ? FieldKind.Connection : Is(name, "keep-alive"u8) ? FieldKind.HopByHop : Is(name, "tracestate"u8) ? FieldKind.TraceState : FieldKind.Other,
            11 => Is(name, "traceparent"u8) ? FieldKind.TraceParent : FieldKind.Other,
            14 => Is(name, "content-length"u8) ? FieldKind.ContentLength : Is(name, "http2-settings"u8) ? FieldKind.Http2Settings : FieldKind.Other,
            15 => Is(name, "x-forwarded-for"u8) ? FieldKind.ForwardedFor : FieldKind.Other,
            16 => Is(name, "proxy-connection"u8) ? FieldKind.HopByHop : Is(name, "x-forwarded-host"u8) ? FieldKind.ForwardedHost : FieldKind.Other,
            17 => Is(name, "transfer-encoding"u8) ? FieldKind.TransferEncoding : Is(name, "x-forwarded-proto"u8) ? FieldKind.ForwardedProto : FieldKind.Other,
            18 => Is(name, "proxy-authenticate"u8) ? FieldKind.HopByHop : FieldKind.Other,
            19 => Is(name, "proxy-authorization"u8) ? FieldKind.HopByHop : FieldKind.Other,
            _ => FieldKind.Other,
        };
        return kind == FieldKind.Other && requestIdHeader.Length == name.Length && Ascii.EqualsIgnoreCase(name, requestIdHeader) ? FieldKind.RequestId : kind;
    }

    /// <summary>Whether a route transform removes or replaces the field <paramref name="name"/> (so the original is not copied).</summary>
    public static bool IsTransformed(ReadOnlySpan<byte> name, IReadOnlyList<string> removed, IReadOnlyDictionary<string, string> set)
    {
        foreach (var remove in removed)
        {
            if (Ascii.EqualsIgnoreCase(name, remove))
            {
                return true;
            }
        }

        foreach (var (replace, _) in set)
        {
            if (Ascii.EqualsIgnoreCase(name, replace))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> lower) => Ascii.EqualsIgnoreCase(name, lower);
}
