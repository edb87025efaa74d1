using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Outrigger.Core.Configuration;

/// <summary>Parses a YAML document into a <see cref="ConfigMapping"/> that keeps line and column of every node.</summary>
public static class YamlConfigParser
{
    /// <summary>Parses <paramref name="text"/>; throws <see cref="ConfigException"/> on a syntax error.</summary>
    public static ConfigMapping Parse(string text, string origin)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            var message = e.InnerException is YamlException inner ? inner.Message : e.Message;
            throw new ConfigException([new ConfigError("", $"YAML syntax error: {message}", new ConfigSource(origin, (int)e.Start.Line, (int)e.Start.Column))]);
        }

        if (stream.Documents.Count == 0)
        {
            return new ConfigMapping(new ConfigSource(origin, 1, 1));
        }

        if (stream.Documents.Count > 1)
        {
            throw new ConfigException([new ConfigError("", "expected one YAML document, found " + stream.Documents.Count, new ConfigSource(origin, 1, 1))]);
        }

        var root = Convert(stream.Documents[0].RootNode, origin);
        return root switch
        {
            ConfigMapping mapping => mapping,
            ConfigScalar { Value: null } => new ConfigMapping(root.Source),
            _ => throw new ConfigException([new ConfigError("", "the configuration document must be a mapping of sections", root.Source)]),
        };
    }

    private static ConfigNode Convert(YamlNode node, string origin)
    {
        var source = new ConfigSource(origin, (int)node.Start.Line, (int)node.Start.Column);
        switch (node)
        {
            case YamlScalarNode scalar:
                var isNull = scalar.Style == ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";
                return new ConfigScalar(isNull ? null : scalar.Value, source);
            case YamlSequenceNode sequence:
                var list = new ConfigSequence(source);
                foreach (var item in sequence.Children)
                {
                    list.Items.Add(Convert(item, origin));
                }

                return list;
            case YamlMappingNode mapping:
                var map = new ConfigMapping(source);
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is not YamlScalarNode { Value: { } name })
                    {
                        throw new ConfigException([new ConfigError("", "mapping keys must be plain scalars", new ConfigSource(origin, (int)key.Start.Line, (int)key.Start.Column))]);
                    }

                    if (map.Contains(name))
                    {
                        throw new ConfigException([new ConfigError(name, "duplicate key", new ConfigSource(origin, (int)key.Start.Line, (int)key.Start.Column))]);
                    }

                    map.Set(name, Convert(value, origin), new ConfigSource(origin, (int)key.Start.Line, (int)key.Start.Column));
                }

                return map;
            default:
                throw new ConfigException([new ConfigError("", $"unsupported YAML node {node.NodeType}", source)]);
        }
    }
}
