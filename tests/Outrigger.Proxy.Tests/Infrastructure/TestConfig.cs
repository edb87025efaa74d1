using Outrigger.Core.Configuration;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Reload;

namespace Outrigger.Proxy.Tests.Infrastructure;

/// <summary>Reads proxy options from YAML the way a reload does (file, read, unknown keys, errors), without the environment.</summary>
internal static class TestConfig
{
    public static ProxyOptions Read(string yaml) => Read(yaml, out var errors) ?? throw new ConfigException([.. errors]);

    public static ProxyOptions? Read(string yaml, out IReadOnlyList<ConfigError> errors) =>
        ProxyConfigLoader.Load(yaml, "test.yaml", new Dictionary<string, string>(), out errors);
}
