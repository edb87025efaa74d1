using System.Text;

namespace Outrigger.Proxy.Clusters;

/// <summary>
/// A 64-bit hash that is the same in every process and on every machine (unlike <see cref="HashCode"/>), so that
/// sidecars hashing the same key pick the same endpoint: FNV-1a over UTF-8 with a SplitMix64 finalizer.
/// </summary>
internal static class StableHash
{
    private const ulong Offset = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    public static ulong Of(string text, ulong seed = 0)
    {
        Span<byte> stack = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetMaxByteCount(text.Length) <= stack.Length ? stack[..Encoding.UTF8.GetBytes(text, stack)] : Encoding.UTF8.GetBytes(text);
        return Of(bytes, seed);
    }

    public static ulong Of(ReadOnlySpan<byte> bytes, ulong seed = 0)
    {
        var hash = Offset ^ Mix(seed);
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * Prime;
        }

        return Mix(hash);
    }

    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }
}
