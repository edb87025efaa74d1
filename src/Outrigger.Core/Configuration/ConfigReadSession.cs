namespace Outrigger.Core.Configuration;

/// <summary>
/// One pass of reading a configuration document: collects every error, remembers which keys of which
/// mappings were read, and reports the rest as unknown at the end.
/// </summary>
public sealed class ConfigReadSession
{
    private readonly List<ConfigError> _errors = [];
    private readonly Dictionary<ConfigMapping, TrackedMapping> _tracked = new(ReferenceEqualityComparer.Instance);
    private readonly bool _quiet;

    private ConfigReadSession(bool quiet) => _quiet = quiet;

    public ConfigReadSession()
        : this(quiet: false)
    {
    }

    public IReadOnlyList<ConfigError> Errors => _errors;

    /// <summary>A reader over <paramref name="root"/> whose effective values go to <paramref name="outline"/>.</summary>
    public ConfigReader Root(ConfigMapping root, ConfigOutline outline) => new(root, "", this, outline);

    /// <summary>Adds an "unknown key" error for every key that no reader asked for, with a suggestion when one is close.</summary>
    public void ReportUnknownKeys()
    {
        foreach (var (mapping, tracked) in _tracked)
        {
            foreach (var key in mapping.Keys)
            {
                if (tracked.Read.Contains(key))
                {
                    continue;
                }

                var path = tracked.Path.Length == 0 ? key : $"{tracked.Path}.{key}";
                var suggestion = Closest(key, tracked.Read);
                var message = suggestion is null ? "unknown key" : $"unknown key (did you mean '{suggestion}'?)";
                Error(new ConfigError(path, message, mapping.KeySource(key)));
            }
        }
    }

    /// <summary>Throws a <see cref="ConfigException"/> listing every error, if there are any.</summary>
    public void ThrowIfErrors()
    {
        if (_errors.Count > 0)
        {
            throw new ConfigException([.. _errors]);
        }
    }

    internal void Error(ConfigError error)
    {
        if (!_quiet)
        {
            _errors.Add(error);
        }
    }

    internal ConfigReadSession Quiet() => new(quiet: true);

    internal void Track(ConfigMapping mapping, string path)
    {
        if (!_quiet && !_tracked.ContainsKey(mapping))
        {
            _tracked[mapping] = new TrackedMapping(path);
        }
    }

    internal void Consume(ConfigMapping mapping, string key)
    {
        if (_tracked.TryGetValue(mapping, out var tracked))
        {
            tracked.Read.Add(key);
        }
    }


    private static string? Closest(string key, HashSet<string> candidates)
    {
        string? best = null;
        var bestDistance = Math.Max(2, key.Length / 3) + 1;
        foreach (var candidate in candidates)
        {
            var distance = Distance(Normalize(key), Normalize(candidate));
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    private static string Normalize(string key) => key.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private sealed class TrackedMapping(string path)
    {
        public string Path { get; } = path;

        public HashSet<string> Read { get; } = new(StringComparer.Ordinal);
    }
}
