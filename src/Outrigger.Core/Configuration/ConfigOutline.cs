namespace Outrigger.Core.Configuration;

/// <summary>
/// The effective configuration as read: every key a module asked for, its value (or default) and its
/// documentation. Rendered as commented YAML by <c>generate-config</c> and as JSON by the admin <c>/config</c>.
/// </summary>
public sealed class ConfigOutline
{
    public List<OutlineEntry> Entries { get; } = [];

    internal OutlineEntry? Find(string key)
    {
        foreach (var entry in Entries)
        {
            if (entry.Key == key)
            {
                return entry;
            }
        }

        return null;
    }
}

/// <summary>One key of an outline. <see cref="IsExample"/> marks a shape example that is rendered commented out.</summary>
public sealed record OutlineEntry(string Key, string Doc, OutlineValue Value, bool IsExample = false);

public abstract record OutlineValue;

/// <summary>A scalar; <see cref="Text"/> is already rendered, <see cref="Quoted"/> says whether it is a string.</summary>
public sealed record OutlineScalar(string? Text, bool Quoted, bool Secret = false) : OutlineValue;

public sealed record OutlineMapping(ConfigOutline Outline) : OutlineValue;

public sealed record OutlineSequence(List<OutlineValue> Items) : OutlineValue;
