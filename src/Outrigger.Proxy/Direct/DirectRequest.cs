using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Routing;

namespace Outrigger.Proxy.Direct;

/// <summary>
/// A request head parsed in place from the connection's buffer: offsets of the request line's parts and of each field,
/// the framing, and what the proxy must treat specially. Parsing is strict: whatever is not plainly valid HTTP/1.1 in
/// origin form is <see cref="HeadParse.Unsupported"/>, and the connection goes to Kestrel, which answers it as it
/// always did (400, 414, 431, …). One instance per connection, reused for each request on it.
/// </summary>
internal sealed class DirectRequest : IRouteRequest
{
    private static readonly SearchValues<byte> TokenBytes =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    private static readonly SearchValues<byte> HostBytes =
        SearchValues.Create("-.:[]_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    private Field[] _fields = new Field[32];
    private byte[] _buffer = [];
    private string? _path;
    private string? _host;
    private int _connectionTokenCount;
    private readonly (int Start, int Length)[] _connectionTokens = new (int, int)[4];

    /// <param name="http2">
    /// The head was made from an HTTP/2 stream, which cannot be handed to Kestrel: percent-encoded and dot segments in
    /// the path are accepted, and routed on decoded and normalised as Kestrel would (otherwise such a request is
    /// <see cref="HeadParse.Unsupported"/>); Via names protocol version 2.
    /// </param>
    public DirectRequest(bool http2 = false) => Http2 = http2;

    public bool Http2 { get; }

    public string Method { get; private set; } = "";

    public int HeadLength { get; private set; }

    public int TargetStart { get; private set; }

    public int TargetLength { get; private set; }

    /// <summary>Length of the target's path part (before <c>?</c>).</summary>
    public int PathLength { get; private set; }

    public int FieldCount { get; private set; }

    /// <summary>The body's length; -1 when chunked, 0 when there is none.</summary>
    public long ContentLength { get; private set; }

    public bool Chunked => ContentLength < 0;

    /// <summary>The client asked to close the connection after this exchange.</summary>
    public bool Close { get; private set; }

    public int HostField { get; private set; }

    public int RequestIdField { get; private set; }

    public int TraceParentField { get; private set; }

    public ReadOnlySpan<byte> Buffer => _buffer;

    public ref readonly Field this[int index] => ref _fields[index];

    public string Host => _host ??= HostField < 0 ? "" : Encoding.ASCII.GetString(Value(HostField));

    public string Path => _path ??= Encoding.ASCII.GetString(_buffer, TargetStart, PathLength);

    public ReadOnlySpan<byte> Target => _buffer.AsSpan(TargetStart, TargetLength);

    public ReadOnlySpan<byte> Name(int field) => _buffer.AsSpan(_fields[field].NameStart, _fields[field].NameLength);

    public ReadOnlySpan<byte> Value(int field) => _buffer.AsSpan(_fields[field].ValueStart, _fields[field].ValueLength);

    public string? Header(string name)
    {
        string? joined = null;
        for (var i = 0; i < FieldCount; i++)
        {
            if (Ascii.EqualsIgnoreCase(Name(i), name))
            {
                var value = Encoding.ASCII.GetString(Value(i));
                joined = joined is null ? value : joined + ", " + value;
            }
        }

        return joined;
    }

    public string? Query(string name)
    {
        var query = _buffer.AsSpan(TargetStart + PathLength, TargetLength - PathLength);
        return query.Length <= 1 ? null : QueryHelpers(query, name);
    }

    /// <summary>Whether <paramref name="field"/> was named in the request's Connection header (and so is hop-by-hop).</summary>
    public bool NamedInConnection(int field)
    {
        for (var i = 0; i < _connectionTokenCount; i++)
        {
            var (start, length) = _connectionTokens[i];
            if (Ascii.EqualsIgnoreCase(Name(field), _buffer.AsSpan(start, length)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Parses the head at the start of <paramref name="buffer"/>[..<paramref name="length"/>]. <paramref name="scanned"/>
    /// carries the search for the head's end across calls as more bytes arrive.
    /// </summary>
    public HeadParse TryParse(byte[] buffer, int length, ref int scanned, in DirectLimits limits)
    {
        var data = buffer.AsSpan(0, length);
        var end = FindEnd(data, ref scanned);
        if (end < 0)
        {
            // Over a limit already: Kestrel answers it (414 or 431) without waiting for the rest.
            var lineEnd = data.IndexOf("\r\n"u8);
            var over = lineEnd < 0 ? length > limits.MaxRequestLineBytes : length - lineEnd - 2 > limits.MaxHeaderBytes;
            return over ? HeadParse.Unsupported : HeadParse.Incomplete;
        }

        if (end > limits.MaxHeadBytes)
        {
            return HeadParse.Unsupported;
        }

        _buffer = buffer;
        _path = null;
        _host = null;
        HeadLength = end;
        return Parse(data[..end], limits) ? HeadParse.Complete : HeadParse.Unsupported;
    }

    private bool Parse(ReadOnlySpan<byte> head, in DirectLimits limits)
    {
        FieldCount = 0;
        ContentLength = 0;
        Close = false;
        HostField = RequestIdField = TraceParentField = -1;
        _connectionTokenCount = 0;
        var lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd < 0 || lineEnd > limits.MaxRequestLineBytes || head.Length - lineEnd - 2 > limits.MaxHeaderBytes || !ParseRequestLine(head[..lineEnd]))
        {
            return false;
        }

        var position = lineEnd + 2;
        var framing = Framing.None;
        while (true)
        {
            var rest = head[position..];
            var eol = rest.IndexOf("\r\n"u8);
            if (eol == 0)
            {
                break;
            }

            if (eol < 0 || FieldCount == limits.MaxHeaders || !ParseField(rest[..eol], position, limits.RequestIdHeader, ref framing))
            {
                return false;
            }

            position += eol + 2;
        }

        // HTTP/1.1 needs exactly one Host (RFC 9112 §3.2); Kestrel answers the others.
        return HostField >= 0 && (ContentLength >= 0 || limits.MaxBodyBytes == 0)
            && (limits.MaxBodyBytes == 0 || ContentLength <= limits.MaxBodyBytes);
    }

    private bool ParseRequestLine(ReadOnlySpan<byte> line)
    {
        var space = line.IndexOf((byte)' ');
        if (space <= 0 || line[..space].IndexOfAnyExcept(TokenBytes) >= 0)
        {
            return false;
        }

        var target = line[(space + 1)..];
        var space2 = target.IndexOf((byte)' ');
        if (space2 <= 0 || target[0] != (byte)'/' || !target[(space2 + 1)..].SequenceEqual("HTTP/1.1"u8))
        {
            return false;
        }

        target = target[..space2];
        if (target.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0)
        {
            return false;
        }

        var query = target.IndexOf((byte)'?');
        var path = query < 0 ? target : target[..query];

        // Percent-encoded or dot segments: Kestrel decodes and normalises those, and route matching must see the same path.
        if (path.IndexOf((byte)'%') >= 0 || path.IndexOf("/."u8) >= 0)
        {
            if (!Http2 || RequestPath.Normalize(path) is not { } normalized)
            {
                return false;
            }

            _path = normalized;
        }

        Method = KnownMethod(line[..space]);
        TargetStart = space + 1;
        TargetLength = space2;
        PathLength = path.Length;
        return true;
    }

    private bool ParseField(ReadOnlySpan<byte> line, int offset, string requestIdHeader, ref Framing framing)
    {
        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || line[..colon].IndexOfAnyExcept(TokenBytes) >= 0)
        {
            return false;
        }

        var valueStart = colon + 1;
        while (valueStart < line.Length && (line[valueStart] == (byte)' ' || line[valueStart] == (byte)'\t'))
        {
            valueStart++;
        }

        var valueEnd = line.Length;
        while (valueEnd > valueStart && (line[valueEnd - 1] == (byte)' ' || line[valueEnd - 1] == (byte)'\t'))
        {
            valueEnd--;
        }

        var value = line[valueStart..valueEnd];
        if (value.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) >= 0 && HasInvalid(value))
        {
            return false;
        }

        var index = FieldCount;
        if (index == _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
        }

        var name = line[..colon];
        var kind = DirectFields.Classify(name, requestIdHeader);
        _fields[index] = new Field(offset, colon, offset + valueStart, valueEnd - valueStart, kind);
        FieldCount++;
        return Interpret(kind, index, value, offset + valueStart, ref framing);
    }

    private bool Interpret(FieldKind kind, int index, ReadOnlySpan<byte> value, int valueOffset, ref Framing framing)
    {
        switch (kind)
        {
            case FieldKind.Host:
                if (HostField >= 0 || value.IndexOfAnyExcept(HostBytes) >= 0)
                {
                    return false;
                }

                HostField = index;
                return true;
            case FieldKind.ContentLength:
                if (framing != Framing.None || value.Length is 0 or > 18 || value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0
                    || !Utf8Parser.TryParse(value, out long length, out _))
                {
                    return false;
                }

                framing = Framing.Length;
                ContentLength = length;
                return true;
            case FieldKind.TransferEncoding:
                if (framing != Framing.None || !Ascii.EqualsIgnoreCase(value, "chunked"u8))
                {
                    return false;
                }

                framing = Framing.Chunked;
                ContentLength = -1;
                return true;
            case FieldKind.Connection:
                return ParseConnection(value, valueOffset);
            case FieldKind.Upgrade or FieldKind.Expect or FieldKind.Http2Settings:
                return false; // upgrades, 100-continue and h2c upgrades are Kestrel's
            case FieldKind.RequestId:
                RequestIdField = index;
                return true;
            case FieldKind.TraceParent:
                TraceParentField = index;
                return true;
            default:
                return true;
        }
    }

    private bool ParseConnection(ReadOnlySpan<byte> value, int valueOffset)
    {
        var position = 0;
        while (position < value.Length)
        {
            var rest = value[position..];
            var comma = rest.IndexOf((byte)',');
            var token = comma < 0 ? rest : rest[..comma];
            var start = position;
            position += comma < 0 ? rest.Length : comma + 1;
            var trimmedStart = token.Length - token.TrimStart(" \t"u8).Length;
            token = token.Trim(" \t"u8);
            if (token.Length == 0 || Ascii.EqualsIgnoreCase(token, "keep-alive"u8))
            {
                continue;
            }

            if (Ascii.EqualsIgnoreCase(token, "close"u8))
            {
                Close = true;
            }
            else if (Ascii.EqualsIgnoreCase(token, "upgrade"u8) || _connectionTokenCount == _connectionTokens.Length)
            {
                return false;
            }
            else
            {
                _connectionTokens[_connectionTokenCount++] = (valueOffset + start + trimmedStart, token.Length);
            }
        }

        return true;
    }

    private static bool HasInvalid(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b is < 0x20 and not (byte)'\t' or >= 0x7F)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The end of the head (after its empty line), or -1. Only CRLF line ends count; a bare LF is Kestrel's to judge.</summary>
    private static int FindEnd(ReadOnlySpan<byte> data, ref int scanned)
    {
        var start = Math.Max(0, scanned - 3);
        var found = data[start..].IndexOf("\r\n\r\n"u8);
        if (found < 0)
        {
            scanned = data.Length;
            return -1;
        }

        return start + found + 4;
    }

    private static string KnownMethod(ReadOnlySpan<byte> method) => method switch
    {
        _ when method.SequenceEqual("GET"u8) => HttpMethods.Get,
        _ when method.SequenceEqual("POST"u8) => HttpMethods.Post,
        _ when method.SequenceEqual("PUT"u8) => HttpMethods.Put,
        _ when method.SequenceEqual("DELETE"u8) => HttpMethods.Delete,
        _ when method.SequenceEqual("HEAD"u8) => HttpMethods.Head,
        _ when method.SequenceEqual("PATCH"u8) => HttpMethods.Patch,
        _ when method.SequenceEqual("OPTIONS"u8) => HttpMethods.Options,
        _ => Encoding.ASCII.GetString(method),
    };

    private static string? QueryHelpers(ReadOnlySpan<byte> query, string name)
    {
        var parsed = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseNullableQuery(Encoding.ASCII.GetString(query));
        return parsed is not null && parsed.TryGetValue(name, out var value) ? value.ToString() : null;
    }

    private enum Framing
    {
        None,
        Length,
        Chunked,
    }

    /// <summary>One header field: where its name and value are in the buffer, and what it is to the proxy.</summary>
    internal readonly record struct Field(int NameStart, int NameLength, int ValueStart, int ValueLength, FieldKind Kind);
}

internal enum HeadParse
{
    Incomplete,
    Complete,
    Unsupported,
}
