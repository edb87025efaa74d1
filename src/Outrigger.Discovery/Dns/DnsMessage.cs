using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Outrigger.Discovery.Dns;

/// <summary>Builds DNS queries and reads the A/AAAA records (and their TTLs) from answers (RFC 1035 §4, RFC 3596).</summary>
internal static class DnsMessage
{
    public const ushort TypeA = 1;
    public const ushort TypeAaaa = 28;
    private const ushort TypeCname = 5;

    public static byte[] Query(ushort id, string name, ushort type)
    {
        var buffer = new List<byte>(32 + name.Length);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], 0x0100); // standard query, recursion desired
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], 1);
        buffer.AddRange(header);
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            var bytes = Encoding.ASCII.GetBytes(label);
            if (bytes.Length is 0 or > 63)
            {
                throw new DnsException($"'{name}' is not a valid DNS name");
            }

            buffer.Add((byte)bytes.Length);
            buffer.AddRange(bytes);
        }

        buffer.Add(0);
        buffer.Add((byte)(type >> 8));
        buffer.Add((byte)type);
        buffer.Add(0);
        buffer.Add(1);
        return [.. buffer];
    }

    /// <summary>The parsed answer: response code, truncation, addresses and the smallest TTL of the records used.</summary>
    public sealed record Answer(int ResponseCode, bool Truncated, List<IPAddress> Addresses, TimeSpan? Ttl);

    public static Answer Parse(ReadOnlySpan<byte> message, ushort expectedId)
    {
        if (message.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(message) != expectedId)
        {
            throw new DnsException("malformed or mismatched DNS answer");
        }

        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var offset = 12;
        for (var i = 0; i < questions; i++)
        {
            offset = SkipName(message, offset) + 4;
        }

        var addresses = new List<IPAddress>();
        uint? ttl = null;
        for (var i = 0; i < answers; i++)
        {
            offset = SkipName(message, offset);
            Ensure(message, offset + 10);
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var recordTtl = BinaryPrimitives.ReadUInt32BigEndian(message[(offset + 4)..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            offset += 10;
            Ensure(message, offset + length);
            if ((type == TypeA && length == 4) || (type == TypeAaaa && length == 16))
            {
                addresses.Add(new IPAddress(message.Slice(offset, length)));
            }

            if (type is TypeA or TypeAaaa or TypeCname)
            {
                ttl = Math.Min(ttl ?? uint.MaxValue, recordTtl);
            }

            offset += length;
        }

        return new Answer(flags & 0x000F, (flags & 0x0200) != 0, addresses, ttl is { } t ? TimeSpan.FromSeconds(t) : null);
    }

    private static int SkipName(ReadOnlySpan<byte> message, int offset)
    {
        while (true)
        {
            Ensure(message, offset + 1);
            var length = message[offset];
            if (length == 0)
            {
                return offset + 1;
            }

            if ((length & 0xC0) == 0xC0)
            {
                return offset + 2; // compression pointer ends the name
            }

            offset += length + 1;
        }
    }

    private static void Ensure(ReadOnlySpan<byte> message, int length)
    {
        if (message.Length < length)
        {
            throw new DnsException("truncated DNS answer");
        }
    }
}
