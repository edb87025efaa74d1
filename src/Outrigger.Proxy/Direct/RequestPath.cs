using System.Text;

namespace Outrigger.Proxy.Direct;

/// <summary>
/// The path a route sees when the request's path has percent-encoded or dot segments, as Kestrel makes it: escapes
/// decoded (except <c>%2F</c>, which would turn into a segment separator), the result read as UTF-8, then dot segments
/// removed (RFC 3986 §5.2.4).
/// </summary>
internal static class RequestPath
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The decoded, normalised path; null when its escapes do not decode to UTF-8.</summary>
    public static string? Normalize(ReadOnlySpan<byte> path)
    {
        var decoded = new byte[path.Length];
        var length = 0;
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == (byte)'%' && i + 2 < path.Length && HexValue(path[i + 1]) is var high and >= 0 && HexValue(path[i + 2]) is var low and >= 0
                && (high << 4 | low) is var value && value != '/')
            {
                decoded[length++] = (byte)value;
                i += 2;
            }
            else
            {
                decoded[length++] = path[i];
            }
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(decoded, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        return RemoveDotSegments(text);
    }

    /// <summary>RFC 3986 §5.2.4 for an absolute path: <c>/a/./b/../c</c> is <c>/a/c</c>; the result starts with <c>/</c>.</summary>
    public static string RemoveDotSegments(string path)
    {
        var output = new StringBuilder(path.Length);
        var input = path.AsSpan();
        while (input.Length > 0)
        {
            if (input.StartsWith("/./") || input.SequenceEqual("/."))
            {
                input = input.Length == 2 ? "/" : input[2..];
            }
            else if (input.StartsWith("/../") || input.SequenceEqual("/.."))
            {
                input = input.Length == 3 ? "/" : input[3..];
                var last = output.ToString().LastIndexOf('/');
                output.Length = Math.Max(last, 0);
            }
            else
            {
                var next = input[1..].IndexOf('/');
                var segment = next < 0 ? input : input[..(next + 1)];
                output.Append(segment);
                input = input[segment.Length..];
            }
        }

        return output.Length == 0 ? "/" : output.ToString();
    }

    private static int HexValue(byte digit) => digit switch
    {
        >= (byte)'0' and <= (byte)'9' => digit - '0',
        >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => digit - 'A' + 10,
        _ => -1,
    };
}
