using Outrigger.Core.Configuration;
using Outrigger.Core.Hosting;
using Outrigger.Hosting;

namespace Outrigger.Tests.Hosting;

public sealed class SidecarConfigurationTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    private static IReadOnlyList<IModuleDefinition> TwoModules() => [new TestModuleDefinition("gateway"), new TestModuleDefinition("conveyor", enabledByDefault: false)];

    private static SidecarConfiguration LoadYaml(string yaml, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<IModuleDefinition>? modules = null)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, yaml);
            return SidecarConfiguration.Load(path, environment ?? NoEnvironment, modules ?? TwoModules());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_NoFile_EnablesDefaultModulesOnly()
    {
        var configuration = SidecarConfiguration.Load(null, NoEnvironment, TwoModules());

        Assert.Equal(["gateway"], configuration.Enabled.Select(m => m.Definition.Name));
        Assert.Equal(["conveyor"], configuration.Disabled);
        Assert.Equal("127.0.0.1:9901", configuration.Host.AdminAddress);
    }

    [Fact]
    public void Load_File_RunsModulesWhoseSectionIsPresentAndNotDisabled()
    {
        var configuration = LoadYaml("conveyor:\n  batch_size: 3\ngateway:\n  enabled: false\n");

        var enabled = Assert.Single(configuration.Enabled);
        Assert.Equal("conveyor", enabled.Definition.Name);
        Assert.Equal(3, ((TestOptions)enabled.Options).BatchSize);
        Assert.Equal(["gateway"], configuration.Disabled);
    }

    [Fact]
    public void Load_SpecEnvironmentVariables_OverrideFile()
    {
        var configuration = LoadYaml(
            "gateway:\n  batch_size: 2\n",
            new Dictionary<string, string> { ["BATCH_SIZE"] = "6", ["LISTEN_ADDR"] = "127.0.0.1:7000" });

        var options = (TestOptions)Assert.Single(configuration.Enabled).Options;
        Assert.Equal(6, options.BatchSize);
        Assert.Equal("127.0.0.1:7000", options.ListenAddr);
    }

    [Fact]
    public void Load_InvalidEnvironmentValue_NamesTheVariable()
    {
        var e = Assert.Throws<ConfigException>(() => SidecarConfiguration.Load(null, new Dictionary<string, string> { ["BATCH_SIZE"] = "9" }, TwoModules()));

        Assert.Equal("gateway.batch_size: 9 is out of range (1-8) (environment variable BATCH_SIZE)", Assert.Single(e.Errors).ToString());
    }

    [Fact]
    public void Load_BrokenFile_ReportsEveryProblem()
    {
        var e = Assert.Throws<ConfigException>(() => LoadYaml("""
            admin:
              address: "127.0.0.1:99999"
            gateway:
              batch_size: zero
              listen_adr: 0.0.0.0:1
            shutdown:
              drain_timeout_ms: -5
            proxi: {}
            """));

        Assert.Equal(
            [
                "admin.address: '127.0.0.1:99999' is not a host:port address: '99999' is not a valid port (0-65535)",
                "gateway.batch_size: 'zero' is not an integer",
                "gateway.listen_adr: unknown key (did you mean 'listen_addr'?)",
                "proxi: unknown key",
                "shutdown.drain_timeout_ms: -5 is out of range (0-600000)",
            ],
            e.Errors.Select(x => System.Text.RegularExpressions.Regex.Replace(x.ToString(), @" \(\S+:\d+:\d+\)$", "")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Load_ModuleOffWithoutSection_IsNotLoaded()
    {
        var conveyor = new DeferredModuleDefinition("conveyor", enabledByDefault: false, () => new TestModuleDefinition("conveyor", enabledByDefault: false));

        var configuration = LoadYaml("gateway: {}\n", modules: [new TestModuleDefinition("gateway"), conveyor]);

        Assert.Equal(["conveyor"], configuration.Disabled);
        Assert.False(conveyor.IsLoaded);
    }

    [Fact]
    public void Load_ModuleOffWithSection_IsStillChecked()
    {
        var e = Assert.Throws<ConfigException>(() => LoadYaml("conveyor:\n  enabled: false\n  batch_size: zero\n"));

        Assert.StartsWith("conveyor.batch_size: 'zero' is not an integer", Assert.Single(e.Errors).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Modules_DeferredDefinitions_DescribeTheirModulesAsTheyDo()
    {
        var deferredModules = Modules.All.OfType<DeferredModuleDefinition>().ToList();

        Assert.NotEmpty(deferredModules);
        foreach (var deferred in deferredModules)
        {
            Assert.Equal(deferred.Definition.Name, deferred.Name);
            Assert.Equal(deferred.Definition.EnabledByDefault, deferred.EnabledByDefault);
            Assert.Equal(deferred.Definition.ExtraSections, ((IModuleDefinition)deferred).ExtraSections);
        }
    }

    [Fact]
    public void GenerateDefaults_LoadsBack_WithTheSameModules()
    {
        var yaml = SidecarConfiguration.GenerateDefaults(TwoModules());

        var configuration = LoadYaml(yaml);

        Assert.Equal(["gateway"], configuration.Enabled.Select(m => m.Definition.Name));
        Assert.Equal(["conveyor"], configuration.Disabled);
        Assert.Contains("  # Batch size (guard 1..8).\n  batch_size: 8\n", yaml, StringComparison.Ordinal);
    }
}
