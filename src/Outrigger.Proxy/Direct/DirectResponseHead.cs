using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Upstream;
using Outrigger.Proxy.Upstream.Http1;

namespace Outrigger.Proxy.Direct;

/// <summary>How a response's body is delimited (RFC 9112 §6.3).</summary>
internal enum BodyFraming : byte
{
    None,
    Length,
    Chunked,
    UntilClose,
}

/// <summary>What the direct path learnt from an upstream's response head while rewriting it for the client.</summary>
internal readonly record struct ResponseInfo(int Status, BodyFraming Framing, long Length, bool UpstreamKeepAlive);

/// <summary>
/// Rewrites an upstream response head for the client: the status line and fields as the upstream wrote them, minus the
/// hop-by-hop ones (and those its Connection header names), plus Via and the route's response transforms. The body's
/// framing fields stay, because the body passes through as the upstream framed it.
/// </summary>
internal static class DirectResponseHead
{
    private const int MaxConnectionTokens = 8;
    private const int FieldsOnStack = 32;

    /// <summary>Rewrites <paramref name="head"/> into <paramref name="output"/>; throws <see cref="UpstreamException"/> for a malformed head.</summary>
    public static ResponseInfo Rewrite(ReadOnlySpan<byte> head, HeadBuilder output, bool headRequest, bool via, bool closeClient, RouteTransformOptions transforms)
    {
        var fieldCount = head.Count((byte)'\n'); // an upper bound
        FieldLine[]? rented = null;
        var lines = fieldCount <= FieldsOnStack
            ? stackalloc FieldLine[FieldsOnStack]
            : (rented = ArrayPool<FieldLine>.Shared.Rent(fieldCount));
        try
        {
            return Rewrite(head, output, headRequest, via, closeClient, transforms, lines);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<FieldLine>.Shared.Return(rented);
            }
        }
    }

    private static ResponseInfo Rewrite(ReadOnlySpan<byte> head, HeadBuilder output, bool headRequest, bool via, bool closeClient, RouteTransformOptions transforms, Span<FieldLine> lines)
    {
        var position = 0;
        var (status, version) = Http1HeadParser.ParseStatusLine(Http1HeadParser.NextLine(head, ref position));
        var fieldsStart = position;
        Span<Range> named = stackalloc Range[MaxConnectionTokens];
        var namedCount = 0;
        var close = version.Minor == 0;
        long length = -1;
        var chunked = false;
        var count = 0;
        while (NextField(head, ref position, out var line, out var value))
        {
            var kind = line.Kind;
            lines[count++] = line;
            if (kind == FieldKind.Connection)
            {
                ReadConnection(head, value, ref close, version, named, ref namedCount);
            }
            else if (kind == FieldKind.ContentLength)
            {
                if (!Utf8Parser.TryParse(head[value], out long parsed, out var used) || used != head[value].Length || parsed < 0 || (length >= 0 && length != parsed))
                {
                    throw new UpstreamException(UpstreamFailure.Exchange, "upstream sent an invalid Content-Length");
                }

                length = parsed;
            }
            else if (kind == FieldKind.TransferEncoding)
            {
                chunked = head[value].TrimEnd(" \t"u8) is var codings && codings.Length >= 7 && Ascii.EqualsIgnoreCase(codings[^7..], "chunked"u8);
            }
        }

        var framing = headRequest || status is 204 or 304 || status < 200 ? BodyFraming.None
            : chunked ? BodyFraming.Chunked
            : length >= 0 ? BodyFraming.Length
            : BodyFraming.UntilClose;

        // The kept field lines are copied as the upstream wrote them, in runs between the dropped ones.
        output.Clear();
        var runStart = 0;
        foreach (ref readonly var line in lines[..count])
        {
            var name = head[line.Name];
            var kind = line.Kind;
            if (kind is FieldKind.Connection or FieldKind.HopByHop or FieldKind.Upgrade or FieldKind.Http2Settings
                || (kind == FieldKind.TransferEncoding && framing != BodyFraming.Chunked)
                || IsNamed(head, name, named[..namedCount])
                || (transforms.ChangesResponseHeaders && DirectFields.IsTransformed(name, transforms.RemoveResponseHeaders, transforms.SetResponseHeaders)))
            {
                output.Append(head[runStart..line.Start]);
                runStart = line.End;
            }
            else if (head[line.End - 2] != (byte)'\r')
            {
                // A bare LF (tolerated from the upstream) goes on as CRLF.
                output.Append(head[runStart..(line.End - 1)]);
                output.Append("\r\n"u8);
                runStart = line.End;
            }
        }

        output.Append(head[runStart..(count > 0 ? lines[count - 1].End : fieldsStart)]);
        if (via)
        {
            output.Append(version.Minor == 0 ? "Via: 1.0 outrigger\r\n"u8 : "Via: 1.1 outrigger\r\n"u8);
        }

        if (transforms.ChangesResponseHeaders)
        {
            foreach (var (name, value) in transforms.SetResponseHeaders)
            {
                output.Append(name);
                output.Append(": "u8);
                output.Append(value);
                output.Append("\r\n"u8);
            }
        }

        if (closeClient || framing == BodyFraming.UntilClose)
        {
            output.Append("Connection: close\r\n"u8);
        }

        output.Append("\r\n"u8);
        return new ResponseInfo(status, framing, length, !close);
    }

    private static bool NextField(ReadOnlySpan<byte> head, ref int position, out FieldLine line, out Range value)
    {
        line = default;
        value = default;
        var start = position;
        var text = Http1HeadParser.NextLine(head, ref position);
        if (text.Length == 0)
        {
            return false;
        }

        var colon = text.IndexOf((byte)':');
        if (colon <= 0 || text[0] is (byte)' ' or (byte)'\t')
        {
            throw new UpstreamException(UpstreamFailure.Exchange, "upstream sent a malformed header field");
        }

        var valueStart = colon + 1;
        while (valueStart < text.Length && text[valueStart] is (byte)' ' or (byte)'\t')
        {
            valueStart++;
        }

        var valueEnd = text.Length;
        while (valueEnd > valueStart && text[valueEnd - 1] is (byte)' ' or (byte)'\t')
        {
            valueEnd--;
        }

        line = new FieldLine(start, position, colon, DirectFields.Classify(text[..colon], ""));
        value = new Range(start + valueStart, start + valueEnd);
        return true;
    }

    private static void ReadConnection(ReadOnlySpan<byte> head, Range value, ref bool close, Version version, Span<Range> named, ref int count)
    {
        var (offset, length) = value.GetOffsetAndLength(head.Length);
        var rest = head.Slice(offset, length);
        var position = 0;
        while (position < rest.Length)
        {
            var comma = rest[position..].IndexOf((byte)',');
            var end = comma < 0 ? rest.Length : position + comma;
            var token = rest[position..end];
            var trimmed = token.TrimStart(" \t"u8);
            var start = offset + position + (token.Length - trimmed.Length);
            trimmed = trimmed.TrimEnd(" \t"u8);
            position = end + 1;
            if (Ascii.EqualsIgnoreCase(trimmed, "close"u8))
            {
                close = true;
            }
            else if (Ascii.EqualsIgnoreCase(trimmed, "keep-alive"u8))
            {
                close &= version.Minor != 0;
            }
            else if (trimmed.Length > 0 && count < named.Length)
            {
                named[count++] = new Range(start, start + trimmed.Length);
            }
        }
    }

    private static bool IsNamed(ReadOnlySpan<byte> head, ReadOnlySpan<byte> name, ReadOnlySpan<Range> named)
    {
        foreach (var range in named)
        {
            if (Ascii.EqualsIgnoreCase(head[range], name))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A field line of a head: where it starts, where the next line starts, its name's length, and its kind.</summary>
internal readonly record struct FieldLine(int Start, int End, int NameLength, FieldKind Kind)
{
    public Range Name => new(Start, Start + NameLength);
}
