using System.Text;

namespace Outrigger.Grpc.Protocol;

/// <summary>The percent-encoding of <c>grpc-message</c>: UTF-8 bytes outside 0x20-0x7E, and '%', become %XX.</summary>
internal static class PercentEncoding
{
    public static string Encode(string value)
    {
        if (!NeedsEncoding(value))
        {
            return value;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        var builder = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
            }
        }

        return builder.ToString();
    }

    /// <summary>Decodes %XX sequences; malformed sequences are kept as they are (the spec asks receivers to be lenient).</summary>
    public static string Decode(string value)
    {
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }

        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length && TryHex(value[i + 1], out var hi) && TryHex(value[i + 2], out var lo))
            {
                bytes.Add((byte)((hi << 4) | lo));
                i += 2;
            }
            else
            {
                AppendUtf8(bytes, value[i]);
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool NeedsEncoding(string value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' or > '~' or '%')
            {
                return true;
            }
        }

        return false;
    }

    private static void AppendUtf8(List<byte> bytes, char c)
    {
        if (c < 0x80)
        {
            bytes.Add((byte)c);
            return;
        }

        bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);

    private static bool TryHex(char c, out int value)
    {
        value = c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
