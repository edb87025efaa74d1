using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Outrigger.Proxy.Forwarding;

/// <summary>
/// Request ids for requests that arrive without one: 32 lowercase hex characters (the shape of a GUID's "N" format), a
/// random 64-bit prefix chosen once per process followed by a 64-bit counter. Unique within the process and, by the
/// prefix, across processes; not secret. <see cref="Guid.NewGuid"/> costs a read of the kernel's random device per call.
/// </summary>
internal static class RequestIds
{
    private static readonly string Prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    private static readonly byte[] PrefixBytes = System.Text.Encoding.ASCII.GetBytes(Prefix);
    private static long _counter;

    public const int Length = 32;

    public static string Next() => string.Create(32, Interlocked.Increment(ref _counter), static (span, n) =>
    {
        Prefix.CopyTo(span);
        n.TryFormat(span[16..], out _, "x16");
    });

    /// <summary>Writes the next id as ASCII into <paramref name="destination"/> (at least <see cref="Length"/> bytes).</summary>
    public static void Next(Span<byte> destination)
    {
        PrefixBytes.CopyTo(destination);
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, Interlocked.Increment(ref _counter));
        Convert.TryToHexStringLower(counter, destination[16..], out _);
    }
}
