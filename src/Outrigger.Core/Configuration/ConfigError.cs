namespace Outrigger.Core.Configuration;

/// <summary>One problem in the configuration: the key path, what is wrong, and where it was written.</summary>
public sealed record ConfigError(string Path, string Message, ConfigSource Source)
{
    public override string ToString()
    {
        var at = Source.Origin == ConfigSource.Default.Origin ? "" : $" ({Source})";
        return Path.Length == 0 ? $"{Message}{at}" : $"{Path}: {Message}{at}";
    }
}

/// <summary>Thrown when the configuration has one or more errors; the message lists them all, one per line.</summary>
public sealed class ConfigException(IReadOnlyList<ConfigError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
