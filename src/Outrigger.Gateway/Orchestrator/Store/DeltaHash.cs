using System.Buffers.Binary;
using System.Security.Cryptography;
using Knhk.Sidecar.V1;

namespace Outrigger.Gateway.Orchestrator.Store;

/// <summary>
/// The receipt's <c>a_hash</c>: the first 8 bytes (little-endian) of SHA-256 over the canonical delta — the distinct
/// removals, then the distinct additions, each sorted, each quad written as op ('R' or 'A'), s, p, o (u64 LE),
/// has-graph (1 byte) and g (u64 LE, 0 when absent). Independent of the order and repetition of the triples as sent.
/// </summary>
internal static class DeltaHash
{
    private const int QuadBytes = 1 + 8 + 8 + 8 + 1 + 8;

    public static ulong Compute(Transaction transaction)
    {
        var removals = Canonical(transaction.Removals);
        var additions = Canonical(transaction.Additions);
        var buffer = new byte[(removals.Length + additions.Length) * QuadBytes];
        var offset = Write(buffer, 0, (byte)'R', removals);
        Write(buffer, offset, (byte)'A', additions);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(buffer, digest);
        return BinaryPrimitives.ReadUInt64LittleEndian(digest);
    }

    private static Quad[] Canonical(IEnumerable<Triple> triples)
    {
        var set = new SortedSet<Quad>();
        foreach (var triple in triples)
        {
            set.Add(Quad.From(triple));
        }

        return [.. set];
    }

    private static int Write(byte[] buffer, int offset, byte op, Quad[] quads)
    {
        foreach (var q in quads)
        {
            var span = buffer.AsSpan(offset, QuadBytes);
            span[0] = op;
            BinaryPrimitives.WriteUInt64LittleEndian(span[1..], q.S);
            BinaryPrimitives.WriteUInt64LittleEndian(span[9..], q.P);
            BinaryPrimitives.WriteUInt64LittleEndian(span[17..], q.O);
            span[25] = q.HasGraph ? (byte)1 : (byte)0;
            BinaryPrimitives.WriteUInt64LittleEndian(span[26..], q.G);
            offset += QuadBytes;
        }

        return offset;
    }
}
