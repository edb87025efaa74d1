namespace Outrigger.Workflows.Tests.Infrastructure;

/// <summary><c>--key value</c> pairs of a helper process.</summary>
internal static class Args
{
    public static string Get(string[] args, string key, string? fallback = null)
    {
        var index = Array.IndexOf(args, "--" + key);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback ?? throw new ArgumentException($"--{key} is required");
    }
}
