using System.Globalization;

namespace Outrigger.Core.Configuration;

/// <summary>
/// Reads typed values from one mapping of the configuration, recording problems instead of throwing,
/// remembering which keys were read (the rest are reported as unknown) and building the
/// <see cref="ConfigOutline"/> of effective values. A reader over an absent section reads defaults.
/// </summary>
public sealed class ConfigReader
{
    private readonly ConfigMapping? _node;
    private readonly ConfigReadSession _session;
    private readonly ConfigOutline _outline;

    internal ConfigReader(ConfigMapping? node, string path, ConfigReadSession session, ConfigOutline outline)
    {
        _node = node;
        _session = session;
        _outline = outline;
        Path = path;
        if (node is not null)
        {
            session.Track(node, path);
        }
    }

    /// <summary>The key path of this mapping, e.g. <c>proxy.clusters.api</c>; empty at the root.</summary>
    public string Path { get; }

    /// <summary>Whether this section was written (in a file or by an environment variable).</summary>
    public bool IsPresent => _node is not null;

    /// <summary>The keys present in this mapping, in document order.</summary>
    public IReadOnlyList<string> PresentKeys => _node?.Keys ?? [];

    public bool Has(string key) => _node?.Contains(key) == true;

    public string String(string key, string defaultValue, string doc, bool secret = false)
    {
        var raw = Scalar(key, out _);
        var value = raw ?? defaultValue;
        Record(key, doc, new OutlineScalar(value, Quoted: true, secret));
        return value;
    }

    public string? OptionalString(string key, string doc, bool secret = false)
    {
        var value = Scalar(key, out _);
        Record(key, doc, new OutlineScalar(value, Quoted: value is not null, secret));
        return value;
    }

    /// <summary>A string that must be one of <paramref name="allowed"/> (compared ordinally, case-insensitively).</summary>
    public string Choice(string key, string defaultValue, string doc, params string[] allowed)
    {
        var raw = Scalar(key, out var source);
        var value = defaultValue;
        if (raw is not null)
        {
            var match = Array.Find(allowed, a => string.Equals(a, raw, StringComparison.OrdinalIgnoreCase));
            if (match is null)
            {
                Error(key, $"'{raw}' is not one of: {string.Join(", ", allowed)}", source);
            }
            else
            {
                value = match;
            }
        }

        Record(key, $"{doc} One of: {string.Join(", ", allowed)}.", new OutlineScalar(value, Quoted: false));
        return value;
    }

    public int Int(string key, int defaultValue, string doc, int min = int.MinValue, int max = int.MaxValue)
    {
        var value = (int)Long(key, defaultValue, doc, min, max, record: false);
        Record(key, doc, new OutlineScalar(value.ToString(CultureInfo.InvariantCulture), Quoted: false));
        return value;
    }

    public long Long(string key, long defaultValue, string doc, long min = long.MinValue, long max = long.MaxValue) =>
        Long(key, defaultValue, doc, min, max, record: true);

