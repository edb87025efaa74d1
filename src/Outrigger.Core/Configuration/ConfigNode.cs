namespace Outrigger.Core.Configuration;

/// <summary>A node of the configuration tree, remembering where its value came from.</summary>
public abstract class ConfigNode
{
    protected ConfigNode(ConfigSource source) => Source = source;

    /// <summary>Where the node was written: a file position or an environment variable.</summary>
    public ConfigSource Source { get; }
}

/// <summary>A scalar value; <see cref="Value"/> is null for YAML's <c>null</c> / <c>~</c> / empty.</summary>
public sealed class ConfigScalar(string? value, ConfigSource source) : ConfigNode(source)
{
    public string? Value { get; } = value;
}

/// <summary>A sequence of nodes.</summary>
public sealed class ConfigSequence(ConfigSource source) : ConfigNode(source)
{
    public List<ConfigNode> Items { get; } = [];
}

/// <summary>A mapping from keys to nodes, in document order.</summary>
public sealed class ConfigMapping(ConfigSource source) : ConfigNode(source)
{
    private readonly Dictionary<string, ConfigNode> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly Dictionary<string, ConfigSource> _keySources = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Keys => _order;

    public ConfigNode? this[string key] => _entries.GetValueOrDefault(key);

    public bool Contains(string key) => _entries.ContainsKey(key);

    /// <summary>Where <paramref name="key"/> itself was written (falls back to its value's position).</summary>
    public ConfigSource KeySource(string key) => _keySources.TryGetValue(key, out var source) ? source : _entries[key].Source;

    /// <summary>Adds or replaces an entry; a replaced entry keeps its position.</summary>
    public void Set(string key, ConfigNode value, ConfigSource? keySource = null)
    {
        if (keySource is { } source)
        {
            _keySources[key] = source;
        }

        if (!_entries.ContainsKey(key))
        {
            _order.Add(key);
        }

        _entries[key] = value;
    }
}

/// <summary>The origin of a configuration value, used in error messages.</summary>
public readonly record struct ConfigSource(string Origin, int Line = 0, int Column = 0)
{
    public static ConfigSource Default { get; } = new("defaults");

    public static ConfigSource Environment(string variable) => new($"environment variable {variable}");

    public override string ToString() => Line > 0 ? $"{Origin}:{Line}:{Column}" : Origin;
}
