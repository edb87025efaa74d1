using Outrigger.Core.Configuration;
using Outrigger.Proxy.Configuration;

namespace Outrigger.Proxy.Reload;

/// <summary>
/// Reads the proxy's options from a configuration file the way the host does (YAML, then environment variables), reporting
/// only the problems that concern the proxy's own sections; other modules' sections are not its business.
/// </summary>
internal static class ProxyConfigLoader
{
    private static readonly string[] Sections = ["proxy", .. ProxyModuleDefinition.SpecSections];

    public static ProxyOptions? Load(string text, string origin, IReadOnlyDictionary<string, string> environment, out IReadOnlyList<ConfigError> errors)
    {
        ConfigMapping root;
        try
        {
            root = YamlConfigParser.Parse(text, origin);
        }
        catch (ConfigException e)
        {
            errors = e.Errors;
            return null;
        }

        EnvironmentVariables.Apply(root, environment, new HashSet<string>(["proxy"], StringComparer.Ordinal));
        var session = new ConfigReadSession();
        var reader = session.Root(root, new ConfigOutline());
        reader.Section("proxy", "").Bool("enabled", true, "");
        var options = ProxyOptionsReader.Read(reader);
        session.ReportUnknownKeys();
        errors = [.. session.Errors.Where(e => Array.Exists(Sections, s => e.Path == s || e.Path.StartsWith(s + ".", StringComparison.Ordinal)))];
        return errors.Count == 0 ? options : null;
    }
}
