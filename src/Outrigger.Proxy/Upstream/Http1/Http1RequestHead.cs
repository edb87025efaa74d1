using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Outrigger.Proxy.Upstream.Http1;

/// <summary>
/// A request's head serialised once into a pooled buffer (sent again as is when the request is resent): request line,
/// <c>Host</c>, the request's fields, then the framing this client owns. Fields named <c>Host</c>, <c>Content-Length</c>,
/// <c>Transfer-Encoding</c> or <c>Expect</c> in <see cref="UpstreamRequest.Headers"/> are skipped: the framing written
/// here must be the only one. Values go out as Latin-1; a name that is not a token, or a value with CR, LF, NUL or a
/// character beyond Latin-1, is refused (no header injection).
/// </summary>
internal readonly struct Http1RequestHead
{
    private static readonly SearchValues<char> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private static readonly SearchValues<char> LineBreaks = SearchValues.Create("\r\n\0");

    private Http1RequestHead(byte[] buffer, int length, long? bodyLength, bool expectContinue, bool close)
    {
        Buffer = buffer;
        Length = length;
        BodyLength = bodyLength;
        ExpectContinue = expectContinue;
        Close = close;
    }

    public byte[] Buffer { get; }

    public int Length { get; }

    /// <summary>Bytes of body announced by <c>Content-Length</c>; null for chunked. Only meaningful when <see cref="SendsBody"/>.</summary>
    public long? BodyLength { get; }

    /// <summary>Whether there is a body to send after the head (a body of known length 0 is not one).</summary>
    public bool SendsBody => BodyLength != 0;

    /// <summary><c>Expect: 100-continue</c> was written: the body waits for <c>100 Continue</c>.</summary>
    public bool ExpectContinue { get; }

    /// <summary>The request's own fields asked for <c>Connection: close</c>.</summary>
    public bool Close { get; }

    public ReadOnlyMemory<byte> Bytes => Buffer.AsMemory(0, Length);

    public void Return() => ArrayPool<byte>.Shared.Return(Buffer);

    /// <summary>Serialises <paramref name="request"/>; throws <see cref="ArgumentException"/> for what cannot be sent.</summary>
    public static Http1RequestHead Write(UpstreamRequest request)
    {
        var body = request.Body;
        var buffer = ArrayPool<byte>.Shared.Rent(MaxLength(request));
        try
        {
            var span = buffer.AsSpan();
            var at = Token(request.Method, span, "method");
            span[at++] = (byte)' ';
            at += Target(request.Target, span[at..]);
            at += Copy(" HTTP/1.1\r\nHost: "u8, span[at..]);
            at += Value(request.Authority, span[at..], "Host");
            at += Copy("\r\n"u8, span[at..]);
            var close = false;
            foreach (var (name, values) in request.Headers)
            {
                if (!IsOwnedByClient(name))
                {
                    at += Field(name, values, span[at..]);
                    close |= name.Length == 10 && name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && HasClose(values);
                }
            }

            long? length = body is null ? 0 : body.Length;
            if (length is { } known && (body is not null || NeedsLength(request.Method)))
            {
                at += Copy("Content-Length: "u8, span[at..]);
                known.TryFormat(span[at..], out var written, default, CultureInfo.InvariantCulture);
                at += written;
                at += Copy("\r\n"u8, span[at..]);
            }
            else if (length is null)
            {
                at += Copy("Transfer-Encoding: chunked\r\n"u8, span[at..]);
            }

            var expect = request.ExpectContinue && length != 0;
            if (expect)
            {
                at += Copy("Expect: 100-continue\r\n"u8, span[at..]);
            }

            if (request.Upgrade)
            {
                at += Copy("Connection: Upgrade\r\n"u8, span[at..]);
            }

            at += Copy("\r\n"u8, span[at..]);
            return new Http1RequestHead(buffer, at, length, expect, close);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static int MaxLength(UpstreamRequest request)
    {
        var length = request.Method.Length + request.Target.Length + request.Authority.Length + 128;
        foreach (var (name, values) in request.Headers)
        {
            length += FieldLength(name, values);
        }

        return length;
    }

    private static bool NeedsLength(string method) => method is "POST" or "PUT" or "PATCH";

    private static bool IsOwnedByClient(string name) => name.Length switch
    {
        4 => name.Equals("Host", StringComparison.OrdinalIgnoreCase),
        6 => name.Equals("Expect", StringComparison.OrdinalIgnoreCase),
        14 => name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase),
        17 => name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    private static bool HasClose(StringValues values)
    {
        foreach (var value in values)
        {
            foreach (var part in (value ?? "").AsSpan().Split(','))
            {
                if (value.AsSpan(part).Trim().Equals("close", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>An upper bound of the bytes <see cref="Field"/> writes.</summary>
    public static int FieldLength(string name, StringValues values)
    {
        var length = 0;
        foreach (var value in values)
        {
            length += name.Length + (value?.Length ?? 0) + 4;
        }

        return length;
    }

    /// <summary>One line per value, except <c>Cookie</c>, whose values are joined with <c>"; "</c> (RFC 9113 §8.2.3).</summary>
    public static int Field(string name, StringValues values, Span<byte> span)
    {
        var at = 0;
        if (values.Count > 1 && name.Length == 6 && name.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
        {
            at += Token(name, span, "header name");
            at += Copy(": "u8, span[at..]);
            for (var i = 0; i < values.Count; i++)
            {
                at += i > 0 ? Copy("; "u8, span[at..]) : 0;
                at += Value(values[i], span[at..], name);
            }

            return at + Copy("\r\n"u8, span[at..]);
        }

        foreach (var value in values)
        {
            at += Token(name, span[at..], "header name");
            at += Copy(": "u8, span[at..]);
            at += Value(value, span[at..], name);
            at += Copy("\r\n"u8, span[at..]);
        }

        return at;
    }

    private static int Token(string token, Span<byte> span, string what)
    {
        if (token.Length == 0 || token.AsSpan().ContainsAnyExcept(TokenChars))
        {
            throw new ArgumentException($"Cannot send request {what} '{Escape(token)}' upstream: it is not an HTTP token.");
        }

        return Encoding.ASCII.GetBytes(token, span);
    }

    private static int Target(string target, Span<byte> span)
    {
        if (target.Length == 0 || target.AsSpan().ContainsAnyExceptInRange('!', '\u00FF') || target.Contains('\u007F', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Cannot send request target '{Escape(target)}' upstream: it is empty or has spaces, control characters or characters beyond Latin-1.");
        }

        return Encoding.Latin1.GetBytes(target, span);
    }

    private static int Value(string? value, Span<byte> span, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            return 0;
        }

        if (value.AsSpan().ContainsAny(LineBreaks) || value.AsSpan().ContainsAnyExceptInRange('\0', '\u00FF'))
        {
            throw new ArgumentException($"Cannot send request header '{Escape(name)}' upstream: its value contains CR, LF, NUL or a character beyond Latin-1.");
        }

        return Encoding.Latin1.GetBytes(value, span);
    }

    private static int Copy(ReadOnlySpan<byte> bytes, Span<byte> span)
    {
        bytes.CopyTo(span);
        return bytes.Length;
    }

    private static string Escape(string text)
    {
        var escaped = new StringBuilder();
        foreach (var c in text.AsSpan(0, Math.Min(text.Length, 100)))
        {
            if (c is >= ' ' and < '\u007F')
            {
                escaped.Append(c);
            }
            else
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
        }

        return escaped.ToString();
    }
}