    /// <summary>A TCP port, 1-65535 (or 0 when <paramref name="allowZero"/>, meaning "any free port").</summary>
    public int Port(string key, int defaultValue, string doc, bool allowZero = false)
    {
        var raw = Scalar(key, out var source);
        var value = defaultValue;
        if (raw is not null)
        {
            if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) || value < (allowZero ? 0 : 1) || value > 65535)
            {
                Error(key, $"{raw} is not a valid port ({(allowZero ? 0 : 1)}-65535)", source);
                value = defaultValue;
            }
        }

        Record(key, doc, new OutlineScalar(value.ToString(CultureInfo.InvariantCulture), Quoted: false));
        return value;
    }

    public double Double(string key, double defaultValue, string doc, double min = double.MinValue, double max = double.MaxValue)
    {
        var raw = Scalar(key, out var source);
        var value = defaultValue;
        if (raw is not null)
        {
            if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out value) || double.IsNaN(value))
            {
                Error(key, $"'{raw}' is not a number", source);
                value = defaultValue;
            }
            else if (value < min || value > max)
            {
                Error(key, $"{raw} is out of range ({Format(min)} to {Format(max)})", source);
                value = defaultValue;
            }
        }

        Record(key, doc, new OutlineScalar(value.ToString("R", CultureInfo.InvariantCulture), Quoted: false));
        return value;
    }

    public bool Bool(string key, bool defaultValue, string doc)
    {
        var raw = Scalar(key, out var source);
        var value = defaultValue;
        if (raw is not null)
        {
            switch (raw.ToLowerInvariant())
            {
                case "true" or "yes" or "on" or "1":
                    value = true;
                    break;
                case "false" or "no" or "off" or "0":
                    value = false;
                    break;
                default:
                    Error(key, $"'{raw}' is not a boolean (true or false)", source);
                    break;
            }
        }

        Record(key, doc, new OutlineScalar(value ? "true" : "false", Quoted: false));
        return value;
    }

    /// <summary>A <c>host:port</c> listen or connect address (<c>[v6]:port</c> for IPv6 literals).</summary>
    public string Address(string key, string defaultValue, string doc, bool allowZeroPort = true)
    {
        var raw = Scalar(key, out var source);
        var value = raw ?? defaultValue;
        if (raw is not null)
        {
            if (!HostPort.TryParse(raw, out _, out var port, out var problem))
            {
                Error(key, $"'{raw}' is not a host:port address: {problem}", source);
                value = defaultValue;
            }
            else if (port == 0 && !allowZeroPort)
            {
                Error(key, $"'{raw}' needs a port (1-65535)", source);
                value = defaultValue;
            }
        }

        Record(key, doc, new OutlineScalar(value, Quoted: true));
        return value;
    }

    /// <summary>An absolute URI with one of the given schemes (e.g. <c>http</c>, <c>https</c>).</summary>
    public string Url(string key, string defaultValue, string doc, params string[] schemes)
    {
        var raw = Scalar(key, out var source);
        var value = raw ?? defaultValue;
        if (raw is not null && (!Uri.TryCreate(raw, UriKind.Absolute, out var uri) || Array.IndexOf(schemes, uri.Scheme) < 0))
        {
            Error(key, $"'{raw}' is not a valid URL ({string.Join(" or ", schemes)})", source);
            value = defaultValue;
        }

        Record(key, doc, new OutlineScalar(value, Quoted: true));
        return value;
    }

    /// <summary>A list of strings; a single scalar (for example from an environment variable) may be comma-separated.</summary>
    public IReadOnlyList<string> StringList(string key, string doc, IReadOnlyList<string>? defaultValue = null)
    {
        var node = Node(key);
        var result = new List<string>();
        switch (node)
        {
            case null:
            case ConfigScalar { Value: null }:
                result.AddRange(defaultValue ?? []);
                break;
            case ConfigScalar scalar:
                foreach (var part in scalar.Value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    result.Add(part);
                }

                break;
            case ConfigSequence sequence:
                for (var i = 0; i < sequence.Items.Count; i++)
                {
                    if (sequence.Items[i] is ConfigScalar { Value: { } item })
                    {
                        result.Add(item);
                    }
                    else
                    {
                        _session.Error(new ConfigError($"{Child(key)}[{i}]", "expected a string", sequence.Items[i].Source));
                    }
                }

                break;
            default:
                Error(key, "expected a list of strings", node.Source);
                break;
        }

        var items = new List<OutlineValue>(result.Count);
        foreach (var item in result)
        {
            items.Add(new OutlineScalar(item, Quoted: true));
        }

        Record(key, doc, new OutlineSequence(items));
        return result;
    }

    /// <summary>Marks <paramref name="key"/> (and everything under it) as read without reading it; it is not in the outline.</summary>
    public void Skip(string key) => Node(key);

    /// <summary>A nested mapping. When absent, the returned reader reads defaults (<see cref="IsPresent"/> is false).</summary>
    public ConfigReader Section(string key, string doc)
    {
        var node = Node(key);
        ConfigMapping? mapping = null;
        if (node is ConfigMapping m)
        {
            mapping = m;
        }
        else if (node is not null and not ConfigScalar { Value: null })
        {
            Error(key, "expected a mapping", node.Source);
        }

        var existing = _outline.Find(key);
        if (existing?.Value is OutlineMapping { Outline: var shared })
        {
            return new ConfigReader(mapping, Child(key), _session, shared);
        }

        var outline = new ConfigOutline();
        Record(key, doc, new OutlineMapping(outline));
        return new ConfigReader(mapping, Child(key), _session, outline);
    }

    /// <summary>
    /// A mapping of named entries (clusters, services, …). When empty, <paramref name="read"/> is also run once
    /// on an entry named <paramref name="exampleName"/> so that <c>generate-config</c> shows the shape, commented out.
    /// </summary>
    public IReadOnlyDictionary<string, T> Map<T>(string key, string doc, Func<ConfigReader, string, T> read, string exampleName = "example")
    {
        var node = Node(key);
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        var outline = new ConfigOutline();
        if (node is ConfigMapping mapping && mapping.Keys.Count > 0)
        {
            _session.Track(mapping, Child(key));
            foreach (var name in mapping.Keys)
            {
                _session.Consume(mapping, name);
                var path = $"{Child(key)}.{name}";
                var entryOutline = new ConfigOutline();
                if (mapping[name] is ConfigMapping entry)
                {
                    result[name] = read(new ConfigReader(entry, path, _session, entryOutline), name);
                }
                else if (mapping[name] is ConfigScalar { Value: null })
                {
                    result[name] = read(new ConfigReader(new ConfigMapping(mapping[name]!.Source), path, _session, entryOutline), name);
                }
                else
                {
                    _session.Error(new ConfigError(path, "expected a mapping", mapping[name]!.Source));
                }

                outline.Entries.Add(new OutlineEntry(name, "", new OutlineMapping(entryOutline)));
            }

            Record(key, doc, new OutlineMapping(outline));
            return result;
        }

        if (node is not null and not ConfigScalar { Value: null } and not ConfigMapping)
        {
            Error(key, "expected a mapping of named entries", node.Source);
        }

        var example = new ConfigOutline();
        read(new ConfigReader(null, $"{Child(key)}.{exampleName}", _session.Quiet(), example), exampleName);
        outline.Entries.Add(new OutlineEntry(exampleName, "", new OutlineMapping(example), IsExample: true));
        Record(key, doc, new OutlineMapping(outline));
        return result;
    }

    /// <summary>A list of mappings. When empty, <paramref name="read"/> runs once on an empty item for the outline's example.</summary>
    public IReadOnlyList<T> List<T>(string key, string doc, Func<ConfigReader, T> read)
    {
        var node = Node(key);
        var result = new List<T>();
        var items = new List<OutlineValue>();
        if (node is ConfigSequence sequence && sequence.Items.Count > 0)
        {
            for (var i = 0; i < sequence.Items.Count; i++)
            {
                var path = $"{Child(key)}[{i}]";
                var itemOutline = new ConfigOutline();
                if (sequence.Items[i] is ConfigMapping item)
                {
                    result.Add(read(new ConfigReader(item, path, _session, itemOutline)));
                }
                else
                {
                    _session.Error(new ConfigError(path, "expected a mapping", sequence.Items[i].Source));
                }

                items.Add(new OutlineMapping(itemOutline));
            }

            Record(key, doc, new OutlineSequence(items));
            return result;
        }

        if (node is not null and not ConfigScalar { Value: null } and not ConfigSequence)
        {
            Error(key, "expected a list", node.Source);
        }

        var example = new ConfigOutline();
        read(new ConfigReader(null, $"{Child(key)}[0]", _session.Quiet(), example));
        _outline.Entries.Add(new OutlineEntry(key, doc, new OutlineSequence([new OutlineMapping(example)]), IsExample: true));
        return result;
    }

    /// <summary>Records a problem with the value at <paramref name="key"/> (or with this section when key is empty).</summary>
    public void Error(string key, string message)
    {
        var source = key.Length == 0 ? _node?.Source : Node(key)?.Source;
        Error(key, message, source);
    }

    private void Error(string key, string message, ConfigSource? source) =>
        _session.Error(new ConfigError(key.Length == 0 ? Path : Child(key), message, source ?? _node?.Source ?? ConfigSource.Default));

    private long Long(string key, long defaultValue, string doc, long min, long max, bool record)
    {
        var raw = Scalar(key, out var source);
        var value = defaultValue;
        if (raw is not null)
        {
            if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out value))
            {
                Error(key, $"'{raw}' is not an integer", source);
                value = defaultValue;
            }
            else if (value < min || value > max)
            {
                Error(key, $"{raw} is out of range ({Format(min)}-{Format(max)})", source);
                value = defaultValue;
            }
        }

        if (record)
        {
            Record(key, doc, new OutlineScalar(value.ToString(CultureInfo.InvariantCulture), Quoted: false));
        }

        return value;
    }

    private static string Format(double value) => value switch
    {
        int.MinValue or long.MinValue or double.MinValue => "-∞",
        int.MaxValue or long.MaxValue or double.MaxValue => "∞",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    private ConfigNode? Node(string key)
    {
        if (_node is null)
        {
            return null;
        }

        _session.Consume(_node, key);
        return _node[key];
    }

    private string? Scalar(string key, out ConfigSource source)
    {
        var node = Node(key);
        source = node?.Source ?? ConfigSource.Default;
        switch (node)
        {
            case null:
                return null;
            case ConfigScalar scalar:
                return scalar.Value;
            default:
                Error(key, "expected a single value", node.Source);
                return null;
        }
    }

    private void Record(string key, string doc, OutlineValue value)
    {
        var index = _outline.Entries.FindIndex(e => e.Key == key);
        var entry = new OutlineEntry(key, doc, value);
        if (index >= 0)
        {
            _outline.Entries[index] = entry;
        }
        else
        {
            _outline.Entries.Add(entry);
        }
    }

    private string Child(string key) => Path.Length == 0 ? key : $"{Path}.{key}";
}
