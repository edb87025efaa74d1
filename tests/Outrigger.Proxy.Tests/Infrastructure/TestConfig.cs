using Outrigger.Core.Configuration;
using Outrigger.Proxy.Configuration;

namespace Outrigger.Proxy.Tests.Infrastructure;

/// <summary>Reads proxy options from YAML the way the host does: file, read, unknown keys, errors.</summary>
internal static class TestConfig
{
    public static ProxyOptions Read(string yaml) => Read(yaml, out var errors) ?? throw new ConfigException([.. errors]);

    public static ProxyOptions? Read(string yaml, out IReadOnlyList<ConfigError> errors)
    {
        var root = YamlConfigParser.Parse(yaml, "test.yaml");
        var session = new ConfigReadSession();
        var reader = session.Root(root, new ConfigOutline());
        reader.Section("proxy", "").Bool("enabled", true, "");
        var options = ProxyOptionsReader.Read(reader);
        session.ReportUnknownKeys();
        errors = session.Errors;
        return errors.Count == 0 ? options : null;
    }
}
