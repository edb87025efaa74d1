using System.Buffers.Text;

namespace Outrigger.Grpc.Protocol;

/// <summary>Metadata as HTTP/2 header fields: <c>-bin</c> values are base64 (sent unpadded, read padded or not).</summary>
internal static class MetadataCodec
{
    public static string EncodeValue(Metadata.Entry entry) =>
        entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes).TrimEnd('=') : entry.Value;

    /// <summary>Adds header <paramref name="name"/> to <paramref name="metadata"/> unless reserved; a bad value is skipped, not fatal.</summary>
    public static void AddHeader(Metadata metadata, string name, string? value)
    {
        if (value is null || GrpcProtocol.IsReservedHeader(name))
        {
            return;
        }

        try
        {
            if (name.EndsWith(Metadata.BinaryHeaderSuffix, StringComparison.OrdinalIgnoreCase))
            {
                // Several values of one -bin key may arrive joined by commas.
                foreach (var part in value.Split(','))
                {
                    metadata.Add(name, DecodeBase64(part.Trim()));
                }
            }
            else
            {
                metadata.Add(name, value);
            }
        }
        catch (FormatException)
        {
            // A malformed -bin value: drop this entry, keep the call.
        }
        catch (ArgumentException)
        {
            // An invalid key or value from the peer: drop this entry, keep the call.
        }
    }

    public static byte[] DecodeBase64(string value)
    {
        var padding = (4 - value.Length % 4) % 4;
        if (padding == 3)
        {
            throw new FormatException("Invalid base64 length.");
        }

        var padded = padding == 0 ? value : value + new string('=', padding);
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(padded.Length)];
        if (!Convert.TryFromBase64String(padded, bytes, out var written))
        {
            throw new FormatException("Invalid base64 value.");
        }

        return written == bytes.Length ? bytes : bytes.AsSpan(0, written).ToArray();
    }
}
