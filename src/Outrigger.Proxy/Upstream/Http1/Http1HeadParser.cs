using System.Buffers;
using System.Net;
using System.Text;

namespace Outrigger.Proxy.Upstream.Http1;

/// <summary>
/// Parses response heads and trailer sections (RFC 9112 §4, §5) from bytes. Lines end in CRLF or a bare LF; anything
/// else that is not HTTP is an <see cref="UpstreamException"/> naming what was wrong.
/// </summary>
internal static class Http1HeadParser
{
    private static readonly SearchValues<byte> TokenBytes =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    private static readonly SearchValues<byte> InvalidValueBytes = SearchValues.Create(InvalidValueSet());

    /// <summary>
    /// The length of the section in <paramref name="data"/> up to and including its empty line, or -1 when that line has
    /// not arrived; <paramref name="scanned"/> (a line start) remembers where to go on scanning once more data arrived.
    /// </summary>
    public static int FindEnd(ReadOnlySpan<byte> data, ref int scanned)
    {
        var position = scanned;
        while (true)
        {
            var lf = data[position..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                scanned = position;
                return -1;
            }

            if (lf == 0 || (lf == 1 && data[position] == (byte)'\r'))
            {
                return position + lf + 1;
            }

            position += lf + 1;
        }
    }

    /// <summary>The line starting at <paramref name="position"/> without its terminator; moves past it.</summary>
    public static ReadOnlySpan<byte> NextLine(ReadOnlySpan<byte> section, ref int position)
    {
        var rest = section[position..];
        var lf = rest.IndexOf((byte)'\n');
        position += lf + 1;
        var line = rest[..lf];
        return line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;
    }

    /// <summary>Parses <c>HTTP/1.x SP 3DIGIT [SP reason]</c>.</summary>
    public static (int Status, Version Version) ParseStatusLine(ReadOnlySpan<byte> line)
    {
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || !char.IsAsciiDigit((char)line[7]) || line[8] != (byte)' '
            || !IsStatus(line.Slice(9, 3)) || (line.Length > 12 && line[12] != (byte)' '))
        {
            throw new UpstreamException(UpstreamFailure.Exchange, $"upstream sent a malformed status line: '{Printable(line)}'");
        }

        var status = ((line[9] - '0') * 100) + ((line[10] - '0') * 10) + (line[11] - '0');
        return (status, line[7] == (byte)'0' ? HttpVersion.Version10 : HttpVersion.Version11);
    }

    /// <summary>
    /// Parses <c>name ":" OWS value OWS</c> into strings, reused from <paramref name="cache"/> when this connection saw
    /// them before; returns the name's known id or -1.
    /// </summary>
    public static int ParseField(ReadOnlySpan<byte> line, Http1FieldCache cache, out string name, out string value)
    {
        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || line[..colon].ContainsAnyExcept(TokenBytes))
        {
            var why = line.Length > 0 && (line[0] == (byte)' ' || line[0] == (byte)'\t') ? "folded header line (obs-fold)" : "malformed header line";
            throw new UpstreamException(UpstreamFailure.Exchange, $"upstream sent a {why}: '{Printable(line)}'");
        }

        var rawValue = line[(colon + 1)..].Trim(" \t"u8);
        if (rawValue.ContainsAny(InvalidValueBytes))
        {
            throw new UpstreamException(UpstreamFailure.Exchange, $"upstream sent a header value with control characters: '{Printable(line)}'");
        }

        return cache.Get(line[..colon], rawValue, out name, out value);
    }

    /// <summary>Up to 100 bytes of <paramref name="bytes"/> for an error message, control and non-ASCII bytes escaped.</summary>
    public static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes[..Math.Min(bytes.Length, 100)])
        {
            if (b is >= 0x20 and < 0x7F)
            {
                text.Append((char)b);
            }
            else
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{b:X2}");
            }
        }

        return bytes.Length > 100 ? text.Append("...").ToString() : text.ToString();
    }

    private static bool IsStatus(ReadOnlySpan<byte> digits) =>
        digits[0] is >= (byte)'1' and <= (byte)'9' && char.IsAsciiDigit((char)digits[1]) && char.IsAsciiDigit((char)digits[2]);

    private static byte[] InvalidValueSet()
    {
        var set = new List<byte>();
        for (var b = 0; b < 0x20; b++)
        {
            if (b != '\t')
            {
                set.Add((byte)b);
            }
        }

        set.Add(0x7F);
        return [.. set];
    }
}
