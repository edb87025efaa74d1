namespace Outrigger.Grpc.Protocol;

internal static class MetadataValidation
{
    public static string NormalizeKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var lower = key.ToLowerInvariant();
        foreach (var c in lower)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.'))
            {
                throw new ArgumentException($"Metadata key '{key}' has character '{c}'; keys use only 0-9, a-z, '-', '_' and '.'.", nameof(key));
            }
        }

        return lower;
    }

    public static string CheckAsciiValue(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                throw new ArgumentException($"Metadata value of '{key}' has a non-printable or non-ASCII character (0x{(int)c:x2}); use a '-bin' key for bytes.", nameof(value));
            }
        }

        return value;
    }
}
