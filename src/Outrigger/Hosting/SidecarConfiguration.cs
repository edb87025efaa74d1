using Outrigger.Core.Configuration;
using Outrigger.Core.Hosting;
using Outrigger.Core.Telemetry;

namespace Outrigger.Hosting;

/// <summary>
/// The whole configuration, read once: the file (if any), embedded defaults and the environment, validated
/// together. Both <c>validate</c> and <c>start</c> go through <see cref="Load"/>, so they report the same problems.
/// </summary>
internal sealed class SidecarConfiguration
{
    /// <summary>
    /// Sections of modules the specifications describe but this build does not contain yet (spec 002's <c>ai</c> is
    /// the autopilot's). They are reported as warnings, not errors, so that the specs' own example files run.
    /// </summary>
    private static readonly string[] PlannedSections = ["gateway", "conveyor", "workflows", "signals", "ai"];

    private SidecarConfiguration(HostOptions host, TelemetryOptions telemetry, IReadOnlyList<EnabledModule> enabled, IReadOnlyList<string> disabled, ConfigOutline outline, IReadOnlyList<string> warnings)
    {
        Warnings = warnings;
        Host = host;
        Telemetry = telemetry;
        Enabled = enabled;
        Disabled = disabled;
        Outline = outline;
    }

    public HostOptions Host { get; }

    /// <summary>The file read (null for embedded defaults, standard input included: it cannot be read again).</summary>
    public string? ConfigFile { get; private init; }

    public TelemetryOptions Telemetry { get; }

    public IReadOnlyList<EnabledModule> Enabled { get; }

    public IReadOnlyList<string> Disabled { get; }

    /// <summary>Every key with its effective value and documentation.</summary>
    public ConfigOutline Outline { get; }

    /// <summary>Things an operator should know that do not stop the sidecar (sections of modules not in this build).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Reads and validates; throws <see cref="ConfigException"/> listing every problem.</summary>
    /// <param name="path">The YAML file; null for embedded defaults; <c>-</c> or <c>/dev/stdin</c> reads standard input.</param>
    /// <param name="environment">Environment variables (see <see cref="EnvironmentVariables"/>).</param>
    /// <param name="modules">The module definitions.</param>
    /// <param name="readAbsentModules">Also read the defaults of modules that are off and have no section (for <c>generate-config</c>).</param>
    public static SidecarConfiguration Load(string? path, IReadOnlyDictionary<string, string> environment, IReadOnlyList<IModuleDefinition> modules, bool readAbsentModules = false)
    {
        var root = path is null ? new ConfigMapping(ConfigSource.Default) : YamlConfigParser.Parse(ReadFile(path), path);
        if (path is null)
        {
            foreach (var module in modules)
            {
                if (module.EnabledByDefault)
                {
                    root.Set(module.Name, new ConfigMapping(ConfigSource.Default));
                }
            }
        }

        EnvironmentVariables.Apply(root, environment, modules.Select(m => m.Name).ToHashSet(StringComparer.Ordinal));

        var session = new ConfigReadSession();
        var outline = new ConfigOutline();
        var reader = session.Root(root, outline);
        var host = HostOptions.Read(reader);
        var telemetry = TelemetryOptions.Read(reader);
        var enabled = new List<EnabledModule>();
        var disabled = new List<string>();
        foreach (var module in modules)
        {
            var present = root.Contains(module.Name) || module.ExtraSections.Any(root.Contains);
            var on = reader.Section(module.Name, $"The {module.Name} module.")
                .Bool("enabled", present, "Whether the module runs. A module runs when its section is present, unless this is false.");
            if (!on)
            {
                // A section that is present is still checked; an absent one has nothing to check, and reading its
                // defaults would load the module's code for nothing (the outline then leaves the module out).
                if (present || readAbsentModules)
                {
                    module.ReadOptions(reader);
                }

                disabled.Add(module.Name);
                continue;
            }

            enabled.Add(new EnabledModule(module, module.ReadOptions(reader)));
        }

        var warnings = new List<string>();
        foreach (var section in PlannedSections)
        {
            if (root.Contains(section) && !modules.Any(m => m.Name == section || m.ExtraSections.Contains(section)))
            {
                reader.Skip(section);
                warnings.Add($"{section}: this build has no module for this section yet; it is ignored ({root.KeySource(section)})");
            }
        }

        session.ReportUnknownKeys();
        session.ThrowIfErrors();
        return new SidecarConfiguration(host, telemetry, enabled, disabled, outline, warnings) { ConfigFile = path is "-" or "/dev/stdin" ? null : path };
    }

    /// <summary>
    /// Reads the configuration of a role other than the sidecar (<c>orchestrator</c>, <c>router</c>, …): the role's own
    /// sections through <paramref name="read"/>, plus <c>telemetry</c>. The sidecar's sections may be in the same file
    /// and are passed over; anything else is an unknown key.
    /// </summary>
    public static (T Options, TelemetryOptions Telemetry) LoadRole<T>(string? path, IReadOnlyDictionary<string, string> environment, IReadOnlyList<IModuleDefinition> modules, Func<ConfigReader, T> read)
    {
        var root = path is null ? new ConfigMapping(ConfigSource.Default) : YamlConfigParser.Parse(ReadFile(path), path);
        EnvironmentVariables.Apply(root, environment, new HashSet<string>(StringComparer.Ordinal));
        var session = new ConfigReadSession();
        var reader = session.Root(root, new ConfigOutline());
        var options = read(reader);
        var telemetry = TelemetryOptions.Read(reader);
        foreach (var key in SidecarSections(modules))
        {
            reader.Skip(key);
        }

        session.ReportUnknownKeys();
        session.ThrowIfErrors();
        return (options, telemetry);
    }

    private static IEnumerable<string> SidecarSections(IReadOnlyList<IModuleDefinition> modules) =>
        new[] { "admin", "shutdown", "data_dir" }.Concat(PlannedSections).Concat(modules.SelectMany(m => m.ExtraSections.Prepend(m.Name)));

    /// <summary>The complete, commented YAML of every key and its default.</summary>
    public static string GenerateDefaults(IReadOnlyList<IModuleDefinition> modules)
    {
        var configuration = Load(null, new Dictionary<string, string>(), modules, readAbsentModules: true);
        return ConfigOutlineWriter.ToYaml(configuration.Outline, """
            Outrigger configuration: every key with its default.
            Generated by `outrigger generate-config`; check a file with `outrigger validate --config FILE`.
            Environment variables override keys (see docs/configuration.md).
            """);
    }

    public static IReadOnlyDictionary<string, string> ProcessEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        return result;
    }

    private static string ReadFile(string path)
    {
        try
        {
            return path is "-" or "/dev/stdin" ? Console.In.ReadToEnd() : File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([new ConfigError("", $"cannot read configuration file: {e.Message}", new ConfigSource(path))]);
        }
    }
}

/// <summary>A module that will run, with its validated options.</summary>
internal sealed record EnabledModule(IModuleDefinition Definition, object Options);
